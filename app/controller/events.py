"""What the chat controller tells its faces (the window, the CLI) while a message is answered."""

from __future__ import annotations

from dataclasses import dataclass

from app.controller.fixes import Fix
from app.core.providers.errors import ProviderError
from app.core.router import Decision
from app.core.store import MessageRow


@dataclass(frozen=True, slots=True)
class Routed:
    """The router chose; the reply (``message_id``) is about to stream from ``target``."""

    conversation_id: int
    user_message_id: int
    message_id: int
    decision: Decision


@dataclass(frozen=True, slots=True)
class FallbackUsed:
    """``failed`` could not answer before its first token; ``next_target`` is tried next."""

    failed: str
    reason: str  # the provider error in plain words
    next_target: str


@dataclass(frozen=True, slots=True)
class Delta:
    text: str


@dataclass(frozen=True, slots=True)
class Reading:
    """The answering local model is reading the conversation: ``done`` of ``total``
    prompt tokens, before its first word."""

    message_id: int
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class Titled:
    """A new chat was named after its first message."""

    conversation_id: int
    title: str


@dataclass(frozen=True, slots=True)
class Done:
    """The reply is finished and stored: ``message`` is its row as written, so a face
    shows it without reading the store again."""

    message: MessageRow

    @property
    def message_id(self) -> int:
        return self.message.id

    @property
    def target(self) -> str:
        return self.message.target or ""

    @property
    def status(self) -> str:  # "complete", or "incomplete" when stopped
        return self.message.status

    @property
    def text(self) -> str:
        return self.message.content

    @property
    def tokens_in(self) -> int:
        return self.message.tokens_in or 0

    @property
    def tokens_out(self) -> int:
        return self.message.tokens_out or 0

    @property
    def cost(self) -> float | None:
        return self.message.cost

    @property
    def latency_ms(self) -> float:
        return self.message.latency_ms or 0.0

    @property
    def ttft_ms(self) -> float | None:
        return self.message.ttft_ms


@dataclass(frozen=True, slots=True)
class Failed:
    """Nothing could finish the reply. ``partial`` is what arrived before it broke (kept).

    ``fix`` names what would help, for a face to offer as an action (a key to add,
    going online, a provider to set up).
    """

    message_id: int | None
    reason: str
    partial: str = ""
    fix: Fix | None = None
    message: MessageRow | None = None  # the reply's row as stored, when there is one
    error: ProviderError | None = None  # the last provider's error, for faces that map it (the API)


ChatEvent = Routed | Titled | FallbackUsed | Reading | Delta | Done | Failed
