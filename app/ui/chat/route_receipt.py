"""The words on a reply's route badge and stats line: which model answered, why, at
what speed and cost. Qt-free, so the wording is unit-tested."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from app.core.router import TraceEntry, TraceKind
from app.core.router.targets import is_local, model_of, provider_of


class RouteKind(StrEnum):
    """How a reply came to its model: each kind has its own badge words."""

    RULE = "rule"  # a calculated rule matched
    CLASSIFIER = "classifier"  # a plain-English rule, chosen by the classifier
    STICKY = "sticky"  # kept on the model an earlier rule chose
    FALLBACK = "fallback"  # no rule chose: the fallback chain
    FAILED_OVER = "failed_over"  # the chosen model failed; a fallback answered
    AS_ASKED = "as_asked"  # the user picked the model (regenerate with the same one)


def route_kind(rule: str | None, trace: Sequence[TraceEntry]) -> RouteKind:
    kinds = {entry.kind for entry in trace if entry.matched}
    if TraceKind.ATTEMPT in kinds:
        return RouteKind.FAILED_OVER
    if TraceKind.STICKY in kinds:
        return RouteKind.STICKY
    if TraceKind.CLASSIFIER in kinds and rule is not None:
        return RouteKind.CLASSIFIER
    if rule is not None:
        return RouteKind.RULE
    return RouteKind.FALLBACK if trace else RouteKind.AS_ASKED


def badge_text(target: str | None, rule: str | None, trace: Sequence[TraceEntry] | None) -> str:
    """``SmolLM2-135M-Instruct · local · rule Private data stays local``."""
    if target is None:
        return "not routed"
    where = "local" if is_local(target) else provider_of(target)
    return f"{model_of(target)} · {where} · {_why(rule, trace or ())}"


def _why(rule: str | None, trace: Sequence[TraceEntry]) -> str:
    kind = route_kind(rule, trace)
    title = _rule_title(rule, trace)
    if kind is RouteKind.FAILED_OVER:
        return "fallback after a failure"
    if kind is RouteKind.STICKY:
        return f"kept from rule {title}"
    if kind is RouteKind.CLASSIFIER:
        return f"classifier: {title}"
    if kind is RouteKind.RULE:
        return f"rule {title}"
    if kind is RouteKind.AS_ASKED:
        return "as asked"
    return "no rule matched"


def _rule_title(rule: str | None, trace: Sequence[TraceEntry]) -> str:
    """The rule's title as the trace recorded it (its id for traces older than titles)."""
    entry = next((e for e in trace if e.rule == rule and e.label), None)
    return entry.label if entry is not None and entry.label else (rule or "")


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
