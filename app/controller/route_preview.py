"""The router editor's test panel: route a typed message exactly as a chat would.

Same engine call as ``python -m app route`` and the chat controller (``decide`` on a
RouteContext of the conversation, the time and the availability check), with the
session's real availability (providers, keys, downloads) and the panel's own offline
switch. Only the sticky state is left out: a test message starts no conversation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from app.controller.availability import Availabilities
from app.core.router import Decision, RouteContext, Router, Turn, decide
from app.core.router.classifier import ClassifierAnswer, apply_answer, classify
from app.core.tokens import default_counter

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
    def __init__(self, session: Session) -> None:
        self._session = session

    def availability(self, offline: bool) -> Availabilities:
        return self._session.availability.with_offline(offline)

    def decide(self, router: Router, given: PreviewInput) -> Decision:
        now = given.now or datetime.now().astimezone()
        return decide(router, RouteContext(given.turns(), now, self.availability(given.offline),
                                           default_counter()))

    async def classify(self, router: Router, decision: Decision,
                       given: PreviewInput) -> tuple[Decision, ClassifierAnswer]:
        """Ask the router's classifier about the rules the decision left to it."""
        rules = [router.rule(rule_id) for rule_id in decision.needs_classifier]
        answer = await classify(self._session.registry, rules, given.turns(), router.classifier,
                                default_counter())
        return apply_answer(decision, router, answer), answer


def decision_summary(decision: Decision) -> dict[str, object]:
    """What must be equal between two routings of the same input (not the timing)."""
    out = decision.to_dict()
    out.pop("elapsed_us", None)
    return out
