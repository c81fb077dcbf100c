"""What the chat controller tells its faces (the window, the CLI) while a message is answered."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.router import Decision


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
class Done:
    message_id: int
    target: str
    status: str  # "complete", or "incomplete" when stopped
    text: str
    tokens_in: int
    tokens_out: int
    cost: float | None
    latency_ms: float
    ttft_ms: float | None


@dataclass(frozen=True, slots=True)
class Failed:
    """Nothing could finish the reply. ``partial`` is what arrived before it broke (kept).

    ``fix`` names what would help, for a face to offer as an action: ``add_key:<provider>``
    (a key is missing or was refused) or ``go_online`` (offline mode left nothing to ask).
    """

    message_id: int | None
    reason: str
    partial: str = ""
    fix: str | None = None


ChatEvent = Routed | FallbackUsed | Delta | Done | Failed
