"""How full a chat's context is for the model that would answer it next: what the
chat's context meter shows ("3.1k of 4k tokens")."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.chat_settings import ContextPolicy


@dataclass(frozen=True, slots=True)
class ContextUse:
    used: int  # tokens the next request would send (estimated), the reply's reserve excluded
    window: int  # the target's context window in tokens
    target: str | None  # the model it was measured for; None when nothing can answer
    policy: ContextPolicy  # what happens when the conversation outgrows the window
    left_out: int = 0  # older messages not sent verbatim (dropped or summarized)
    total: int = 0  # messages in the conversation
    summarized: int = 0  # of left_out, how many a stored summary covers

    @property
    def fraction(self) -> float:
        return min(1.0, self.used / self.window) if self.window else 0.0

    def label(self) -> str:
        """ "3.1k of 4k tokens" """
        return f"{_short(self.used)} of {_short(self.window)} tokens"


def _short(tokens: int) -> str:
    if tokens < 1000:
        return str(tokens)
    if tokens % 1024 == 0:  # windows come in binary thousands: 4,096 is "4k", as models say
        return f"{tokens // 1024}k"
    thousands = tokens / 1000
    # 4,096 → "4k", 3,100 → "3.1k", 128,000 → "128k"
    text = f"{thousands:.1f}" if thousands < 10 else f"{thousands:.0f}"
    return text.removesuffix(".0") + "k"
