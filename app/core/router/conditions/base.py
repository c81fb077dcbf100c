"""What every condition is: evaluated against a context, read from and written to JSON."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from app.core.router.context import RouteContext


@dataclass(frozen=True, slots=True)
class Match:
    matched: bool
    detail: str  # one clause for the decision trace: 'keyword "invoice" found'


class Condition(ABC):
    """A calculated test of a message. Subclasses are frozen dataclasses (equal by value);
    each simple one also has ``from_fields(Fields)`` for ``parse_condition``."""

    type_name: ClassVar[str]  # the "type" in JSON

    @abstractmethod
    def evaluate(self, ctx: RouteContext) -> Match: ...

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...
