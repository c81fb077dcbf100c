"""What the app knows about remote models: ``resources/model_catalog.json``.

One file holds, per target (``"openai:gpt-4o"``), the context window and longest reply in
tokens, whether the model sees images and calls tools, and its list price. Pricing reads
its prices from here; ``TargetFacts`` its windows and vision.

A target is found by its exact name, or by the same provider's model with a dated
snapshot suffix or "-latest" removed ("anthropic:claude-sonnet-4-5-20250929" →
"anthropic:claude-sonnet-4-5"), because that is how the providers' model lists name the
models we ship. A *different* provider id is never matched by model name:
"myopenai:gpt-4o" may be Azure, a proxy or a local server with other prices and limits,
and "unknown" is better than a confident wrong figure. The user can set such a target's
figures with an override.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from app.core.paths import resources_dir
from app.core.router.targets import is_local, is_target, model_of, provider_of

T = TypeVar("T")
_SNAPSHOT = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
_FIELDS = {"context", "max_output", "vision", "tools", "price"}


class CatalogError(Exception):
    """The catalog file or an entry in it is wrong; the message names the file and entry."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model's figures; None where the catalog does not know."""

    context: int | None = None
    max_output: int | None = None
    vision: bool | None = None
    tools: bool | None = None
    price: Mapping[str, object] | None = None  # {"input": …, "output": …}, checked by pricing


def catalog_file() -> Path:
    return resources_dir() / "model_catalog.json"


def base_target(target: str) -> str:
    """The catalog's name for a snapshot of a model. Gemini's API names models
    "models/x"; snapshots end in a date or "-latest"."""
    model = model_of(target).removeprefix("models/")
    return f"{provider_of(target)}:{_SNAPSHOT.sub('', model)}"


def find(table: Mapping[str, T], target: str) -> T | None:
    """``table``'s entry for ``target``: its own, else its model's without the snapshot."""
    exact = table.get(target)
    return exact if exact is not None else table.get(base_target(target))


class ModelCatalog:
    """The shipped figures by target, read once."""

    def __init__(self, entries: Mapping[str, ModelEntry], updated: str | None = None,
                 path: Path | None = None) -> None:
        self._entries = dict(entries)
        self.updated = updated  # the file's date, for "prices as of …"
        self.path = path

    @classmethod
    def load(cls, path: Path | None = None) -> ModelCatalog:
        """The catalog in ``path`` (default: the shipped one); CatalogError when wrong."""
        path = path or catalog_file()
        document = _read_document(path)
        models = document.get("models")
        if not isinstance(models, Mapping):
            raise CatalogError(f'{path}: expected "models", an object of "provider:model" entries.')
        entries = {str(target): parse_entry(target, value, str(path)) for target, value in models.items()}
        updated = document.get("updated")
        return cls(entries, updated if isinstance(updated, str) else None, path)

    @property
    def entries(self) -> Mapping[str, ModelEntry]:
        return MappingProxyType(self._entries)

    def entry(self, target: str) -> ModelEntry | None:
        """The target's entry, a snapshot's included; None for local and unknown models."""
        return None if is_local(target) else find(self._entries, target)


def parse_entry(target: object, value: object, source: str) -> ModelEntry:
    if not isinstance(target, str) or not is_target(target) or is_local(target):
        raise CatalogError(f'{source} "{target}": not a remote target (expected "provider:model").')
    if not isinstance(value, Mapping) or not set(value) <= _FIELDS:
        raise CatalogError(f'{source} "{target}": expected an object with some of '
                           f"{', '.join(sorted(_FIELDS))}.")
    price = value.get("price")
    if price is not None and not isinstance(price, Mapping):
        raise CatalogError(f'{source} "{target}": price must be {{"input": …, "output": …}}.')
    return ModelEntry(
        context=tokens(value.get("context"), f'{source} "{target}": context'),
        max_output=tokens(value.get("max_output"), f'{source} "{target}": max_output'),
        vision=_flag(value.get("vision"), f'{source} "{target}": vision'),
        tools=_flag(value.get("tools"), f'{source} "{target}": tools'),
        price=price,
    )


def tokens(value: object, what: str) -> int | None:
    """A token count from a file: a whole number from 1 to 100 million, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value != int(value) or not 1 <= value <= 100_000_000:
        raise CatalogError(f"{what} must be a whole number of tokens, not {value!r}.")
    return int(value)


def _flag(value: object, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise CatalogError(f"{what} must be true or false, not {value!r}.")


def _read_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"The model catalog {path} is missing.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"The model catalog {path} cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CatalogError(f"The model catalog {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise CatalogError(f"The model catalog {path} is nested too deeply.") from None
    if not isinstance(document, dict):
        raise CatalogError(f"The model catalog {path} must hold a JSON object.")
    return document
