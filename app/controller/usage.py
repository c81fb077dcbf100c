"""What routing cost, and what it saved: cost actually paid against the cost if every
message had gone to its router's most expensive target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.pricing import Pricing
from app.core.router import Router
from app.core.store import Store


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


def usage_report(store: Store, pricing: Pricing, router_of: Callable[[str | None], Router | None],
                 conversation_id: int | None = None) -> UsageReport:
    """``router_of`` maps a conversation's saved router name to the router (or None)."""
    routers = {c.id: c.router for c in store.conversations()}
    chat = classifier = (0, 0, 0.0)
    priciest_cost, messages, estimated, unpriced = 0.0, 0, 0, set()
    for row in store.usage_rows(conversation_id):
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
