"""Answer a whole conversation handed over at once (the local API): the chat's own path.

An API request brings its history with it. Its turns are stored as a conversation, each
earlier user turn marked private as the chat would have marked it when it was sent, and
the last one is answered by ``ChatController.answer``: the same routing service, egress
gate, context policy, fallback chain, retries and usage as a message typed in the window.
Nothing here routes or falls back on its own.

The answer runs in its own task, so a client that hangs up (its HTTP task cancelled)
stops the generation with the chat's Stop and the reply is still finished and billed.
Unless the settings keep API conversations, the conversation is deleted afterwards: its
usage rows stay (unlinked), as for a chat the user deletes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import cast

from app.controller.changes import Changes
from app.controller.chat import ChatController
from app.controller.egress import OPEN
from app.controller.error_words import describe, is_expected
from app.controller.events import ChatEvent, Delta, Done, Failed, FallbackUsed, Routed
from app.controller.routing import RoutingService, kept_local
from app.core.chat_settings import ChatSettings
from app.core.providers.base import ImagePart, Role
from app.core.redaction import Redactor
from app.core.router import AvailabilityCode, Conversation, Router, Turn
from app.core.router.targets import is_local
from app.core.store import Store

log = logging.getLogger(__name__)
TITLE_CHARS = 48
# Admission to a target (the API's queue for the local model): a release, or None when
# the target is too busy now.
Admit = Callable[[str], Callable[[], None] | None]


@dataclass(frozen=True, slots=True)
class ApiTurn:
    role: Role  # "user" or "assistant"; system text goes to ``TurnsRequest.system``
    text: str
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True, slots=True)
class TurnsRequest:
    router: Router
    turns: tuple[ApiTurn, ...]  # the last one is the user's message to answer
    settings: ChatSettings = field(default_factory=ChatSettings)  # system, sampling, one model
    keep: bool = False  # store the conversation; False: usage only


@dataclass(frozen=True, slots=True)
class Busy:
    """The target this request was routed to has a full queue: nothing was generated."""

    target: str


@dataclass(frozen=True, slots=True)
class TooLong:
    """No target the router may use can hold the conversation (the policy's part of it)."""

    reason: str


TurnsEvent = ChatEvent | Busy | TooLong


class AnswerRun:
    """One request being answered; ``events()`` yields what the chat controller says."""

    def __init__(self) -> None:
        self._events: asyncio.Queue[TurnsEvent | None] = asyncio.Queue()
        self.conversation_id: int | None = None
        self.stop_requested = False
        self._stop: Callable[[], None] = lambda: None
        self.task: asyncio.Task[None] | None = None

    async def events(self) -> AsyncIterator[TurnsEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    def stop(self) -> None:
        """The client went away: stop the generation (the reply is still finished)."""
        self.stop_requested = True
        self._stop()


class TurnsAnswerer:
    def __init__(self, chat: ChatController, store: Store, routing: RoutingService,
                 publish: Callable[[Changes], None] = lambda changes: None) -> None:
        self._chat = chat
        self._publish = publish  # the session's ChangeHub: a deleted request leaves the chat list
        self._store = store
        self._routing = routing
        self._tasks: set[asyncio.Task[None]] = set()
        self._runs: set[AnswerRun] = set()

    def start(self, request: TurnsRequest, *, admit: Admit | None = None,
              usage_kind: str = "api") -> AnswerRun:
        run = AnswerRun()
        task = asyncio.get_running_loop().create_task(self._run(run, request, admit, usage_kind))
        run.task = task
        self._tasks.add(task)
        self._runs.add(run)

        def forget(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            self._runs.discard(run)

        task.add_done_callback(forget)
        return run

    def stop_all(self) -> None:
        """Stop every answer still running (the server is stopping)."""
        for run in list(self._runs):
            run.stop()

    async def aclose(self) -> None:
        """Wait for the answers still running (each was asked to stop)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, run: AnswerRun, request: TurnsRequest, admit: Admit | None,
                   usage_kind: str) -> None:
        cid: int | None = None
        release: Callable[[], None] | None = None
        try:
            cid, user_id, images = self._stored(request)
            run.conversation_id = stored = cid
            run._stop = lambda: self._chat.stop(stored)
            answering: str | None = None
            reply_id: int | None = None
            # An async generator: closed at once when this run ends early (a full queue).
            events = cast(AsyncGenerator[ChatEvent, None],
                          self._chat.answer(cid, user_id, request.router, images, usage_kind=usage_kind))
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, Routed | FallbackUsed):
                        if isinstance(event, Routed):
                            answering, reply_id = event.decision.target, event.message_id
                        else:
                            answering = event.next_target
                        if answering is not None and is_local(answering) and admit and release is None:
                            release = admit(answering)
                            if release is None:
                                self._refused(reply_id, answering)
                                run._events.put_nowait(Busy(answering))
                                return
                    elif isinstance(event, Failed) and answering is None and event.error is None:
                        too_long = self._too_long(request)
                        if too_long is not None:
                            run._events.put_nowait(TooLong(too_long))
                            continue
                    run._events.put_nowait(event)
                    if run.stop_requested:  # also when it was asked before the reply began
                        self._chat.stop(cid)
        except Exception as exc:  # a task's exception would otherwise vanish: say it to the client
            if not is_expected(exc):
                log.exception("an API request failed")
            run._events.put_nowait(Failed(None, describe(exc) or "The request could not be answered."))
        finally:
            if release is not None:
                release()
            if cid is not None and not request.keep:
                self._store.delete_conversation(cid)
                self._publish(Changes(conversations=True))
            run._events.put_nowait(None)

    def _stored(self, request: TurnsRequest) -> tuple[int, int, tuple[ImagePart, ...]]:
        """The request's turns as a stored conversation; the last user turn's id."""
        router, turns = request.router, request.turns
        first = next((t.text for t in turns if t.role == "user"), "")
        cid = self._store.create_conversation(_title(first), router=router.name)
        try:
            self._store.set_chat_settings(cid, request.settings)
            seen: list[Turn] = []
            user_id = 0
            for number, turn in enumerate(turns):
                last = number == len(turns) - 1
                attachments = [{"kind": "image", "mime": i.mime, "bytes": len(i.data)}
                               for i in turn.images] if last else []
                user_id = self._store.add_message(cid, turn.role, turn.text,
                                                  attachments=attachments or None)
                seen.append(Turn(turn.role, turn.text, len(attachments)))
                if turn.role == "user" and not last:  # as the chat marked it when it was sent
                    mark, _ = self._routing.protect(router, Conversation(seen), OPEN)
                    self._store.mark_private(user_id, mark)
            return cid, user_id, turns[-1].images
        except BaseException:
            self._store.delete_conversation(cid)
            raise

    def _refused(self, reply_id: int | None, target: str) -> None:
        if reply_id is not None:  # the reply the chat had begun: failed, not left streaming
            self._store.update_message(reply_id, status="failed",
                                       error=f"{target} is busy with other API requests.")

    def _too_long(self, request: TurnsRequest) -> str | None:
        """Why nothing could answer, when it is the conversation's length: some target
        the router may use is up, and every one that is up is too small for it."""
        conversation = Conversation([Turn(t.role, t.text, len(t.images)) for t in request.turns])
        base = self._routing.availability
        _, protection = self._routing.protect(request.router, conversation, OPEN)
        if not protection.allows_remote:
            check = kept_local(base, protection)
        else:
            check = base
        holding = self._routing.holding(check, conversation, request.settings)
        targets = [request.settings.target] if request.settings.target else request.router.targets()
        reasons = []
        for target in dict.fromkeys(targets):
            if target is None or not check(target).ok:
                continue
            state = holding(target)
            if state.ok:
                return None
            if state.code is AvailabilityCode.TOO_LONG:
                reasons.append(f"{target} {state.reason}")
        return "; ".join(reasons) or None


def _title(text: str) -> str:
    """Named as the chat names a new chat: the first words, never a private value."""
    words = " ".join(Redactor().redact(text).split())
    title = words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return f"API: {title}" if title else "API request"


def answer_text(events: list[TurnsEvent]) -> str:
    """The reply's text from a finished run's events (tests, the CLI)."""
    done = next((e for e in events if isinstance(e, Done)), None)
    return done.text if done else "".join(e.text for e in events if isinstance(e, Delta))
