"""A message becomes an answer: saved, routed, streamed, saved again, billed — and
rescued by the fallback chain when a provider fails before its first token.

The user's message is committed before any model is called; the reply is checkpointed
while it streams, so a crash or a Stop loses at most a second of text.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from app.controller.availability import Availabilities
from app.controller.changes import Changes
from app.controller.chat_privacy import ChatPrivacy, chat_privacy, protection_of
from app.controller.context_use import ContextUse
from app.controller.conversation_fit import ConversationFitter, FitRequest
from app.controller.egress import OPEN, EgressGate, PrivacyRefused, Protection
from app.controller.events import (
    ChatEvent,
    Delta,
    Done,
    Failed,
    FallbackUsed,
    Reading,
    Routed,
    Titled,
)
from app.controller.fixes import Fix, FixKind, fix_for_unavailable
from app.controller.routing import RoutingService, kept_local
from app.core.chat_settings import REPLY_LIMIT_TOKENS, ChatSettings
from app.core.pricing import Pricing
from app.core.providers.base import (
    CancelToken,
    ChatMessage,
    ChatRequest,
    Finish,
    ImagePart,
    PromptProgress,
    Sampling,
    TextDelta,
    Usage,
)
from app.core.providers.errors import AuthError, ProviderError, RateLimitedError, UnavailableError
from app.core.providers.registry import ProviderRegistry
from app.core.redaction import Redactor
from app.core.router import (
    AvailabilityCheck,
    AvailabilityCode,
    Conversation,
    Decision,
    Router,
    TraceEntry,
    TraceKind,
    Turn,
)
from app.core.router.classifier import warm_examples
from app.core.router.targets import is_local, model_of
from app.core.settings import FIRST_TOKEN_TIMEOUT_S
from app.core.store import EgressRow, MessageRow, Store

CHECKPOINT_S = 1.0
# What Continue asks, after the reply so far. Plain, so that any chat model follows it.
CONTINUE_REQUEST = ("Continue your last reply exactly where it stopped. Do not repeat what you "
                    "already wrote, and do not comment on it.")


class FirstTokenTimeout(UnavailableError):
    """Connected, but no answer began in time; not retried, the next target is tried."""

    retryable = False
TITLE_CHARS = 48


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries of the same target for rate limits and server errors."""

    attempts: int = 2  # retries after the first try
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0

    def delay(self, attempt: int, error: ProviderError) -> float:
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(error.retry_after, self.max_delay_s)
        return min(self.base_delay_s * 2.0**attempt, self.max_delay_s)


@dataclass(slots=True)
class _Answer:
    """One reply being answered: where it was routed, and what it may send where."""

    cid: int
    reply_id: int
    router: Router
    decision: Decision
    trace: list[TraceEntry]
    protection: Protection
    cancel: CancelToken
    stopped: asyncio.Event
    rows: list[MessageRow]  # the stored messages, one for one with the attempt's messages
    conversation: Conversation  # the same, as the router sees it
    settings: ChatSettings  # the chat's own: system prompt, sampling, reply length, policy
    usage_kind: str = "chat"  # how its usage row is billed ("api": the local API server)
    continued: MessageRow | None = None  # Continue: the reply as it stood, which this extends


def _why_kept(protection: Protection) -> str:
    return "; ".join(protection.reasons) or "this chat is locked to this computer"


class _Stream:
    """One attempt's reply so far."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix  # Continue: the reply's text before this attempt
        self.parts: list[str] = []
        self.usage: Usage | None = None
        self.finish: str = "stop"
        self.first_token_at: float | None = None
        self.limit: tuple[int, str] | None = None  # the reply's token limit, and who set it

    @property
    def text(self) -> str:
        return self.prefix + "".join(self.parts)


class ChatController:
    def __init__(
        self,
        store: Store,
        registry: ProviderRegistry,
        pricing: Pricing,
        availability: Availabilities,
        *,
        warm_key: Callable[[str], Any] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        max_tokens: int | None = REPLY_LIMIT_TOKENS,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
        routing: RoutingService | None = None,
        gate: EgressGate | None = None,
        lock_new_chats: Callable[[], bool] = lambda: False,
        publish: Callable[[Changes], None] = lambda changes: None,
        first_token_timeout_s: float | None = FIRST_TOKEN_TIMEOUT_S,
        fitter: ConversationFitter | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.pricing = pricing
        self.availability = availability
        self._warm_key = warm_key  # async: loads a provider's key from the keyring, off the loop
        self.retry = retry
        # Per reply, for chats that set no length of their own (Settings → Chats); None:
        # until the model stops, which a model stuck in a loop never does.
        self.max_tokens = max_tokens
        self.gate = gate or EgressGate(registry, store)  # the only way to a remote provider
        self._lock_new_chats = lock_new_chats
        self._publish = publish  # the session's ChangeHub: faces refresh what a reply changed
        self.first_token_timeout_s = first_token_timeout_s  # remote targets; None: wait on
        self.routing = routing or RoutingService(store, self.gate, pricing, availability, clock)
        self.fitter = fitter  # None: conversations are sent whole (tests of other parts)
        self._running: dict[int, tuple[CancelToken, asyncio.Event]] = {}

    # ---- public operations ---------------------------------------------------------

    def new_conversation(self, router: Router | None = None) -> int:
        cid = self.store.create_conversation(router=router.name if router else None)
        if self._lock_new_chats():
            self.store.set_lock(cid, True)
        return cid

    def set_lock(self, conversation_id: int, lock: bool | None) -> None:
        """True: only local models answer this chat; None: as its privacy decides; False:
        unlocked although it holds private messages (ask the user first: see privacy())."""
        self.store.set_lock(conversation_id, lock)

    def privacy(self, conversation_id: int | None, router: Router) -> ChatPrivacy:
        """The chat's lock as its header shows it: locked or not, why, and what unlocking
        would send where."""
        return chat_privacy(self.store, conversation_id, router)

    def sent_off(self, conversation_id: int | None = None) -> list[EgressRow]:
        """Every request that left this computer (for one conversation, or all), oldest
        first: target, host, bytes, which messages, redactions; never the content."""
        return self.store.egress_rows(conversation_id)

    async def prepare(self, router: Router) -> int:
        """Embed the router's new example messages now, so its first plain-English
        decision is not the one that waits for them. Returns how many were embedded."""
        return await warm_examples(self.gate, router)

    def stop(self, conversation_id: int) -> None:
        """Stop the reply streaming in this conversation (Esc). Not an error."""
        running = self._running.get(conversation_id)
        if running:
            running[0].cancel()
            running[1].set()

    async def context_use(self, conversation_id: int | None, router: Router) -> ContextUse | None:
        """How full the chat's context is for the model that would answer it next (the
        chat's meter); None when this controller does not fit conversations."""
        if self.fitter is None:
            return None
        settings = self.store.chat_settings(conversation_id) if conversation_id else ChatSettings()
        # Counting a long chat's tokens the first time takes a while (10,000 messages: ~0.2 s
        # of tiktoken, which lets go of the GIL): on a thread, the window keeps scrolling.
        stored = self.store.messages(conversation_id) if conversation_id else []
        conversation, rows = await asyncio.to_thread(_sent, stored)
        target = self._next_target(router, conversation, rows, settings)
        policy = self.fitter.policy(settings)
        if target is None:
            return ContextUse(0, 0, None, policy, total=len(rows))
        window = self.fitter.facts.window(target).tokens
        try:
            plan, _ = await self.fitter.plan(FitRequest(conversation_id or 0, target, rows,
                                                        _messages(conversation, ()), OPEN, settings))
        except ProviderError:  # it does not fit (stop), or the local model cannot count now
            return ContextUse(self.routing.needs(conversation, settings).whole, window, target, policy,
                              total=len(rows))
        return ContextUse(plan.tokens, window, target, policy, plan.left_out, plan.total, plan.summarized)

    def _next_target(self, router: Router, conversation: Conversation, rows: list[MessageRow],
                     settings: ChatSettings) -> str | None:
        """The chat's own model, else the one that answered it last, else the router's."""
        if settings.target is not None:
            return settings.target
        answered = next((m.target for m in reversed(rows) if m.role == "assistant" and m.target), None)
        if answered is not None:
            return answered
        return self.routing.decide(router, conversation, settings=settings).target

    async def send(self, conversation_id: int, text: str, router: Router,
                   images: Sequence[ImagePart] = ()) -> AsyncIterator[ChatEvent]:
        attachments = [{"kind": "image", "mime": i.mime, "bytes": len(i.data)} for i in images]
        user_id = self.store.add_message(conversation_id, "user", text, attachments=attachments or None)
        title = self._auto_title(conversation_id, text)
        if title is not None:
            yield Titled(conversation_id, title)
        async for event in self._answer(conversation_id, user_id, router, tuple(images)):
            yield event

    async def edit_and_resend(self, conversation_id: int, message_id: int, text: str,
                              router: Router) -> AsyncIterator[ChatEvent]:
        """Replace a user message and everything after it, then answer the new text."""
        self.store.delete_messages_after(conversation_id, message_id)
        self.store.update_message(message_id, content=text)
        async for event in self._answer(conversation_id, message_id, router):
            yield event

    async def regenerate(self, conversation_id: int, router: Router,
                         same_target: bool = False) -> AsyncIterator[ChatEvent]:
        """Answer the last user message again: routed anew, or (``same_target``) by the
        model that answered last time. The reply after it gains a version (the earlier
        ones are kept, to switch back to); with no reply there, one is added."""
        rows = self.store.messages(conversation_id)
        last_user = next((m for m in reversed(rows) if m.role == "user"), None)
        if last_user is None:
            yield Failed(None, "There is no message to answer again.")
            return
        previous = next((m.target for m in reversed(rows) if m.role == "assistant" and m.target), None)
        reply = next((m for m in rows if m.id > last_user.id and m.role == "assistant"), None)
        self.store.delete_messages_after(conversation_id, reply.id if reply else last_user.id)
        target = previous if same_target else None
        async for event in self._answer(conversation_id, last_user.id, router, target=target,
                                        version_of=reply.id if reply else None):
            yield event

    async def continue_reply(self, conversation_id: int, message_id: int,
                             router: Router) -> AsyncIterator[ChatEvent]:
        """Ask the model that wrote the chat's last reply (cut off at its length limit, or
        stopped) to go on with it; the text it adds joins the same message."""
        rows = self.store.messages(conversation_id)
        reply = rows[-1] if rows else None
        if reply is None or reply.id != message_id or not can_continue(reply):
            yield Failed(None, "Only the chat's last reply can be continued, once it has stopped "
                               "or been cut off.")
            return
        assert reply.target is not None  # can_continue: a model wrote it
        self.store.reopen_reply(reply.id)
        try:
            async for event in self._continue(conversation_id, reply, rows[:-1], router):
                yield event
        finally:
            # However it ended: a reply left streaming would wait for a restart to be fixed.
            if (now := self.store.message(reply.id)) is not None and now.status == "streaming":
                self.store.update_message(reply.id, status="incomplete")
            self._publish(Changes(conversations=True, messages=frozenset({conversation_id}), usage=True))

    async def answer(self, conversation_id: int, user_message_id: int, router: Router,
                     images: Sequence[ImagePart] = (), *, usage_kind: str = "chat",
                     ) -> AsyncIterator[ChatEvent]:
        """Answer a user message that is already stored, exactly as ``send`` would (the
        local API stores a request's turns first: app.controller.turns)."""
        async for event in self._answer(conversation_id, user_message_id, router, tuple(images),
                                        usage_kind=usage_kind):
            yield event

    # ---- the answer ------------------------------------------------------------------

    async def _answer(self, cid: int, user_id: int, router: Router, images: tuple[ImagePart, ...] = (),
                      target: str | None = None, usage_kind: str = "chat",
                      version_of: int | None = None) -> AsyncIterator[ChatEvent]:
        try:
            async for event in self._answer_routed(cid, user_id, router, images, target, usage_kind,
                                                   version_of):
                yield event
        finally:  # however it ended, the chat, its messages and maybe its cost changed
            self._publish(Changes(conversations=True, messages=frozenset({cid}), usage=True))

    async def _answer_routed(self, cid: int, user_id: int, router: Router,
                             images: tuple[ImagePart, ...], target: str | None,
                             usage_kind: str = "chat", version_of: int | None = None,
                             ) -> AsyncIterator[ChatEvent]:
        # Up to the message answered: a reply after it is the one being written again.
        conversation, rows = self._conversation(cid, through=user_id)
        settings = self.store.chat_settings(cid)
        now = self.routing.clock()
        history = protection_of(self.store, cid, router, rows, skip=user_id)
        if target is not None or settings.target is not None:  # one model, as asked: no routing
            mark, protection = self.routing.protect(router, conversation, history)
            decision = _chosen(target, settings)
        else:
            result = await self.routing.route(router, conversation, now=now, conversation_id=cid,
                                              protection=history, settings=settings)
            decision, mark, protection = result.decision, result.mark, result.protection
        self.store.mark_private(user_id, mark)
        if mark is not None:
            current = next(i for i, row in enumerate(rows) if row.id == user_id)
            protection = replace(protection, private=protection.private | {current})
        trace = list(decision.trace)
        reply_id = self._reply_row(cid, decision, trace, version_of)
        yield Routed(cid, user_id, reply_id, decision)
        if decision.target is None:
            self.store.update_message(reply_id, status="failed", error=decision.reason)
            yield self._failed(reply_id, decision.reason, fix=self._fix_for_unavailable(router))
            return
        self.routing.remember(cid, decision, now)
        cancel, stopped = CancelToken(), asyncio.Event()
        self._running[cid] = (cancel, stopped)
        try:
            answer = _Answer(cid, reply_id, router, decision, trace, protection, cancel, stopped, rows,
                             conversation, settings, usage_kind)
            async for event in self._through_chain(answer, _messages(conversation, images)):
                yield event
        finally:
            self._running.pop(cid, None)

    def _reply_row(self, cid: int, decision: Decision, trace: list[TraceEntry],
                   version_of: int | None) -> int:
        """The row the reply streams into: a new message, or a new version of ``version_of``."""
        if version_of is None:
            return self.store.add_message(cid, "assistant", "", status="streaming",
                                          target=decision.target, rule=decision.rule, trace=trace,
                                          reason=decision.reason)
        self.store.new_version(version_of)
        self.store.update_message(version_of, target=decision.target, rule=decision.rule, trace=trace,
                                  reason=decision.reason)
        return version_of

    async def _continue(self, cid: int, reply: MessageRow, before: list[MessageRow],
                        router: Router) -> AsyncIterator[ChatEvent]:
        """Continue ``reply``: the conversation up to it, the reply so far, and a request to
        go on. A trailing assistant message alone is not enough: OpenAI-style chat
        templates close it and start a fresh answer, so the request is said in words."""
        assert reply.target is not None
        conversation, rows = _sent(before)
        settings = self.store.chat_settings(cid)
        ask = replace(reply, role="user", content=CONTINUE_REQUEST, attachments=[])
        rows = [*rows, replace(reply, status="complete"), ask]
        protection = protection_of(self.store, cid, router, rows)
        # The request is not a stored message: the egress log names no message for it.
        protection = replace(protection, message_ids=(*protection.message_ids[:-1], None))
        conversation = Conversation([*conversation, Turn("assistant", reply.content),
                                     Turn("user", CONTINUE_REQUEST)])
        decision = Decision(reply.target, reply.rule, reply.reason or "", [])
        # A line about what was sent, not an attempt: the route itself is unchanged.
        trace = [*(reply.trace or ()), TraceEntry(
            None, True, f"sent to {reply.target}: the reply so far, asking it to go on (Continue)",
            TraceKind.CONTEXT, target=reply.target)]
        cancel, stopped = CancelToken(), asyncio.Event()
        self._running[cid] = (cancel, stopped)
        try:
            answer = _Answer(cid, reply.id, router, decision, trace, protection, cancel, stopped, rows,
                             conversation, settings, continued=reply)
            async for event in self._through_chain(answer, _messages(conversation, ())):
                yield event
        finally:
            self._running.pop(cid, None)

    def _conversation(self, cid: int, through: int | None = None) -> tuple[Conversation, list[MessageRow]]:
        """The turns a target receives, and the stored rows they come from (same order);
        ``through``: only up to that message."""
        return _sent([m for m in self.store.messages(cid) if through is None or m.id <= through])

    def _chain(self, answer: _Answer) -> list[str]:
        """The decision's target, then the router's fallbacks; for a message with an
        image, the fallbacks that can see it first."""
        first = answer.decision.target
        assert first is not None
        if answer.continued is not None:  # the model that wrote it, or nobody
            return [first]
        rest = [t for t in answer.router.fallback if t != first]
        facts = self.routing.facts
        if facts is not None and answer.conversation and answer.conversation[-1].images:
            rest.sort(key=lambda t: not facts.vision(t))
        return [first, *rest]

    async def _through_chain(self, answer: _Answer,
                             messages: tuple[ChatMessage, ...]) -> AsyncIterator[ChatEvent]:
        chain = self._chain(answer)
        available = self._chain_availability(answer)
        started = time.monotonic()
        last_error: ProviderError | None = None
        trace, reply_id = answer.trace, answer.reply_id
        for position, target in enumerate(chain):
            if position > 0 and not (state := available(target)).ok:
                if state.code in (AvailabilityCode.TOO_LONG, AvailabilityCode.NO_VISION):
                    trace.append(TraceEntry(None, False, f"{target} skipped: {state.reason}",
                                            TraceKind.ATTEMPT, target=target))
                continue
            stream = _Stream(answer.continued.content if answer.continued else "")
            try:
                async for item in self._attempt(answer, target, messages, stream):
                    yield Reading(reply_id, item.done, item.total) if isinstance(item, PromptProgress) \
                        else Delta(item)
            except ProviderError as error:
                if not isinstance(error, PrivacyRefused):  # the target itself is fine
                    self.availability.health.failed(target)
                last_error = error
                trace.append(TraceEntry(None, False, f"{target} failed: {error.message}",
                                        TraceKind.ATTEMPT, target=target))
                if stream.parts:  # broke mid-reply: keep what arrived, offer Retry
                    self.store.update_message(reply_id, content=stream.text, status="incomplete",
                                              trace=trace, error=error.message)
                    yield self._failed(reply_id, error.message, stream.text, error=error)
                    return
                upcoming = next((t for t in chain[position + 1:] if available(t).ok), None)
                if upcoming is None:
                    break
                self.store.update_message(reply_id, trace=trace, target=upcoming)
                yield FallbackUsed(target, error.message, upcoming)
                continue
            self.availability.health.succeeded(target)
            if target != answer.decision.target:
                trace.append(TraceEntry(None, True, f"answered by fallback {target}", TraceKind.ATTEMPT,
                                        target=target))
            yield self._finish(answer.cid, reply_id, target, stream, trace, started, answer.usage_kind,
                               answer.continued)
            return
        yield self._nothing_answered(answer, chain, available, last_error)

    def _chain_availability(self, answer: _Answer) -> AvailabilityCheck:
        """Fallback never crosses the line: a conversation that must stay here falls back
        to local targets only; and never to a target that cannot hold it."""
        protection = answer.protection
        base = self.availability if protection.allows_remote else kept_local(self.availability, protection)
        return self.routing.holding(base, answer.conversation, answer.settings)

    def _nothing_answered(self, answer: _Answer, chain: list[str], available: AvailabilityCheck,
                          last_error: ProviderError | None) -> Failed:
        reason = last_error.message if last_error else "No target in the fallback chain is available."
        if not answer.protection.allows_remote and any(not is_local(t) for t in chain):
            reason += (" Only models on this computer may answer here "
                       f"({_why_kept(answer.protection)}); install or fix a local model, "
                       "or start a new chat for this question.")
        # A reply being continued keeps its text, and can be continued again.
        self.store.update_message(answer.reply_id, status="incomplete" if answer.continued else "failed",
                                  trace=answer.trace, error=reason)
        fix = (Fix(FixKind.ADD_KEY, last_error.provider) if isinstance(last_error, AuthError)
               else self._fix_for_unavailable(answer.router))
        if not answer.protection.allows_remote and fix is None:
            fix = Fix(FixKind.LOCAL_MODELS)
        return self._failed(answer.reply_id, f"Nothing could answer: {reason}", fix=fix, error=last_error)

    def _failed(self, reply_id: int, reason: str, partial: str = "", fix: Fix | None = None,
                error: ProviderError | None = None) -> Failed:
        return Failed(reply_id, reason, partial, fix, self.store.message(reply_id), error)

    def _fix_for_unavailable(self, router: Router) -> Fix | None:
        return fix_for_unavailable(router.targets(), self.availability)

    async def _attempt(self, answer: _Answer, target: str, messages: tuple[ChatMessage, ...],
                       stream: _Stream) -> AsyncIterator[str | PromptProgress]:
        """One target, with bounded retries while nothing has streamed yet: the conversation
        made to fit the target's window, then the egress gate, which shapes (or refuses)
        what a remote target receives."""
        messages, protection = await self._fitted(answer, target, messages)
        messages, notice = self._seen(answer, target, messages)
        gate = self.gate.bind(protection, answer.cid)
        note = gate.outgoing(target, messages).note  # raises PrivacyRefused before any send
        if note:
            answer.trace.append(TraceEntry(None, True, f"sent to {target}: {note}", TraceKind.PRIVACY,
                                           target=target))
        if not is_local(target) and self._warm_key is not None:
            await self._warm_key(target.partition(":")[0])
        for attempt in range(self.retry.attempts + 1):
            # Its own token, which the user's Stop cancels: a provider that cancels its
            # token on the way out of a failure must not cancel the next attempt too.
            cancel = CancelToken()
            answer.cancel.on_cancel(cancel.cancel)
            try:
                stream.limit = _reply_limit(answer.settings, self.max_tokens)
                request = ChatRequest(target, messages, _sampling(answer.settings),
                                      max_tokens=stream.limit[0] if stream.limit else None,
                                      cancel=cancel)
                # A remote target's first word comes in seconds or not at all; a local one
                # may read a long conversation first (its progress is its own).
                first_token_s = None if is_local(target) else self.first_token_timeout_s
                async for item in self._consume(gate.stream(target, request), stream, answer.stopped,
                                                answer.reply_id, first_token_s):
                    if notice and isinstance(item, str):  # said once the target has answered
                        stream.parts.insert(0, notice)
                        item, notice = notice + item, ""
                    if isinstance(item, str) and len(stream.parts) == 1 and (gap := _gap(stream.prefix, item)):
                        stream.parts.insert(0, gap)  # Continue: the words part where they meet
                        item = gap + item
                    yield item
                return
            except ProviderError as error:
                if stream.parts or not error.retryable or attempt == self.retry.attempts:
                    raise
                await asyncio.sleep(self.retry.delay(attempt, error))

    async def _fitted(self, answer: _Answer, target: str,
                      messages: tuple[ChatMessage, ...]) -> tuple[tuple[ChatMessage, ...], Protection]:
        """The messages ``target`` can hold, with the protection that follows them; the
        trace says what was sent. ContextTooLongError when nothing the policy allows fits."""
        if self.fitter is None:
            head = (ChatMessage("system", answer.settings.system_prompt),) \
                if answer.settings.system_prompt else ()
            return (*head, *messages), answer.protection
        cancel = CancelToken()  # a summary being written stops with the reply
        answer.cancel.on_cancel(cancel.cancel)
        fitted = await self.fitter.fitted(FitRequest(answer.cid, target, answer.rows, messages,
                                                     answer.protection, answer.settings), cancel)
        answer.trace.append(TraceEntry(None, True, f"sent to {target}: {fitted.note}", TraceKind.CONTEXT,
                                       target=target))
        return fitted.messages, fitted.protection

    def _seen(self, answer: _Answer, target: str,
              messages: tuple[ChatMessage, ...]) -> tuple[tuple[ChatMessage, ...], str]:
        """Images go only to a target that can see them; for one that cannot, they are
        left out and the reply begins by saying so (never dropped in silence)."""
        facts = self.routing.facts
        if facts is None or facts.vision(target) or not any(m.images for m in messages):
            return messages, ""
        answer.trace.append(TraceEntry(None, False, f"image not sent: {target} reads text only",
                                       TraceKind.ATTEMPT, target=target))
        text_only = tuple(replace(m, images=()) for m in messages)
        return text_only, f"*(The image was not shown to {model_of(target)}: it reads text only.)*\n\n"

    async def _consume(self, events: AsyncIterator[Any], stream: _Stream, stopped: asyncio.Event,
                       reply_id: int, first_token_s: float | None = None,
                       ) -> AsyncIterator[str | PromptProgress]:
        """Read a provider's events; Stop ends the wait at once, even on a stalled stream.
        ``first_token_s``: how long to wait for the first word before giving up on it."""
        checkpoint = started = time.monotonic()
        stop_wait = asyncio.ensure_future(stopped.wait())
        try:
            while True:
                next_event = asyncio.ensure_future(events.__anext__())
                wait = None if first_token_s is None or stream.first_token_at is not None \
                    else max(0.0, first_token_s - (time.monotonic() - started))
                done, _ = await asyncio.wait({next_event, stop_wait}, timeout=wait,
                                             return_when=asyncio.FIRST_COMPLETED)
                if next_event not in done:
                    next_event.cancel()  # ends the provider's wait, closing its response
                    with contextlib.suppress(BaseException):
                        await next_event
                    if stop_wait not in done:
                        raise FirstTokenTimeout(f"no answer within {first_token_s:g} s")
                    stream.finish = "cancelled"
                    return
                try:
                    event = next_event.result()
                except StopAsyncIteration:
                    return
                if isinstance(event, TextDelta):
                    stream.first_token_at = stream.first_token_at or time.monotonic()
                    stream.parts.append(event.text)
                    yield event.text
                    if time.monotonic() - checkpoint >= CHECKPOINT_S:
                        self.store.update_message(reply_id, content=stream.text)
                        checkpoint = time.monotonic()
                elif isinstance(event, PromptProgress):
                    yield event
                elif isinstance(event, Usage):
                    stream.usage = event
                elif isinstance(event, Finish):
                    stream.finish = event.reason
        finally:
            stop_wait.cancel()
            await events.aclose()  # type: ignore[attr-defined]

    def _finish(self, cid: int, reply_id: int, target: str, stream: _Stream, trace: list[TraceEntry],
                started: float, kind: str = "chat", continued: MessageRow | None = None) -> Done:
        usage = stream.usage or Usage(0, 0, estimated=True)
        cost = self.pricing.cost(target, usage.input_tokens, usage.output_tokens)
        latency = (time.monotonic() - started) * 1000
        ttft = (stream.first_token_at - started) * 1000 if stream.first_token_at else None
        status = "incomplete" if stream.finish == "cancelled" else "complete"
        tokens_out = usage.output_tokens
        if continued is not None:  # the message's figures are its whole text's; usage bills each call
            tokens_out += continued.tokens_out or 0
            cost = None if cost is None else cost + (continued.cost or 0.0)
            latency += continued.latency_ms or 0.0
            ttft = continued.ttft_ms if continued.ttft_ms is not None else ttft
        self.store.update_message(reply_id, content=stream.text, status=status, target=target, trace=trace,
                                  tokens_in=usage.input_tokens, tokens_out=tokens_out,
                                  cost=cost, latency_ms=latency, ttft_ms=ttft,
                                  error=_cut_off(stream, usage) if stream.finish == "length" else None)
        self.store.add_usage(conversation_id=cid, message_id=reply_id, target=target, kind=kind,
                             tokens_in=usage.input_tokens, tokens_out=usage.output_tokens, cost=cost,
                             estimated=usage.estimated)
        row = self.store.message(reply_id)
        assert row is not None  # written just above
        return Done(row)

    def _auto_title(self, cid: int, text: str) -> str | None:
        """Name a new chat after its first message; returns the title when it did."""
        row = self.store.conversation(cid)
        if row is None or row.title != "New chat":
            return None
        # Titles show in the sidebar and in exports: never a private value.
        words = " ".join(Redactor().redact(text).split())
        title = words if len(words) <= TITLE_CHARS else words[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        if not title:
            return None
        self.store.rename_conversation(cid, title)
        return title


def can_continue(row: MessageRow) -> bool:
    """A reply a model can go on with: it has text, and it was stopped, broke off, or was
    cut off at its length limit (complete, with a note saying so)."""
    return (row.role == "assistant" and bool(row.content) and row.target is not None
            and (row.status == "incomplete" or (row.status == "complete" and row.error is not None)))


def _gap(before: str, after: str) -> str:
    """The space between a reply's text and its continuation, when they meet word to word:
    a model asked to go on starts a fresh message, without the space a next token has."""
    if before and after and not before[-1].isspace() and before[-1] not in "([{\"'‘“/-" \
            and after[0].isalnum():
        return " "
    return ""


def _sent(rows: Sequence[MessageRow]) -> tuple[Conversation, list[MessageRow]]:
    """The stored messages a target receives (finished replies only), as turns and rows."""
    kept = [m for m in rows
            if m.role in ("user", "system") or (m.role == "assistant" and m.status == "complete")]
    return Conversation([Turn(m.role, m.content, len(m.attachments or ())) for m in kept]), kept


def _messages(conversation: Conversation, images: tuple[ImagePart, ...]) -> tuple[ChatMessage, ...]:
    """The conversation for a provider; this message's images ride on the last user turn
    (earlier images are not sent again)."""
    out = [ChatMessage(t.role, t.content) for t in conversation]  # type: ignore[arg-type]
    last_user = max((i for i, m in enumerate(out) if m.role == "user"), default=None)
    if images and last_user is not None:
        out[last_user] = ChatMessage("user", out[last_user].text, images)
    return tuple(out)


def _chosen(again: str | None, settings: ChatSettings) -> Decision:
    """The decision when routing is bypassed: an answer again by the same model, or the
    one model the chat's settings name."""
    if again is not None:
        return Decision(again, None, f"Answered again by {again}, as asked.", [])
    assert settings.target is not None
    return Decision(settings.target, None, f"{settings.target} answers this chat (Chat settings).", [])


def _reply_limit(settings: ChatSettings, app_limit: int | None) -> tuple[int, str] | None:
    """The chat's own longest reply, else the app's; with where the person changes it."""
    if settings.max_tokens is not None:
        return settings.max_tokens, "this chat's Chat settings"
    return (app_limit, "Settings → Chats") if app_limit is not None else None


def _cut_off(stream: _Stream, usage: Usage) -> str:
    """Why a reply ended with "length", in the words the reply shows under it: the
    reply's limit, or (a local model's) context window filled before that limit."""
    if stream.limit is not None and (usage.estimated or usage.output_tokens >= stream.limit[0]):
        limit, where = stream.limit
        return f"Cut off: the reply reached its limit of {limit:,} tokens (change it in {where})."
    return "Cut off: the model's context window is full; start a new chat or pick a model with a longer one."


def _sampling(settings: ChatSettings) -> Sampling:
    return Sampling(temperature=settings.temperature, top_p=settings.top_p)
