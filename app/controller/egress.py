"""The one way off this computer: every request to a remote target passes ``EgressGate``.

The gate holds the provider registry; the chat controller and the classifier get their
providers from it and never from the registry itself (tests/unit/test_egress_paths.py
checks that by reading the code). For a local target it hands the request through. For a
remote one it looks at everything about to be sent, every user and assistant turn and
the system prompt, and applies the conversation's privacy state:

- locked, or protected under ``"history": "local"``: refused (the routing service has
  already kept such a conversation on local targets; this is the backstop);
- ``redact``: private values become stable placeholders in every message, and the
  streamed reply gets the originals back as it arrives;
- ``omit``: the private turns and the replies to them are left out.

What left is logged (target, host, bytes, which messages, how many values redacted),
never the content.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Health,
    Provider,
    StreamEvent,
    TextDelta,
)
from app.core.providers.errors import ProviderError
from app.core.providers.registry import ProviderRegistry
from app.core.redaction import PLACEHOLDER, Redactor, Restorer
from app.core.router.classifier_models import LocalScorer
from app.core.router.targets import is_local, provider_of
from app.core.store import Store


class PrivacyRefused(ProviderError):
    """A remote target was asked to receive a conversation that must stay here."""


@dataclass(frozen=True, slots=True)
class Protection:
    """A conversation's privacy state, for one request."""

    policy: str = "local"  # the router's "history": local | redact | omit
    kinds: tuple[str, ...] = ()  # the kinds of private data the router looks for
    private: frozenset[int] = frozenset()  # indices of private user turns in the messages
    message_ids: tuple[int | None, ...] = ()  # the store id of each message, for the log
    locked: bool = False  # locked to this computer (the chat's lock, or a private message)
    unlocked: bool = False  # the user unlocked it although it holds private messages
    reasons: tuple[str, ...] = field(default=())  # "message 3 holds an email address"

    @property
    def protected(self) -> bool:
        return bool(self.private)

    @property
    def allows_remote(self) -> bool:
        if self.locked:
            return False
        return not (self.protected and self.policy == "local" and not self.unlocked)


OPEN = Protection()  # nothing private: what a test message or a new chat has


@dataclass(frozen=True, slots=True)
class Outgoing:
    messages: tuple[ChatMessage, ...]
    restorer: Restorer | None
    note: str  # for the trace: what was done to the conversation, never the values
    redactions: dict[str, int]
    omitted: int


def shape(messages: Sequence[ChatMessage], protection: Protection) -> Outgoing:
    """What a remote target may see of ``messages`` under ``protection``."""
    if not protection.allows_remote:
        why = "this chat is locked to this computer" if protection.locked else \
            f"this conversation holds private data ({'; '.join(protection.reasons)})"
        raise PrivacyRefused(f"Not sent to the cloud: {why}.")
    if protection.policy == "redact":
        return _redacted(messages, protection)
    if protection.policy == "omit" and protection.protected:
        return _omitted(messages, protection)
    return Outgoing(tuple(messages), None, "", {}, 0)  # nothing private, or unlocked by the user


def _redacted(messages: Sequence[ChatMessage], protection: Protection) -> Outgoing:
    redactor = Redactor(protection.kinds)
    # Private turns first, so their values have placeholders before a reply quotes them.
    order = sorted(range(len(messages)), key=lambda i: (i not in protection.private, i))
    texts = {i: redactor.redact(messages[i].text) for i in order}
    kept_back = [i for i in protection.private if not _has_placeholder(texts[i])]
    out = tuple(replace(m, text=texts[i]) for i, m in enumerate(messages)
                if i not in kept_back)  # a rule-marked turn with nothing to redact is left out
    notes = []
    if kept_back:
        notes.append(f"{_count(len(kept_back), 'private message')} left out")
    if redactor.summary():
        notes.append(f"redacted {redactor.summary()}")
    restorer = Restorer(redactor.originals()) if redactor.originals() else None
    return Outgoing(out, restorer, "; ".join(notes), dict(redactor.replaced), len(kept_back))


def _omitted(messages: Sequence[ChatMessage], protection: Protection) -> Outgoing:
    left_out = set(protection.private)
    for i in protection.private:  # the reply to a private turn repeats it more often than not
        if i + 1 < len(messages) and messages[i + 1].role == "assistant":
            left_out.add(i + 1)
    out = tuple(m for i, m in enumerate(messages) if i not in left_out)
    n = len(protection.private)
    return Outgoing(out, None, f"{_count(n, 'private message')} and the replies to them left out",
                    {}, n)


def _has_placeholder(text: str) -> bool:
    return PLACEHOLDER.search(text) is not None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


class EgressGate:
    def __init__(self, registry: ProviderRegistry, store: Store) -> None:
        self._registry = registry
        self._store = store

    @property
    def local(self) -> LocalScorer:
        return self._registry.local

    def resolve(self, target: str) -> tuple[Provider, str]:
        """A provider for ``target`` that sends nothing private (the classifier's view:
        it has no conversation of its own, so nothing it sends is marked private)."""
        return self.bind(OPEN, None, "classifier").resolve(target)

    def bind(self, protection: Protection, conversation_id: int | None,
             kind: str = "chat") -> BoundGate:
        return BoundGate(self, protection, conversation_id, kind)

    async def stream(self, target: str, request: ChatRequest, outgoing: Outgoing,
                     conversation_id: int | None, kind: str, message_ids: Sequence[int | None]
                     ) -> AsyncIterator[StreamEvent]:
        provider, model = self._registry.resolve(target)
        if is_local(target):
            async for event in provider.stream_chat(replace(request, model=model)):
                yield event
            return
        sent = replace(request, model=model, messages=outgoing.messages)
        self._log(target, provider, sent, outgoing, conversation_id, kind, message_ids)
        restorer = outgoing.restorer
        async for event in provider.stream_chat(sent):
            if restorer is not None and isinstance(event, TextDelta):
                text = restorer.feed(event.text)
                if text:
                    yield TextDelta(text)
            else:
                yield event
        if restorer is not None and (tail := restorer.flush()):
            yield TextDelta(tail)

    def _log(self, target: str, provider: Provider, sent: ChatRequest, outgoing: Outgoing,
             conversation_id: int | None, kind: str, message_ids: Sequence[int | None]) -> None:
        body = json.dumps([{"role": m.role, "text": m.text} for m in sent.messages], ensure_ascii=False)
        size = len(body.encode("utf-8")) + sum(len(i.data) for m in sent.messages for i in m.images)
        ids = [i for i in message_ids if i is not None]
        self._store.add_egress(conversation_id=conversation_id, kind=kind, target=target,
                               host=_host(provider, target), size=size, message_ids=ids,
                               redactions=outgoing.redactions, omitted=outgoing.omitted)


class BoundGate:
    """The gate for one conversation's request: what the chat and its classifier call."""

    def __init__(self, gate: EgressGate, protection: Protection, conversation_id: int | None,
                 kind: str) -> None:
        self._gate = gate
        self.protection = protection
        self._conversation_id = conversation_id
        self._kind = kind

    @property
    def local(self) -> LocalScorer:
        return self._gate.local

    def resolve(self, target: str) -> tuple[Provider, str]:
        return _GatedProvider(self, target), target.partition(":")[2]

    def outgoing(self, target: str, messages: Sequence[ChatMessage]) -> Outgoing:
        """What ``target`` would receive (raises PrivacyRefused when nothing may go)."""
        if is_local(target):
            return Outgoing(tuple(messages), None, "", {}, 0)
        return shape(messages, self.protection)

    def stream(self, target: str, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        outgoing = self.outgoing(target, request.messages)
        ids = self.protection.message_ids if len(self.protection.message_ids) == len(request.messages) \
            else ()
        return self._gate.stream(target, request, outgoing, self._conversation_id, self._kind, ids)


class _GatedProvider:
    """A provider as the classifier sees it: its chat calls go through the gate."""

    def __init__(self, bound: BoundGate, target: str) -> None:
        self.id = provider_of(target)
        self._bound = bound
        self._target = target

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._bound.stream(self._target, request)

    async def list_models(self) -> list[str]:
        raise NotImplementedError("the gate only sends chat requests")

    async def health(self) -> Health:
        raise NotImplementedError("the gate only sends chat requests")

    async def aclose(self) -> None:
        return None


def _host(provider: Provider, target: str) -> str:
    base = getattr(provider, "base_url", "")
    return urlsplit(base).netloc or provider_of(target)
