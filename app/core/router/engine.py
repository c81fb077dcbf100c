"""The routing decision: which target answers this message, and why.

Order: calculated rules top to bottom, first enabled match whose target is available
wins; then a sticky target from an earlier rule; then the classified (plain-English)
rules, handed to the classifier together; then the first available fallback target.
Every step leaves a line in the trace, so the UI can say "Routed to X because …".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core.router.conditions.base import Detail
from app.core.router.context import RouteContext
from app.core.router.schema import Router, Rule, Sticky
from app.core.router.trace import TraceEntry, TraceKind, trace_to_json


@dataclass(frozen=True, slots=True)
class StickyState:
    """What the last rule-based decision of a conversation was, and how long ago."""

    target: str
    rule: str
    decided_at: datetime
    messages_since: int = 0


class Decision:
    """Where a message goes. ``reason`` and ``trace`` are written on first read: the
    decision itself only runs each rule's fast ``test``; explaining re-reads the same
    context with ``evaluate``, after the message is on its way."""

    __slots__ = ("_reason", "_trace", "elapsed_us", "needs_classifier", "rule", "sticky", "target")

    def __init__(
        self,
        target: str | None,  # None only when no target at all is available
        rule: str | None,  # the rule that chose the target; None for fallback
        reason: Detail,
        trace: Sequence[TraceEntry] | Callable[[], Sequence[TraceEntry]],
        needs_classifier: tuple[str, ...] = (),
        sticky: bool = False,  # kept on an earlier rule's target
    ) -> None:
        self.target = target
        self.rule = rule
        self.needs_classifier = needs_classifier
        self.sticky = sticky
        self.elapsed_us = 0.0
        self._reason = reason
        self._trace = trace

    @property
    def reason(self) -> str:
        if not isinstance(self._reason, str):
            self._reason = self._reason()
        return self._reason

    @property
    def trace(self) -> tuple[TraceEntry, ...]:
        if callable(self._trace):
            self._trace = self._trace()
        return tuple(self._trace)

    def __repr__(self) -> str:
        return f"Decision(target={self.target!r}, rule={self.rule!r}, sticky={self.sticky!r})"

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "rule": self.rule,
            "reason": self.reason,
            "trace": trace_to_json(self.trace),
            "needs_classifier": list(self.needs_classifier),
            "sticky": self.sticky,
            "elapsed_us": round(self.elapsed_us, 1),
        }


def decide(router: Router, ctx: RouteContext, sticky: StickyState | None = None) -> Decision:
    started = time.perf_counter_ns()
    decision = _decide(router, ctx, sticky)
    decision.elapsed_us = (time.perf_counter_ns() - started) / 1000
    return decision


def _decide(router: Router, ctx: RouteContext, sticky: StickyState | None) -> Decision:
    # Hot path: no allocation per rule. What the trace needs later is just where the
    # scan stopped and which matching rules were passed over for an unavailable target.
    passed_over: dict[str, str] = {}
    for index, rule in enumerate(router.rules):
        when = rule.when
        if when is None or not rule.enabled or not when.test(ctx):
            continue
        state = ctx.availability(rule.route_to)
        if not state.ok:
            passed_over[rule.id] = state.reason
            continue
        return Decision(rule.route_to, rule.id, lambda: _rule_reason(rule, ctx),
                        lambda: _calculated_trace(router, ctx, index, passed_over))

    def trace() -> list[TraceEntry]:
        return _calculated_trace(router, ctx, None, passed_over) + _classified_trace(router, ctx)

    candidates = tuple(r.id for r in router.rules
                       if r.classified and r.enabled and ctx.availability(r.route_to).ok)
    kept = _still_sticky(router, sticky, ctx)
    if kept is not None:
        assert sticky is not None
        kept_state = sticky

        def sticky_trace() -> list[TraceEntry]:
            label = next((r.label for r in router.rules if r.id == kept_state.rule), None)
            return [*trace(), TraceEntry(kept_state.rule, True, kept, TraceKind.STICKY, label=label,
                                         target=kept_state.target)]

        return Decision(sticky.target, sticky.rule, kept, sticky_trace, sticky=True)

    target, fallback_reason = _fallback(router, ctx)

    def fallback_trace() -> list[TraceEntry]:
        return [*trace(), TraceEntry(None, target is not None, fallback_reason, TraceKind.FALLBACK,
                                     target=target)]

    if candidates:
        plural = "s need" if len(candidates) > 1 else " needs"
        reason = (f"No rule matched; {len(candidates)} plain-English rule{plural} the "
                  f"classifier; until it answers, {fallback_reason}.")
    elif not router.rules:  # "no rule matched" would suggest rules were checked
        reason = f"This router has no rules; {fallback_reason}."
    else:
        reason = f"No rule matched; {fallback_reason}."
    return Decision(target, None, reason, fallback_trace, needs_classifier=candidates)


def _rule_reason(rule: Rule, ctx: RouteContext) -> str:
    assert rule.when is not None
    return (f'Routed to {rule.route_to} because rule "{rule.label}" matched: '
            f"{rule.when.evaluate(ctx).detail}.")


def _calculated_trace(router: Router, ctx: RouteContext, winner: int | None,
                      passed_over: dict[str, str]) -> list[TraceEntry]:
    """One entry per calculated rule checked, up to and including the winner."""
    entries = []
    rules = router.rules if winner is None else router.rules[: winner + 1]
    for rule in rules:
        if rule.when is None:
            continue
        if not rule.enabled:
            entries.append(TraceEntry(rule.id, False, "disabled", label=rule.label))
            continue
        detail = rule.when.evaluate(ctx).detail
        if rule.id in passed_over:
            detail += f", but {rule.route_to} is unavailable ({passed_over[rule.id]})"
            entries.append(TraceEntry(rule.id, True, detail, label=rule.label, target=rule.route_to))
        else:
            entries.append(TraceEntry(rule.id, rule is rules[-1] and winner is not None, detail,
                                      label=rule.label, target=rule.route_to))
    return entries


def _classified_trace(router: Router, ctx: RouteContext) -> list[TraceEntry]:
    entries = []
    for rule in router.rules:
        if not rule.classified:
            continue
        state = ctx.availability(rule.route_to)
        if not rule.enabled:
            detail = "disabled"
        elif state.ok:
            detail = "plain-English rule, for the classifier"
        else:
            detail = f"plain-English rule skipped: {rule.route_to} is unavailable ({state.reason})"
        entries.append(TraceEntry(rule.id, False, detail, TraceKind.CLASSIFIED, label=rule.label,
                                  target=rule.route_to))
    return entries


def _still_sticky(router: Router, state: StickyState | None, ctx: RouteContext) -> str | None:
    """The reason to stay on the previous rule's target, or None when the stickiness ran out."""
    policy: Sticky | None = router.sticky
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
    # The rule by its title: its id is for the file, not for people.
    label = next((r.label for r in router.rules if r.id == state.rule), state.rule)
    return (f'No rule matched; kept on {state.target}, which rule "{label}" chose '
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
