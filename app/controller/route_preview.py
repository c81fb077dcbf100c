"""The router editor's test panel: route a typed message exactly as a chat would.

It asks the session's ``RoutingService``, as the chat and ``python -m app route`` do,
with the session's real availability (providers, keys, downloads) and the panel's own
offline switch. Only the sticky state is left out: a test message starts no conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.core.router import Decision, Router, Turn
from app.core.router.classifier import ClassifierAnswer

if TYPE_CHECKING:
    from app.controller.session import Session

ROLES = ("user", "assistant")


@dataclass(frozen=True, slots=True)
class PreviewInput:
    message: str
    image: bool = False
    now: datetime | None = None  # None: the current time
    offline: bool = False
    history: tuple[Turn, ...] = ()  # earlier turns, oldest first

    def turns(self) -> list[Turn]:
        return [*self.history, Turn("user", self.message, 1 if self.image else 0)]


def parse_history(text: str) -> tuple[Turn, ...]:
    """Earlier turns typed one per line; "assistant: …" or "user: …" picks the speaker,
    a line without a prefix is the user's."""
    turns = []
    for line in text.splitlines():
        role, sep, rest = line.partition(":")
        if sep and role.strip().lower() in ROLES:
            turns.append(Turn(role.strip().lower(), rest.strip()))
        elif line.strip():
            turns.append(Turn("user", line.strip()))
    return tuple(turns)


class RoutePreview:
    """A typed test message, routed by the session's own routing service."""

    def __init__(self, session: Session) -> None:
        self._routing = session.routing

    def decide(self, router: Router, given: PreviewInput) -> Decision:
        return self._routing.decide(router, given.turns(), now=given.now, offline=given.offline)

    async def classify(self, router: Router, decision: Decision,
                       given: PreviewInput) -> tuple[Decision, ClassifierAnswer]:
        """Ask the router's classifier about the rules the decision left to it."""
        result = await self._routing.classify(router, decision, given.turns())
        assert result.classifier is not None  # the panel asks only when rules were left
        return result.decision, result.classifier


def decision_summary(decision: Decision) -> dict[str, object]:
    """What must be equal between two routings of the same input (not the timing)."""
    out = decision.to_dict()
    out.pop("elapsed_us", None)
    return out
