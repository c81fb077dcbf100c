"""Size conditions: message/conversation tokens, message count, message characters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields, RouterFormatError, number_at

# JSON type → (what the trace calls it, how to read it from a context)
QUANTITIES: dict[str, tuple[str, Callable[[RouteContext], int]]] = {
    "message_tokens": ("message {} tokens", lambda c: c.message_tokens),
    "conversation_tokens": ("conversation {} tokens", lambda c: c.conversation_tokens),
    "message_count": ("conversation has {} messages", lambda c: c.message_count),
    "message_chars": ("message {} characters", lambda c: len(c.message)),
}
OPS = ("<", "<=", ">", ">=", "between")
# A cl100k token stands for at least one UTF-8 byte, so a text's byte length bounds its
# token count from above: "more than 4,000 tokens?" is answered "no" for a short message
# without loading the vocabulary (0.3 s on a cold start) or encoding anything.
TOKEN_BOUNDS: dict[str, Callable[[RouteContext], int]] = {
    "message_tokens": lambda c: c.message_bytes,
    "conversation_tokens": lambda c: c.conversation_bytes,
}


@dataclass(frozen=True, slots=True)
class Measure(Condition):
    quantity: str  # a key of QUANTITIES; it is the JSON "type"
    op: str
    value: float
    upper: float | None = None  # only for "between" (inclusive on both ends)

    type_name = "measure"  # stands for all QUANTITIES; see to_dict

    def holds(self, n: float) -> bool:
        if self.op == "<":
            return n < self.value
        if self.op == "<=":
            return n <= self.value
        if self.op == ">":
            return n > self.value
        if self.op == ">=":
            return n >= self.value
        assert self.upper is not None
        return self.value <= n <= self.upper

    def test(self, ctx: RouteContext) -> bool:
        if self._too_small(ctx) is not None:
            return False
        return self.holds(QUANTITIES[self.quantity][1](ctx))

    def evaluate(self, ctx: RouteContext) -> Match:
        at_most = self._too_small(ctx)
        if at_most is not None:
            return Match(False, lambda: self._detail(f"at most {_num(at_most)}", False))
        n = QUANTITIES[self.quantity][1](ctx)
        ok = self.holds(n)
        return Match(ok, lambda: self._detail(_num(n), ok))

    def _too_small(self, ctx: RouteContext) -> int | None:
        """The token count's upper bound when that alone says "no" to a lower limit."""
        bound_of = TOKEN_BOUNDS.get(self.quantity)
        if bound_of is None or self.op in ("<", "<="):
            return None
        bound = bound_of(ctx)
        return bound if bound < self.value or (self.op == ">" and bound == self.value) else None

    def _detail(self, n: str, ok: bool) -> str:
        if self.op == "between":
            bound = f"between {_num(self.value)} and {_num(self.upper)}"
        else:
            bound = f"{self.op} {_num(self.value)}"
        return f"{QUANTITIES[self.quantity][0].format(n)} {'' if ok else 'not '}{bound}"

    def to_dict(self) -> dict[str, Any]:
        value: Any = [self.value, self.upper] if self.op == "between" else self.value
        return {"type": self.quantity, "op": self.op, "value": value}

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "op", "value")
        quantity = f.text("type")
        op = f.choice("op", OPS)
        if op != "between":
            return cls(quantity, op, f.number("value"))
        raw = f.raw("value")
        if not isinstance(raw, list) or len(raw) != 2:
            f.fail("value", 'with "between", expected [low, high]')
        low = number_at(raw[0], f.at("value") + "[0]")
        high = number_at(raw[1], f.at("value") + "[1]")
        if low > high:
            raise RouterFormatError(f.at("value"), f"low {_num(low)} is above high {_num(high)}")
        return cls(quantity, op, low, high)


def _num(n: float | None) -> str:
    if n is None:
        return "?"
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,}"
