"""One streaming interface for every model, local or remote.

A provider turns a ChatRequest into an async stream of events: text deltas, then usage,
then exactly one Finish. Failures are raised as the typed errors of ``errors.py``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ImagePart:
    mime: str  # "image/png", "image/jpeg", …
    data: bytes = field(repr=False)

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    text: str
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True, slots=True)
class Sampling:
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()


class CancelToken:
    """Stop, shared between the UI's thread, the event loop and a worker thread."""

    __slots__ = ("_event", "_listeners", "_lock")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def on_cancel(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (on the cancelling thread) when cancelled; at once if already."""
        with self._lock:
            if not self._event.is_set():
                self._listeners.append(listener)
                return
        listener()


@dataclass(frozen=True, slots=True)
class ChatRequest:
    model: str
    messages: tuple[ChatMessage, ...]
    sampling: Sampling = Sampling()
    max_tokens: int | None = None
    cancel: CancelToken = field(default_factory=CancelToken, compare=False)
    # When set, the answer must be one of these words, sent back as the JSON text
    # {"answer": "<word>"}: each API's structured output enforces it (JSON schema,
    # a forced tool call, a response schema).
    choices: tuple[str, ...] = ()


def choice_schema(choices: tuple[str, ...]) -> dict[str, object]:
    return {"type": "object", "properties": {"answer": {"type": "string", "enum": list(choices)}},
            "required": ["answer"], "additionalProperties": False}


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int
    estimated: bool = False  # counted by us (cl100k) because the server did not report it


FinishReason = Literal["stop", "length", "cancelled"]


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason


@dataclass(frozen=True, slots=True)
class PromptProgress:
    """A local model is reading the prompt: ``done`` of ``total`` tokens evaluated (before
    any text; a long conversation can take minutes on a CPU)."""

    done: int
    total: int


StreamEvent = TextDelta | Usage | Finish | PromptProgress


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str  # plain words: "OK, 12 models", "bad API key", "cannot reach …"


@runtime_checkable
class Provider(Protocol):
    """Every provider: local llama.cpp, OpenAI-compatible, Anthropic, Gemini."""

    id: str

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]: ...

    async def list_models(self) -> list[str]: ...

    async def health(self) -> Health: ...

    async def aclose(self) -> None: ...
