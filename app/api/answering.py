"""From a parsed API request to the chat's answer, for both dialects.

``Answering`` names the router or target a request's ``model`` means, starts the chat
controller's answer (app.controller.turns) and waits for the first thing that settles
the response: the first words (then the status is 200 and the headers can say who
answers), a finished empty reply, or a failure, which becomes an API-shaped error with
its status before anything is sent. The answering target is only known then: a
fallback happens before the first token, never after.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.api.errors import ApiError, Problem
from app.api.guard import RETRY_AFTER_S, LocalQueue
from app.controller.events import Delta, Done, Failed, FallbackUsed, Routed
from app.controller.turns import AnswerRun, ApiTurn, Busy, TooLong, TurnsAnswerer, TurnsRequest
from app.core.chat_settings import ChatSettings, ChatSettingsError
from app.core.models.embedding_model import BUNDLED_EMBEDDER_NAME
from app.core.providers.errors import ContextTooLongError, ProviderError, RateLimitedError
from app.core.router import Router, RouterFormatError
from app.core.router.targets import is_local, is_target, provider_of
from app.core.tokens import default_counter

if TYPE_CHECKING:
    from app.controller.session import Session

ROUTER_PREFIX = "switchboard/"
EMBEDDING_MODEL = f"local:{BUNDLED_EMBEDDER_NAME}"


@dataclass(frozen=True, slots=True)
class Asked:
    """What a chat request asks, in either dialect."""

    model: str
    turns: tuple[ApiTurn, ...]
    system: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stream: bool = False


@dataclass(slots=True)
class Begun:
    """An answer that has started: who answers, and its events from the first on."""

    run: AnswerRun
    router: Router
    rule: str | None
    target: str
    first: list[object] = field(default_factory=list)
    events: AsyncIterator[object] | None = None

    async def all(self) -> AsyncIterator[object]:
        """Every event from the first one on."""
        for event in self.first:
            yield event
        assert self.events is not None
        async for event in self.events:
            yield event

    async def finished(self, receive: object) -> Done:
        """The whole reply, for a request that does not stream (stopped when the client
        behind ``receive`` hangs up); ApiError when it broke off."""
        watcher = stop_when_gone(self.run, receive)
        try:
            async for event in self.all():
                if isinstance(event, Done):
                    return event
                if isinstance(event, Failed):
                    raise ApiError(Problem.UNAVAILABLE, f"The reply broke off: {event.reason}")
            raise ApiError(Problem.INTERNAL, "The answer ended without a reply.")
        finally:
            watcher.cancel()

    def headers(self) -> dict[str, str]:
        return {"x-switchboard-router": _header(self.router.name),
                "x-switchboard-routed-to": _header(self.target),
                "x-switchboard-rule": _header(self.rule or "none")}


class Answering:
    def __init__(self, session: Session, queue: LocalQueue) -> None:
        self.session = session
        self.queue = queue
        self.answerer = TurnsAnswerer(session.chat, session.store, session.routing,
                                      publish=session.changes.publish)

    # ---- models -------------------------------------------------------------------------

    def routers(self) -> list[Router]:
        found = []
        for name in self.session.router_names():
            router = self.session.router_or_none(name)
            if router is not None:
                found.append(router)
        return found

    def targets(self) -> list[str]:
        """Every target a router names or that is installed here, that can answer now."""
        named = [f"local:{name}" for name in self.session.local_models]
        for router in self.routers():
            named.extend(router.targets())
        available = self.session.availability
        return [t for t in dict.fromkeys(named) if available(t).ok]

    def named(self, model: str) -> tuple[Router, str | None]:
        """The router a ``model`` names (``switchboard/<router>``), or the default router
        and the one target it names (the chat's "one model" setting). 404 otherwise."""
        wanted = model.strip()
        if wanted.casefold() in ("switchboard", ROUTER_PREFIX.rstrip("/") + "/default"):
            return self._router(self.session.default_router_name()), None
        if wanted.casefold().startswith(ROUTER_PREFIX):
            name = wanted[len(ROUTER_PREFIX):]
            match = next((n for n in self.session.router_names() if n.casefold() == name.casefold()), None)
            if match is None:
                raise _unknown(model)
            return self._router(match), None
        if is_target(wanted) and self._known_target(wanted):
            return self._router(self.session.default_router_name()), wanted
        raise _unknown(model)

    def _known_target(self, target: str) -> bool:
        if is_local(target):
            return target.partition(":")[2] in self.session.local_models
        return any(p.id == provider_of(target) for p in self.session.settings.providers)

    def _router(self, name: str) -> Router:
        try:
            return self.session.router(name)
        except RouterFormatError as exc:
            raise ApiError(Problem.UNAVAILABLE, f"The router {name!r} cannot be read: {exc}") from None

    # ---- answering ----------------------------------------------------------------------

    async def begin(self, asked: Asked, receive: object = None) -> Begun:
        """``receive``: the request's ASGI receive, to stop the answer if the client hangs
        up before its first word (a long prompt can take the local model minutes)."""
        router, target = self.named(asked.model)
        if not asked.turns or asked.turns[-1].role != "user":
            raise ApiError(Problem.BAD_REQUEST, "The last message must be the user's.", param="messages")
        try:
            settings = ChatSettings(system_prompt=asked.system, temperature=asked.temperature,
                                    top_p=asked.top_p, max_tokens=asked.max_tokens, target=target)
        except ChatSettingsError as exc:
            raise ApiError(Problem.BAD_REQUEST, str(exc)) from None
        keep = self.session.settings.api.store_conversations
        run = self.answerer.start(TurnsRequest(router, asked.turns, settings, keep),
                                  admit=self.queue.admit)
        events = run.events()
        watcher = stop_when_gone(run, receive) if receive is not None else None
        try:
            return await self._first(run, router, events)
        except BaseException:
            run.stop()  # an error response, or the client gone before the first word
            raise
        finally:
            if watcher is not None:
                watcher.cancel()

    async def _first(self, run: AnswerRun, router: Router, events: AsyncIterator[object]) -> Begun:
        rule: str | None = None
        target: str | None = None
        async for event in events:
            if isinstance(event, Routed):
                rule, target = event.decision.rule, event.decision.target
            elif isinstance(event, FallbackUsed):
                target = event.next_target
            elif isinstance(event, Delta | Done):
                answering = event.target if isinstance(event, Done) else target
                return Begun(run, router, rule, answering or "", [event], events)
            elif isinstance(event, Busy):
                raise ApiError(Problem.BUSY, f"{event.target} is busy with other requests; "
                               "try again shortly.", retry_after=RETRY_AFTER_S)
            elif isinstance(event, TooLong):
                raise ApiError(Problem.CONTEXT_TOO_LONG, "The conversation is too long for every model "
                               f"this router may use: {event.reason}.", param="messages")
            elif isinstance(event, Failed):
                raise _failure(event)
        raise ApiError(Problem.INTERNAL, "The answer ended without a reply.")

    async def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """The bundled embedding model's vectors, through the local model's queue; billed
        as API usage (tokens counted by the app's counter, so marked estimated)."""
        release = self.queue.admit(EMBEDDING_MODEL)
        if release is None:
            raise ApiError(Problem.BUSY, "The local model is busy with other requests; try again shortly.",
                           retry_after=RETRY_AFTER_S)
        try:
            vectors = await self.session.gate.local.embed(BUNDLED_EMBEDDER_NAME, texts)
        except ProviderError as exc:
            raise ApiError(Problem.UNAVAILABLE, exc.message) from None
        finally:
            release()
        tokens = sum(default_counter().count(text) for text in texts)
        self.session.store.add_usage(conversation_id=None, message_id=None, target=EMBEDDING_MODEL,
                                     kind="api", tokens_in=tokens, tokens_out=0,
                                     cost=self.session.pricing.cost(EMBEDDING_MODEL, tokens, 0),
                                     estimated=True)
        return vectors, tokens

    async def aclose(self) -> None:
        await self.answerer.aclose()


def _failure(event: Failed) -> ApiError:
    error = event.error
    if isinstance(error, ContextTooLongError):
        return ApiError(Problem.CONTEXT_TOO_LONG, event.reason, param="messages")
    if isinstance(error, RateLimitedError):
        return ApiError(Problem.BUSY, event.reason, retry_after=error.retry_after or RETRY_AFTER_S)
    return ApiError(Problem.UNAVAILABLE, event.reason)


def _unknown(model: str) -> ApiError:
    return ApiError(Problem.MODEL_NOT_FOUND, f"The model {model!r} does not exist here. GET /v1/models "
                    "lists the routers (switchboard/<router>) and the models that can answer.",
                    param="model")


def _header(value: str) -> str:
    """Header values are Latin-1: a router named in another script is percent-encoded."""
    plain = value.isascii() and value.isprintable()
    return value if plain else urllib.parse.quote(value, safe=" :/._-()+@,")


async def wait_for_disconnect(receive: object) -> None:
    """Returns when the client hangs up (ASGI ``http.disconnect``)."""
    while True:
        message = await receive()  # type: ignore[operator]
        if message.get("type") == "http.disconnect":
            return


def stop_when_gone(run: AnswerRun, receive: object) -> asyncio.Task[None]:
    """A task that stops ``run`` when the client disconnects; cancel it when done."""
    async def watch() -> None:
        await wait_for_disconnect(receive)
        run.stop()

    return asyncio.get_running_loop().create_task(watch())


def cut_off(done: Done) -> bool:
    """Whether the reply ended at a length limit (its note says so) rather than by itself."""
    return (done.message.error or "").startswith("Cut off")
