"""The one place a message is routed: the chat, the router editor's test panel and
``python -m app route`` all ask this service, so they cannot disagree.

A decision is made of the engine (calculated rules, the fallback chain), the session's
availability (providers, keys, downloads, offline mode, cool-downs), the conversation's
sticky state (kept in the store, so the window and separate CLI runs share it) and, when
plain-English rules are left, the router's classifier.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.controller.availability import Availabilities
from app.core.pricing import Pricing
from app.core.router import Decision, RouteContext, Router, Turn, decide, next_sticky
from app.core.router.classifier import ClassifierAnswer, apply_answer, classify
from app.core.router.classifier_models import ClassifierModels
from app.core.store import Store
from app.core.tokens import default_counter


@dataclass(frozen=True, slots=True)
class RouteResult:
    decision: Decision
    classifier: ClassifierAnswer | None = None  # when plain-English rules were decided


def local_now() -> datetime:
    return datetime.now().astimezone()


class RoutingService:
    def __init__(self, store: Store, registry: ClassifierModels, pricing: Pricing,
                 availability: Availabilities, clock: Callable[[], datetime] = local_now) -> None:
        self._store = store
        self._registry = registry
        self._pricing = pricing
        self.availability = availability
        self.clock = clock

    def decide(self, router: Router, conversation: Sequence[Turn], *, now: datetime | None = None,
               offline: bool | None = None, conversation_id: int | None = None) -> Decision:
        """The calculated part, at once: rules, sticky, fallback. ``offline`` overrides the
        setting (the test panel's switch); ``conversation_id`` brings its sticky state."""
        availability = self.availability if offline is None else self.availability.with_offline(offline)
        sticky = self._store.sticky(conversation_id) if conversation_id is not None else None
        return decide(router, RouteContext(conversation, now or self.clock(), availability,
                                           default_counter()), sticky)

    async def classify(self, router: Router, decision: Decision, conversation: Sequence[Turn], *,
                       conversation_id: int | None = None) -> RouteResult:
        """Ask the router's classifier about the rules ``decision`` left to it. Its call is
        billed to the conversation when there is one (a test message is not)."""
        if not decision.needs_classifier:
            return RouteResult(decision)
        rules = [router.rule(rule_id) for rule_id in decision.needs_classifier]
        answer = await classify(self._registry, rules, conversation, router.classifier,
                                default_counter())
        if conversation_id is not None and answer.tokens_in:
            self._store.add_usage(conversation_id=conversation_id, message_id=None, target=answer.model,
                                  kind="classifier", tokens_in=answer.tokens_in,
                                  tokens_out=answer.tokens_out,
                                  cost=self._pricing.cost(answer.model, answer.tokens_in,
                                                          answer.tokens_out))
        return RouteResult(apply_answer(decision, router, answer), answer)

    async def route(self, router: Router, conversation: Sequence[Turn], *,
                    now: datetime | None = None, offline: bool | None = None,
                    conversation_id: int | None = None) -> RouteResult:
        """The whole decision: calculated rules, then the classifier if it is needed."""
        decision = self.decide(router, conversation, now=now, offline=offline,
                               conversation_id=conversation_id)
        return await self.classify(router, decision, conversation, conversation_id=conversation_id)

    def remember(self, conversation_id: int, decision: Decision, now: datetime | None = None) -> None:
        """The conversation's sticky state after ``decision`` was sent (stored)."""
        previous = self._store.sticky(conversation_id)
        state = next_sticky(previous, decision, now or self.clock())
        if state != previous:
            self._store.set_sticky(conversation_id, state)
