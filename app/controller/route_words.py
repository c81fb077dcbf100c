"""The words for how a message was routed: the reply's badge, the trace's headline and
its lines, the CLI's route line, the stats line. One module, so the chat, the route
trace, the router editor's test panel and ``python -m app route``/``ask`` say the same
thing in the same words: rules by their titles, never their ids, and plain sentences.

Qt-free, so every wording is unit-tested; the kind of a route is read from the trace's
typed entries and the message's status, never from stored prose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from app.core.router import TraceEntry, TraceKind
from app.core.router.targets import is_local, model_of, provider_of

if TYPE_CHECKING:
    from app.core.router import Decision
    from app.core.store import MessageRow


class RouteKind(StrEnum):
    """How a reply came to its model: each kind has its own badge words."""

    RULE = "rule"  # a calculated rule matched
    CLASSIFIER = "classifier"  # a plain-English rule, chosen by the classifier
    STICKY = "sticky"  # kept on the model an earlier rule chose
    LOCKED = "locked"  # the chat's privacy lock kept it on this computer
    FALLBACK = "fallback"  # no rule chose: the fallback chain
    FAILED_OVER = "failed_over"  # the chosen model failed; a fallback answered
    FAILED = "failed"  # nothing answered, or the reply broke off
    STOPPED = "stopped"  # the user stopped the reply
    AS_ASKED = "as_asked"  # the user picked the model (regenerate, or the chat's one model)


@dataclass(frozen=True, slots=True)
class Route:
    """What the words are made of: where a message went and what came of it."""

    target: str | None
    rule: str | None = None  # the rule's id (ids are never shown)
    trace: tuple[TraceEntry, ...] = ()
    status: str | None = None  # a stored reply's status; None while being decided
    error: str | None = None

    @classmethod
    def of_message(cls, row: MessageRow) -> Route:
        return cls(row.target, row.rule, tuple(row.trace or ()), row.status, row.error)

    @classmethod
    def of_decision(cls, decision: Decision) -> Route:
        return cls(decision.target, decision.rule, decision.trace,
                   None if decision.target is not None else "failed",
                   None if decision.target is not None else decision.reason)

    @property
    def kind(self) -> RouteKind:
        return route_kind(self)

    @property
    def rule_title(self) -> str | None:
        """The deciding rule's title as the trace recorded it (its id only for traces
        stored before titles were)."""
        if self.rule is None:
            return None
        entry = next((e for e in self.trace if e.rule == self.rule and e.label), None)
        return entry.label if entry is not None and entry.label else self.rule

    @property
    def router_has_rules(self) -> bool:
        """Every rule of the router is in a routed message's trace, checked or not."""
        return any(e.kind in (TraceKind.RULE, TraceKind.CLASSIFIED) for e in self.trace)

    def _matched(self, kind: TraceKind) -> TraceEntry | None:
        return next((e for e in self.trace if e.kind is kind and e.matched), None)


def route_kind(route: Route) -> RouteKind:
    if route.status == "failed" or route.target is None or \
            (route.status == "incomplete" and route.error):
        return RouteKind.FAILED
    if route.status == "incomplete":
        return RouteKind.STOPPED
    return _routed_kind(route)


def _routed_kind(route: Route) -> RouteKind:
    """How the model was chosen, whatever became of the reply."""
    if route._matched(TraceKind.ATTEMPT) is not None:
        return RouteKind.FAILED_OVER
    if route._matched(TraceKind.STICKY) is not None:
        return RouteKind.STICKY
    if route.rule is not None:
        classified = any(e.kind is TraceKind.CLASSIFIED and e.rule == route.rule for e in route.trace)
        return RouteKind.CLASSIFIER if classified or route._matched(TraceKind.CLASSIFIER) else RouteKind.RULE
    if _locked(route) is not None:
        return RouteKind.LOCKED
    return RouteKind.FALLBACK if route.trace else RouteKind.AS_ASKED


def _locked(route: Route) -> TraceEntry | None:
    """The privacy line that closed every remote target (not one about redaction)."""
    return next((e for e in route.trace if e.kind is TraceKind.PRIVACY and e.matched
                 and e.target is None), None)


# ---- the badge ------------------------------------------------------------------------


def place(target: str) -> str:
    """Where a target runs, in the badge's few words."""
    return "local" if is_local(target) else provider_of(target)


def where(target: str) -> str:
    """Where a target runs, in a sentence."""
    return "on this computer" if is_local(target) else f"via {provider_of(target)}"


def badge_text(route: Route) -> str:
    """``SmolLM2-135M-Instruct · local · rule “Private data stays local”``."""
    kind = route.kind
    if kind is RouteKind.FAILED:
        return _failed_badge(route)
    assert route.target is not None
    why = _badge_why(route, _routed_kind(route))
    if kind is RouteKind.STOPPED:
        why = f"stopped · {why}"
    return f"{model_of(route.target)} · {place(route.target)} · {why}"


def _badge_why(route: Route, kind: RouteKind) -> str:
    if kind is RouteKind.FAILED_OVER:
        failed = next((e.target for e in route.trace
                       if e.kind is TraceKind.ATTEMPT and not e.matched and e.target), None)
        return f"fallback: {model_of(failed)} failed" if failed else "fallback after a failure"
    if (decided := decided_by(kind, route.rule_title)) is not None:
        return decided
    if kind is RouteKind.AS_ASKED:
        return "the model you chose"
    return "fallback: no rule matched" if route.router_has_rules else "fallback: the router has no rules"


def decided_by(kind: RouteKind, title: str | None) -> str | None:
    """What decided, when a rule or the lock did ("rule “Code”"); None otherwise. The
    badge's words, and the router editor's test panel's."""
    if kind is RouteKind.STICKY:
        return f"kept the previous model (rule “{title}”)"
    if kind is RouteKind.CLASSIFIER:
        return f"plain-English rule “{title}”"
    if kind is RouteKind.RULE:
        return f"rule “{title}”"
    if kind is RouteKind.LOCKED:
        return "privacy lock: kept on this computer"
    return None


def _failed_badge(route: Route) -> str:
    if route.status == "incomplete" and route.target is not None:
        return f"{model_of(route.target)} · {place(route.target)} · broke off"
    return "not answered"


# ---- the sentence ---------------------------------------------------------------------


def route_sentence(route: Route) -> str:
    """The trace's headline: who answered and why, as a person would say it."""
    kind = route.kind
    if kind is RouteKind.FAILED:
        return _failed_sentence(route)
    sentence = _routed_sentence(route, _routed_kind(route))
    if kind is RouteKind.STOPPED:
        return f"You stopped this reply. {sentence}"
    return sentence


def _routed_sentence(route: Route, kind: RouteKind) -> str:
    """In the past for a reply, in the present for a decision not yet sent (``route``, the
    test panel, a reply still streaming)."""
    assert route.target is not None
    model = f"{model_of(route.target)} ({where(route.target)})"
    title = route.rule_title
    answered = route.status is not None

    def to(because: str) -> str:
        return f"{model} answered because {because}." if answered else \
            f"This message goes to {model} because {because}."

    if kind is RouteKind.RULE:
        entry = next((e for e in route.trace if e.rule == route.rule and e.kind is TraceKind.RULE), None)
        detail = f": {entry.detail}" if entry is not None and entry.detail else ""
        return to(f"the rule “{title}” matched{detail}")
    if kind is RouteKind.CLASSIFIER:
        return to(f"it fits the plain-English rule “{title}”, as the classifier judged")
    if kind is RouteKind.STICKY:
        stays = "it stayed with" if answered else "it stays with"
        return (f"No rule matched this message, so {stays} {model}, which the rule "
                f"“{title}” chose earlier in this chat.")
    if kind is RouteKind.FAILED_OVER:
        return _failed_over_sentence(route, model)
    if kind is RouteKind.LOCKED:
        locked = _locked(route)
        why = locked.detail.removeprefix("kept on this computer: ") if locked else ""
        return to(f"this chat stays on this computer ({why})")
    if kind is RouteKind.AS_ASKED:
        return to("you chose it; no router was asked")
    return _fallback_sentence(route, model, answered)


def _fallback_sentence(route: Route, model: str, answered: bool) -> str:
    went = "answered" if answered else "takes it"
    if not route.router_has_rules:
        return f"This router has no rules, so the first available model of its fallback list {went}: {model}."
    classifier = next((e for e in route.trace if e.kind is TraceKind.CLASSIFIER and not e.matched), None)
    if classifier is not None:
        return (f"No rule matched, and the classifier for the plain-English rules chose none of them "
                f"({classifier.detail}), so the router's fallback {went}: {model}.")
    return f"No rule matched, so the router's fallback {went}: {model}."


def _failed_over_sentence(route: Route, model: str) -> str:
    failures = [e for e in route.trace if e.kind is TraceKind.ATTEMPT and not e.matched and e.target]
    if not failures:
        return f"The first model could not answer, so the fallback {model} answered."
    names = ", ".join(model_of(e.target or "") for e in failures)
    verb = "were" if len(failures) > 1 else "was"
    return f"{names} {verb} tried first and could not answer, so the fallback {model} answered."


def _failed_sentence(route: Route) -> str:
    error = (route.error or "").removeprefix("Nothing could answer: ")
    if route.status == "incomplete" and route.target is not None:
        return f"The reply from {model_of(route.target)} broke off: {error}"
    return f"Nothing answered this message: {error}" if error else "Nothing answered this message."


def rule_text(route: Route) -> str:
    """The trace's "Rule" row: the deciding rule's title, or what decided instead."""
    kind = _routed_kind(route) if route.target is not None else RouteKind.FAILED
    if route.rule_title is not None:
        return route.rule_title
    if kind is RouteKind.AS_ASKED:
        return "none: you chose the model"
    if kind is RouteKind.LOCKED:
        return "none: the privacy lock"
    if not route.router_has_rules and route.trace:
        return "none: the router has no rules"
    return "none: the fallback list decided"


def answered(route: Route) -> bool:
    """Whether any model answered (a failed reply with nothing in it did not)."""
    return route.kind is not RouteKind.FAILED or route.status == "incomplete"


def route_line(route: Route) -> str:
    """The target and why in one line, as ``ask`` prints it on stderr and an export
    names each reply: ``local:SmolLM2-135M-Instruct · rule “Private data stays local”:
    email address found``."""
    kind = route.kind
    if kind is RouteKind.FAILED and route.status != "incomplete":
        return f"{route.target} · not answered" if route.target else "not answered"
    why = _badge_why(route, _routed_kind(route))
    if kind is RouteKind.RULE:
        entry = next((e for e in route.trace if e.rule == route.rule and e.kind is TraceKind.RULE), None)
        if entry is not None and entry.detail:
            why += f": {entry.detail}"
    waiting = sum(1 for e in route.trace if e.kind is TraceKind.CLASSIFIED)
    if waiting and route.rule is None and not any(e.kind is TraceKind.CLASSIFIER for e in route.trace):
        why += f" (until the classifier answers for {waiting} plain-English rule{'s' if waiting != 1 else ''})"
    if kind is RouteKind.STOPPED:
        why = f"stopped · {why}"
    elif kind is RouteKind.FAILED:
        why = f"broke off · {why}"
    return f"{route.target} · {why}"


def trying_badge(failed: str, next_target: str) -> str:
    """The badge while the fallback chain moves on: ``gpt-4o-mini · openai · trying: claude-
    sonnet-4-5 failed``."""
    return f"{model_of(next_target)} · {place(next_target)} · trying: {model_of(failed)} failed"


def trying_sentence(failed: str, reason: str, next_target: str) -> str:
    return (f"{model_of(failed)} ({where(failed)}) could not answer ({reason}); trying "
            f"{model_of(next_target)} ({where(next_target)}).")


def trace_line(entry: TraceEntry) -> str:
    return f"{'✓' if entry.matched else '✗'} {entry.title}: {entry.detail}"


def trace_lines(entries: Sequence[TraceEntry]) -> list[str]:
    """The trace as plain text, one line an entry (Copy, the CLI, screen readers)."""
    return [trace_line(e) for e in entries]


# ---- the stats line -------------------------------------------------------------------


def tokens_per_second(tokens_out: int | None, latency_ms: float | None,
                      ttft_ms: float | None) -> float | None:
    """Generation speed after the first token (what users compare between apps)."""
    if not tokens_out or tokens_out < 2 or latency_ms is None:
        return None
    streaming_s = (latency_ms - (ttft_ms or 0.0)) / 1000
    return (tokens_out - 1) / streaming_s if streaming_s > 0 else None


def cost_text(target: str, cost: float | None) -> str:
    if is_local(target):
        return "free"
    if cost is None:
        return "cost unknown"
    return "<$0.0001" if 0 < cost < 0.0001 else f"${cost:.4f}"


def stats_text(target: str | None, tokens_out: int | None, latency_ms: float | None,
               ttft_ms: float | None, cost: float | None) -> str:
    """``128 tokens · 70.2 tok/s · 1.8 s · free``; empty while nothing is known."""
    if target is None or latency_ms is None:
        return ""
    parts = []
    if tokens_out:
        parts.append(f"{tokens_out} token{'s' if tokens_out != 1 else ''}")
    speed = tokens_per_second(tokens_out, latency_ms, ttft_ms)
    if speed is not None:
        parts.append(f"{speed:.1f} tok/s")
    parts.append(f"{latency_ms / 1000:.1f} s")
    parts.append(cost_text(target, cost))
    return " · ".join(parts)
