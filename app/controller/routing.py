"""The one place a message is routed: the chat, the router editor's test panel and
``python -m app route`` all ask this service, so they cannot disagree.

A decision is made of the engine (calculated rules, the fallback chain), the session's
availability (providers, keys, downloads, offline mode, cool-downs), the conversation's
sticky state (kept in the store, so the window and separate CLI runs share it), its
privacy (a private message, or a conversation that must stay here, sees remote targets
as unavailable) and, when plain-English rules are left, the router's classifier, whose
requests pass the egress gate like every other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.controller.availability import Availabilities
from app.controller.egress import OPEN, EgressGate, Protection
from app.controller.fit_availability import BoundedNeeds, Needs, fitting
from app.core.chat_settings import DEFAULT_POLICY, ChatSettings, ContextPolicy
from app.core.pricing import Pricing
from app.core.router import (
    Availability,
    AvailabilityCheck,
    AvailabilityCode,
    Decision,
    RouteContext,
    Router,
    StickyState,
    TraceEntry,
    TraceKind,
    Turn,
    decide,
    next_sticky,
)
from app.core.router.classifier import ClassifierAnswer, apply_answer, classify
from app.core.router.privacy import PrivateMark, private_mark
from app.core.router.targets import is_local
from app.core.store import Store

if TYPE_CHECKING:
    from app.controller.target_facts import TargetFacts


@dataclass(frozen=True, slots=True)
class RouteResult:
    decision: Decision
    classifier: ClassifierAnswer | None = None  # when plain-English rules were decided
    mark: PrivateMark | None = None  # the routed message is private, and why
    protection: Protection = OPEN  # what the conversation allows, this message included


def local_now() -> datetime:
    return datetime.now().astimezone()


class RoutingService:
    def __init__(self, store: Store, gate: EgressGate, pricing: Pricing,
                 availability: Availabilities, clock: Callable[[], datetime] = local_now, *,
                 facts: TargetFacts | None = None,
                 default_policy: Callable[[], ContextPolicy] = lambda: DEFAULT_POLICY) -> None:
        self._store = store
        self._gate = gate
        self._pricing = pricing
        self.availability = availability
        self.clock = clock
        self.facts = facts  # None: every target is taken to hold any conversation
        self._default_policy = default_policy

    def decide(self, router: Router, conversation: Sequence[Turn], *, now: datetime | None = None,
               offline: bool | None = None, conversation_id: int | None = None,
               protection: Protection = OPEN, settings: ChatSettings | None = None) -> Decision:
        """The calculated part, at once: rules, sticky, fallback. ``offline`` overrides the
        setting (the test panel's switch); ``conversation_id`` brings its sticky state;
        ``protection`` the privacy of the conversation so far; ``settings`` the chat's own
        (its system prompt and context policy decide what must fit)."""
        return self._decide(router, conversation, now, offline, conversation_id, protection,
                            settings)[0]

    def _decide(self, router: Router, conversation: Sequence[Turn], now: datetime | None,
                offline: bool | None, conversation_id: int | None, protection: Protection,
                settings: ChatSettings | None = None) -> tuple[Decision, PrivateMark | None, Protection]:
        base = self.availability if offline is None else self.availability.with_offline(offline)
        ctx = RouteContext(conversation, now or self.clock(), base)
        mark, protection = self.protect(router, ctx, protection)
        if not protection.allows_remote:
            ctx = RouteContext(conversation, ctx.now, kept_local(base, protection))
        sticky = self._store.sticky(conversation_id) if conversation_id is not None else None
        decision = self._fitting(router, ctx, sticky, settings or ChatSettings())
        if not protection.allows_remote:
            decision = _noting(decision, TraceEntry(None, True, _why_local(protection), TraceKind.PRIVACY))
        return decision, mark, protection

    def _fitting(self, router: Router, ctx: RouteContext, sticky: StickyState | None,
                 settings: ChatSettings) -> Decision:
        """The decision among targets that hold the whole conversation, else among those
        that hold what the context policy would send (see fit_availability)."""
        if self.facts is None:
            return decide(router, ctx, sticky)
        needs = BoundedNeeds(ctx.conversation, settings, settings.policy(self._default_policy()))
        decision: Decision | None = None
        for preferred in (True, False):
            check = fitting(ctx.availability, self.facts, needs, preferred=preferred)
            decision = decide(router, RouteContext(ctx.conversation, ctx.now, check), sticky)
            if decision.target is not None:
                break
        assert decision is not None
        return decision

    def needs(self, conversation: Sequence[Turn], settings: ChatSettings) -> Needs:
        return Needs.of(conversation, settings, settings.policy(self._default_policy()))

    def holding(self, availability: AvailabilityCheck, conversation: Sequence[Turn],
                settings: ChatSettings) -> AvailabilityCheck:
        """``availability`` with the targets closed that cannot hold what the context
        policy would send (a fallback chain skips them, saying why)."""
        if self.facts is None:
            return availability
        needs = BoundedNeeds(conversation, settings, settings.policy(self._default_policy()))
        return fitting(availability, self.facts, needs, preferred=False)

    def protect(self, router: Router, conversation: Sequence[Turn] | RouteContext,
                protection: Protection) -> tuple[PrivateMark | None, Protection]:
        """The routed message's private mark, and the protection with it: a private
        message never leaves this computer, whatever the history policy says."""
        ctx = conversation if isinstance(conversation, RouteContext) else \
            RouteContext(conversation, self.clock())
        mark = private_mark(router, ctx)
        if mark is None:
            return None, protection
        return mark, replace(protection, locked=True,
                             reasons=(*protection.reasons,
                                      f"this message holds private data ({mark.reason})"))

    async def classify(self, router: Router, decision: Decision, conversation: Sequence[Turn], *,
                       conversation_id: int | None = None, protection: Protection = OPEN) -> RouteResult:
        """Ask the router's classifier about the rules ``decision`` left to it, through
        the egress gate. Its call is billed to the conversation when there is one."""
        if not decision.needs_classifier:
            return RouteResult(decision, protection=protection)
        rules = [router.rule(rule_id) for rule_id in decision.needs_classifier]
        models = self._gate.bind(protection, conversation_id, "classifier")
        # No counter: the vocabulary loads only if the classifier model must be asked.
        answer = await classify(models, rules, conversation, router.classifier)
        if conversation_id is not None and answer.tokens_in:
            self._store.add_usage(conversation_id=conversation_id, message_id=None, target=answer.model,
                                  kind="classifier", tokens_in=answer.tokens_in,
                                  tokens_out=answer.tokens_out,
                                  cost=self._pricing.cost(answer.model, answer.tokens_in,
                                                          answer.tokens_out))
        return RouteResult(apply_answer(decision, router, answer), answer, protection=protection)

    async def route(self, router: Router, conversation: Sequence[Turn], *,
                    now: datetime | None = None, offline: bool | None = None,
                    conversation_id: int | None = None, protection: Protection = OPEN,
                    settings: ChatSettings | None = None) -> RouteResult:
        """The whole decision: calculated rules, then the classifier if it is needed."""
        decision, mark, protection = self._decide(router, conversation, now, offline,
                                                  conversation_id, protection, settings)
        result = await self.classify(router, decision, conversation,
                                     conversation_id=conversation_id, protection=protection)
        return replace(result, mark=mark)

    def remember(self, conversation_id: int, decision: Decision, now: datetime | None = None) -> None:
        """The conversation's sticky state after ``decision`` was sent (stored)."""
        previous = self._store.sticky(conversation_id)
        state = next_sticky(previous, decision, now or self.clock())
        if state != previous:
            self._store.set_sticky(conversation_id, state)


def kept_local(availability: AvailabilityCheck, protection: Protection) -> AvailabilityCheck:
    """``availability`` with every remote target closed, saying why."""
    closed = Availability(False, _why_local(protection), AvailabilityCode.PRIVATE)

    def check(target: str) -> Availability:
        return availability(target) if is_local(target) else closed

    return check


def _why_local(protection: Protection) -> str:
    if protection.locked and not protection.reasons:
        return "this chat is locked to this computer"
    return f"kept on this computer: {'; '.join(protection.reasons)}"


def _noting(decision: Decision, entry: TraceEntry) -> Decision:
    noted = Decision(decision.target, decision.rule, decision.reason, lambda: [entry, *decision.trace],
                     needs_classifier=decision.needs_classifier, sticky=decision.sticky)
    noted.elapsed_us = decision.elapsed_us
    return noted
