"""What a message costs: per-model prices in US dollars per million tokens.

Prices ship in the model catalog, ``resources/model_catalog.json`` (keyed by target,
``"openai:gpt-4o"``), and the user can override any target in Settings. Local models are
always free. A snapshot of a listed model has its price; another provider's model of the
same name has none ("cost unknown"), see ``model_catalog``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from app.core.model_catalog import CatalogError, ModelCatalog, find
from app.core.router.targets import is_local, is_target

_PER = 1_000_000


class PricingError(Exception):
    """The pricing file or a price override is wrong; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    @property
    def both_per_mtok(self) -> float:
        return self.input_per_mtok + self.output_per_mtok


FREE = Price(0.0, 0.0)


class Pricing:
    """Prices by target: shipped ones, with the user's overrides on top."""

    def __init__(self, prices: Mapping[str, Price], updated: str | None = None,
                 catalog: ModelCatalog | None = None) -> None:
        self._prices = dict(prices)
        self.updated = updated  # the catalog's date, for "prices as of …"
        self._catalog = catalog  # what the prices were read from, to apply new overrides to

    @classmethod
    def load(cls, overrides: Mapping[str, Mapping[str, float]] | None = None,
             path: Path | None = None, catalog: ModelCatalog | None = None) -> Pricing:
        """The catalog's prices (``catalog``, or the one in ``path``, default the shipped
        one) plus ``overrides`` ({"target": {"input", "output"}}).

        Raises PricingError naming the file and the entry that is wrong.
        """
        try:
            catalog = catalog or ModelCatalog.load(path)
        except CatalogError as exc:
            raise PricingError(str(exc)) from None
        source = str(catalog.path)
        prices = {target: parse_price(target, entry.price, source)
                  for target, entry in catalog.entries.items() if entry.price is not None}
        prices.update(_parse_prices(overrides or {}, "price override"))
        return cls(prices, catalog.updated, catalog)

    def set_overrides(self, overrides: Mapping[str, Mapping[str, float]]) -> None:
        """Apply the user's new overrides to the shipped prices, in place: the session,
        the chat and the usage report share this one object, so nobody syncs copies.
        Raises PricingError (and changes nothing) when an entry is wrong."""
        fresh = Pricing.load(overrides, catalog=self._catalog)
        self._prices, self.updated = fresh._prices, fresh.updated

    @property
    def prices(self) -> Mapping[str, Price]:
        return MappingProxyType(self._prices)

    def price(self, target: str) -> Price | None:
        """The price of a target: free when local, None when nobody knows it."""
        return FREE if is_local(target) else find(self._prices, target)

    def cost(self, target: str, tokens_in: int, tokens_out: int) -> float | None:
        """US dollars for one call, or None when the target's price is unknown."""
        if tokens_in < 0 or tokens_out < 0:
            raise ValueError("token counts cannot be negative")
        price = self.price(target)
        if price is None:
            return None
        return (tokens_in * price.input_per_mtok + tokens_out * price.output_per_mtok) / _PER

    def most_expensive(self, targets: Iterable[str]) -> str | None:
        """The priciest target by input + output price, the first of equals.

        Unpriced targets are left out; None means none had a price.
        """
        best: tuple[float, str] | None = None
        for target in targets:
            price = self.price(target)
            if price is not None and (best is None or price.both_per_mtok > best[0]):
                best = (price.both_per_mtok, target)
        return best[1] if best else None


def _parse_prices(entries: object, source: str) -> dict[str, Price]:
    if not isinstance(entries, Mapping):
        raise PricingError(f'{source}: expected an object of "provider:model" prices.')
    return {str(target): parse_price(target, value, source) for target, value in entries.items()}


def parse_price(target: object, value: object, source: str = "price override") -> Price:
    """One ``"target": {"input": x, "output": y}`` entry, checked; raises PricingError.

    Settings uses it to keep the good overrides when one is wrong.
    """
    if not isinstance(target, str) or not is_target(target):
        raise PricingError(f'{source} "{target}": not a target (expected "provider:model").')
    if is_local(target):
        raise PricingError(f'{source} "{target}": local models are always free.')
    if not isinstance(value, Mapping) or set(value) != {"input", "output"}:
        raise PricingError(f'{source} "{target}": expected {{"input": …, "output": …}} '
                           "in US dollars per million tokens.")
    return Price(_amount(target, "input", value["input"], source),
                 _amount(target, "output", value["output"], source))


def _amount(target: str, side: str, value: object, source: str) -> float:
    # bool is an int in Python, and true is no price.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PricingError(f'{source} "{target}": {side} price must be a number, not {value!r}.')
    amount = float(value)
    if not math.isfinite(amount) or amount < 0:
        raise PricingError(f'{source} "{target}": {side} price must be zero or more, '
                           f"not {value!r}.")
    return amount
