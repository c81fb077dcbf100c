"""The routing decision: which target answers this message, and why.

Order: calculated rules top to bottom, first enabled match whose target is available
wins; then a sticky target from an earlier rule; then the classified (plain-English)
rules, handed to the classifier together; then the first available fallback target.
Every step leaves a line in the trace, so the UI can say "Routed to X because …".
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.core.router.conditions.base import Detail, Match
from app.core.router.context import RouteContext
from app.core.router.schema import Router, Rule, Sticky


class TraceEntry(Match):
    """One rule's line in the trace; like a Match, its words are written when read."""

    __slots__ = ("rule",)

    def __init__(self, rule: str, matched: bool, explanation: Detail) -> None:
        self.rule = rule
        self.matched = matched
        self.explanation = explanation

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceEntry):
            return NotImplemented
        return (self.rule, self.matched, self.detail) == (other.rule, other.matched, other.detail)

    def __repr__(self) -> str:
        return f"TraceEntry({self.rule!r}, {self.matched!r}, {self.detail!r})"


@dataclass(frozen=True, slots=True)
class StickyState:
    """What the last rule-based decision of a conversation was, and how long ago."""

    target: str
    rule: str
    decided_at: datetime
    messages_since: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    target: str | None  # None only when no target at all is available
    rule: str | None  # the rule that chose the target; None for fallback
    reason: str
    trace: tuple[TraceEntry, ...]
    needs_classifier: tuple[str, ...] = ()
    sticky: bool = False  # kept on an earlier rule's target
    elapsed_us: float = field(default=0.0, compare=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "rule": self.rule,
            "reason": self.reason,
            "trace": [{"rule": t.rule, "matched": t.matched, "detail": t.detail} for t in self.trace],
            "needs_classifier": list(self.needs_classifier),
            "sticky": self.sticky,
            "elapsed_us": round(self.elapsed_us, 1),
        }


def decide(router: Router, ctx: RouteContext, sticky: StickyState | None = None) -> Decision:
    started = time.perf_counter_ns()
    decision = _decide(router, ctx, sticky)
    elapsed = (time.perf_counter_ns() - started) / 1000
    return Decision(decision.target, decision.rule, decision.reason, decision.trace,
                    decision.needs_classifier, decision.sticky, elapsed)


def _decide(router: Router, ctx: RouteContext, sticky: StickyState | None) -> Decision:
    trace: list[TraceEntry] = []
    classified: list[Rule] = []
    for rule in router.rules:
        if not rule.enabled:
            trace.append(TraceEntry(rule.id, False, "disabled"))
        elif rule.when is None:
            classified.append(rule)  # decided together, after every calculated rule
        else:
            match = rule.when.evaluate(ctx)
            if not match.matched:
                trace.append(TraceEntry(rule.id, match.matched, match.explanation))
                continue
            state = ctx.availability(rule.route_to)
            if not state.ok:
                trace.append(TraceEntry(rule.id, True, _unavailable(match, rule, state.reason)))
                continue
            trace.append(TraceEntry(rule.id, match.matched, match.explanation))
            return Decision(rule.route_to, rule.id,
                            f'Routed to {rule.route_to} because rule "{rule.label}" matched: '
                            f"{match.detail}.", tuple(trace))

    candidates = _classifier_candidates(classified, ctx, trace)
    kept = _still_sticky(router.sticky, sticky, ctx)
    if kept is not None:
        assert sticky is not None
        return Decision(sticky.target, sticky.rule, kept, tuple(trace), sticky=True)

    target, fallback_reason = _fallback(router, ctx)
    if candidates:
        plural = "s need" if len(candidates) > 1 else " needs"
        reason = (f"No rule matched; {len(candidates)} plain-English rule{plural} the "
                  f"classifier; until it answers, {fallback_reason}.")
    else:
        reason = f"No rule matched; {fallback_reason}."
    return Decision(target, None, reason, tuple(trace), needs_classifier=tuple(candidates))


def _unavailable(match: Match, rule: Rule, reason: str) -> Detail:
    return lambda: f"{match.detail}, but {rule.route_to} is unavailable ({reason})"


def _classifier_candidates(rules: list[Rule], ctx: RouteContext, trace: list[TraceEntry]) -> list[str]:
    candidates = []
    for rule in rules:
        state = ctx.availability(rule.route_to)
        if state.ok:
            candidates.append(rule.id)
            trace.append(TraceEntry(rule.id, False, "plain-English rule, for the classifier"))
        else:
            trace.append(TraceEntry(rule.id, False, f"plain-English rule skipped: {rule.route_to} "
                                                    f"is unavailable ({state.reason})"))
    return candidates


def _still_sticky(policy: Sticky | None, state: StickyState | None, ctx: RouteContext) -> str | None:
    """The reason to stay on the previous rule's target, or None when the stickiness ran out."""
    if policy is None or state is None:
        return None
    availability = ctx.availability(state.target)
    if not availability.ok:
        return None
    keep = []
    if policy.minutes is not None:
        age = ctx.now - state.decided_at
        if timedelta(0) <= age <= timedelta(minutes=policy.minutes):
            keep.append(f"{_minutes(age)} ago (sticky for {policy.minutes} min)")
    if policy.messages is not None and state.messages_since < policy.messages:
        keep.append(f"(follow-up {state.messages_since + 1} of {policy.messages})")
    if not keep:
        return None
    return (f'No rule matched; kept on {state.target}, which rule "{state.rule}" chose '
            f"{' '.join(keep)}.")


def _minutes(age: timedelta) -> str:
    mins = int(age.total_seconds() // 60)
    return "under a minute" if mins < 1 else f"{mins} min"


def _fallback(router: Router, ctx: RouteContext) -> tuple[str | None, str]:
    skipped: list[str] = []
    for target in router.fallback:
        state = ctx.availability(target)
        if state.ok:
            note = f" (skipped {'; '.join(skipped)})" if skipped else ""
            return target, f"fell back to {target}{note}"
        skipped.append(f"{target}: {state.reason}")
    return None, f"no fallback target is available ({'; '.join(skipped)})"


def next_sticky(previous: StickyState | None, decision: Decision, now: datetime) -> StickyState | None:
    """The conversation's sticky state after ``decision``: a rule's choice starts a new
    window, a sticky decision counts one more message, a fallback leaves it as it was."""
    if decision.rule is not None and not decision.sticky and decision.target is not None:
        return StickyState(decision.target, decision.rule, now)
    if decision.sticky and previous is not None:
        return StickyState(previous.target, previous.rule, previous.decided_at,
                           previous.messages_since + 1)
    return previous
