"""A conversation's own settings: what the person set for this chat, as plain data.

Stored per conversation (JSON in ``conversations.settings``) and exported with it. Every
field is optional: None means "as the app's settings say" (the context policy) or "as the
model decides" (sampling, reply length). ``target`` picks one model for the chat instead
of its router.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from app.core.router.targets import is_target

SYSTEM_PROMPT_CHARS = 20_000
MAX_REPLY_TOKENS = 1_000_000
# The longest reply of a chat that sets none (Settings → Chats can change it): no model
# may write for ever. 2,048 tokens is ~1,500 words, longer than nearly any chat answer;
# a model stuck repeating itself stops after ~30 s at the bundled model's 70 tok/s here,
# not minutes later.
REPLY_LIMIT_TOKENS = 2048


class ContextPolicy(StrEnum):
    """What happens when a conversation outgrows the window of the model answering it."""

    ROLLING = "rolling"  # the system prompt and as many recent turns as fit
    SUMMARIZE = "summarize"  # older turns summarized by a local model, the recent ones verbatim
    STOP = "stop"  # nothing is left out: the person decides (a new chat, another model)


DEFAULT_POLICY = ContextPolicy.ROLLING


class ChatSettingsError(ValueError):
    """A chat setting is out of range; the message says which and what is allowed."""


@dataclass(frozen=True, slots=True)
class ChatSettings:
    system_prompt: str = ""
    temperature: float | None = None  # 0–2
    top_p: float | None = None  # 0–1
    max_tokens: int | None = None  # per reply
    context_policy: ContextPolicy | None = None  # None: the app's default
    target: str | None = None  # one model for this chat ("provider:model"); None: its router

    def __post_init__(self) -> None:
        _check_range("Temperature", self.temperature, 0.0, 2.0)
        _check_range("Top-p", self.top_p, 0.0, 1.0)
        if self.max_tokens is not None:
            check_reply_tokens(self.max_tokens)
        if len(self.system_prompt) > SYSTEM_PROMPT_CHARS:
            raise ChatSettingsError(f"The system prompt is limited to {SYSTEM_PROMPT_CHARS:,} characters.")
        if self.target is not None and not is_target(self.target):
            raise ChatSettingsError(f'"{self.target}" is not a model (expected "provider:model").')

    def policy(self, default: ContextPolicy = DEFAULT_POLICY) -> ContextPolicy:
        return self.context_policy or default

    def updated(self, **changes: Any) -> ChatSettings:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """Only what was set, so a default that changes later reaches old chats too."""
        return {k: (str(v) if isinstance(v, ContextPolicy) else v) for k, v in asdict(self).items()
                if v not in (None, "")}

    @classmethod
    def from_json(cls, data: object) -> ChatSettings:
        """Lenient: a stored value that is no longer valid is dropped, never fatal."""
        if not isinstance(data, dict):
            return cls()
        settings = cls()
        for name, value in data.items():
            try:
                if name == "context_policy":
                    value = ContextPolicy(value)
                if name in {f for f in cls.__dataclass_fields__}:
                    settings = replace(settings, **{name: value})
            except (ValueError, TypeError):
                continue
        return settings


def check_reply_tokens(value: object) -> int:
    """``value`` when it can bound a reply's length; ChatSettingsError saying why not."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REPLY_TOKENS:
        raise ChatSettingsError(f"Max reply tokens must be a whole number from 1 to "
                                f"{MAX_REPLY_TOKENS:,}, not {value!r}.")
    return value


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ChatSettingsError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}.")
