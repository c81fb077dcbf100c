"""The words on a reply's route badge and stats line: which model answered, why, at
what speed and cost. Qt-free, so the wording is unit-tested."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.core.router.targets import is_local, model_of, provider_of


def badge_text(target: str | None, rule: str | None, trace: Sequence[dict[str, Any]] | None) -> str:
    """``SmolLM2-135M-Instruct · local · rule private_stays_local``."""
    if target is None:
        return "not routed"
    where = "local" if is_local(target) else provider_of(target)
    return f"{model_of(target)} · {where} · {_why(rule, trace or ())}"


def _why(rule: str | None, trace: Sequence[dict[str, Any]]) -> str:
    if any(e.get("rule") == "attempt" and e.get("matched") for e in trace):
        return "fallback after a failure"
    if rule is not None:
        return f"rule {rule}"
    if any(e.get("rule") == "sticky" and e.get("matched") for e in trace):
        return "kept from the last reply"
    return "no rule matched"


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
