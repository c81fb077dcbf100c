"""What routing cost, and what it saved: cost actually paid against the cost if every
message had gone to its router's most expensive target."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from app.core.pricing import Pricing
from app.core.router import Router
from app.core.router.targets import is_local, model_of, provider_of
from app.core.store import Store, UsageRow


@dataclass(frozen=True, slots=True)
class UsageReport:
    messages: int
    tokens_in: int
    tokens_out: int
    cost: float  # paid (unknown prices count as 0 and are listed in unpriced)
    cost_if_priciest: float
    classifier_tokens_in: int
    classifier_tokens_out: int
    classifier_cost: float
    unpriced: tuple[str, ...]  # targets with no known price
    estimated: int  # replies whose token counts we estimated

    @property
    def saved_fraction(self) -> float | None:
        if self.cost_if_priciest <= 0:
            return None
        return max(0.0, 1 - self.cost / self.cost_if_priciest)

    def to_dict(self) -> dict[str, object]:
        saved = self.saved_fraction
        return {
            "messages": self.messages, "tokens_in": self.tokens_in, "tokens_out": self.tokens_out,
            "cost_usd": round(self.cost, 6), "cost_if_priciest_usd": round(self.cost_if_priciest, 6),
            "saved_percent": None if saved is None else round(saved * 100, 1),
            "classifier": {"tokens_in": self.classifier_tokens_in, "tokens_out": self.classifier_tokens_out,
                           "cost_usd": round(self.classifier_cost, 6)},
            "unpriced_targets": list(self.unpriced), "estimated_replies": self.estimated,
        }


class UsageSummary(NamedTuple):
    """What the usage view shows for a period: the totals and the per-day lines."""

    report: UsageReport
    lines: list[UsageLine]


def usage_report(store: Store, pricing: Pricing, router_of: Callable[[str | None], Router | None],
                 conversation_id: int | None = None, since: datetime | None = None) -> UsageReport:
    """``router_of`` maps a conversation's saved router name to the router (or None);
    ``since`` limits it to usage recorded from then on."""
    routers = {c.id: c.router for c in store.conversations()}
    chat = classifier = (0, 0, 0.0)
    priciest_cost, messages, estimated, unpriced = 0.0, 0, 0, set()
    for row in _rows(store, conversation_id, since):
        cost = row.cost
        if cost is None:
            unpriced.add(row.target)
            cost = 0.0
        if row.kind == "classifier":
            classifier = (classifier[0] + row.tokens_in, classifier[1] + row.tokens_out, classifier[2] + cost)
            continue
        messages += 1
        estimated += row.estimated
        chat = (chat[0] + row.tokens_in, chat[1] + row.tokens_out, chat[2] + cost)
        router = router_of(routers.get(row.conversation_id)) if row.conversation_id else None
        priciest = pricing.most_expensive(_targets(router)) if router else None
        counterfactual = pricing.cost(priciest, row.tokens_in, row.tokens_out) if priciest else None
        priciest_cost += max(cost, counterfactual or 0.0)
    return UsageReport(messages, chat[0], chat[1], chat[2], priciest_cost, classifier[0], classifier[1],
                       classifier[2], tuple(sorted(unpriced)), estimated)


def _targets(router: Router) -> list[str]:
    return [*router.fallback, *(r.route_to for r in router.rules)]


def _rows(store: Store, conversation_id: int | None, since: datetime | None) -> list[UsageRow]:
    rows = store.usage_rows(conversation_id)
    return rows if since is None else [r for r in rows if r.created_at >= since]


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One day's use of one target, for one kind of call (replies, or classifier calls)."""

    day: date  # in local time: the day as the user lived it
    target: str
    kind: str  # "chat" | "classifier"
    calls: int
    tokens_in: int
    tokens_out: int
    cost: float | None  # None: no known price for this target

    @property
    def provider(self) -> str:
        return "local" if is_local(self.target) else provider_of(self.target)

    @property
    def model(self) -> str:
        return model_of(self.target)


def usage_lines(store: Store, since: datetime | None = None) -> list[UsageLine]:
    """Usage grouped by local day, target and kind; oldest day first."""
    groups: dict[tuple[date, str, str], list[UsageRow]] = {}
    for row in _rows(store, None, since):
        day = row.created_at.astimezone().date()
        groups.setdefault((day, row.target, row.kind), []).append(row)
    return [UsageLine(day, target, kind, len(rows), sum(r.tokens_in for r in rows),
                      sum(r.tokens_out for r in rows), _total_cost(rows))
            for (day, target, kind), rows in sorted(groups.items())]


def _total_cost(rows: Sequence[UsageRow]) -> float | None:
    costs = [r.cost for r in rows]
    return None if all(c is None for c in costs) else sum(c or 0.0 for c in costs)


def local_share(lines: Iterable[UsageLine]) -> float | None:
    """The share of replies answered on this computer (classifier calls not counted)."""
    replies = [line for line in lines if line.kind == "chat"]
    total = sum(line.calls for line in replies)
    if total == 0:
        return None
    return sum(line.calls for line in replies if is_local(line.target)) / total


def usage_csv(lines: Iterable[UsageLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["day", "provider", "model", "kind", "calls", "tokens_in", "tokens_out", "cost_usd"])
    for line in lines:
        writer.writerow([line.day.isoformat(), line.provider, line.model, line.kind, line.calls,
                         line.tokens_in, line.tokens_out, "" if line.cost is None else f"{line.cost:.6f}"])
    return out.getvalue()
