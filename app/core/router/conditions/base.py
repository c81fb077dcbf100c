"""What every condition is: evaluated against a context, read from and written to JSON."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from app.core.router.context import RouteContext

Detail = str | Callable[[], str]


class Match:
    """A condition's verdict and its one-clause explanation ('keyword "invoice" found').

    The explanation may be given as a function and is then written only when someone
    reads it: routing checks every rule on every message, but the trace's words are
    read once, after the decision, off the hot path.
    """

    __slots__ = ("explanation", "matched")

    def __init__(self, matched: bool, explanation: Detail) -> None:
        self.matched = matched
        self.explanation = explanation  # the words, or a function that writes them

    @property
    def detail(self) -> str:
        detail = self.explanation
        if not isinstance(detail, str):
            detail = self.explanation = detail()
        return detail

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return (self.matched, self.detail) == (other.matched, other.detail)

    def __repr__(self) -> str:
        return f"Match({self.matched!r}, {self.detail!r})"


class Condition(ABC):
    """A calculated test of a message. Subclasses are frozen dataclasses (equal by value);
    each simple one also has ``from_fields(Fields)`` for ``parse_condition``."""

    type_name: ClassVar[str]  # the "type" in JSON

    @abstractmethod
    def evaluate(self, ctx: RouteContext) -> Match:
        """The verdict with its explanation (for the trace)."""

    def test(self, ctx: RouteContext) -> bool:
        """The verdict alone: the routing hot path, so subclasses make it allocation-free."""
        return self.evaluate(ctx).matched

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...
