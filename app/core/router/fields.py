"""Typed reading of a router's JSON with errors that name the exact field.

A router is a file people share and hand-edit, so a mistake must point at the spot:
``rules[2].when.all[0].value: expected a number``. This is hand-written rather than
pydantic/jsonschema because their messages for nested unions (a condition is one of a
dozen shapes) list every alternative instead of the one thing that is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

from app.core.safe_read import one_line


MAX_MESSAGE_CHARS = 400  # an error quoting a pasted page stays one readable line


class RouterFormatError(ValueError):
    """A router file that cannot be used; ``path`` is where, ``problem`` is what.

    ``problem`` and ``str()`` are one line of printable text whatever the file held: a key
    or value quoted in them has its control characters escaped (a newline in a rule id
    must not start a second line of the error) and is cut when long. ``path`` stays as
    given, for the editor to find the field by."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = one_line(problem, MAX_MESSAGE_CHARS)
        shown = one_line(f"{path}: {problem}" if path else problem, MAX_MESSAGE_CHARS)
        super().__init__(shown)


def describe(value: Any) -> str:
    """How a JSON value reads in an error: its type, and the value when short."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "an object", type(None): "null"}
    kind = kinds.get(type(value), type(value).__name__)
    shown = repr(value) if isinstance(value, (int, float, str)) and len(repr(value)) <= 30 else ""
    return f"{kind} {shown}".strip()


class Fields:
    """One JSON object being read; every accessor knows its own path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise RouterFormatError(path, f"expected an object, got {describe(data)}")
        self.data: dict[str, Any] = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> NoReturn:
        raise RouterFormatError(self.at(key), problem)

    def has(self, key: str) -> bool:
        return key in self.data

    def only(self, *allowed: str) -> None:
        """Reject unknown keys: a typo such as "route_too" must not be silently ignored."""
        for key in self.data:
            if key not in allowed:
                expected = ", ".join(f'"{k}"' for k in allowed)
                self.fail(key, f"unknown field (expected one of {expected})")

    def raw(self, key: str) -> Any:
        if key not in self.data:
            self.fail(key, "missing")
        return self.data[key]

    def text(self, key: str, default: str | None = None, *, non_empty: bool = False) -> str:
        if key not in self.data and default is not None:
            return default
        value = self.raw(key)
        if not isinstance(value, str):
            self.fail(key, f"expected text, got {describe(value)}")
        if non_empty and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {describe(value)}")
        return value

    def number(self, key: str) -> float:
        return number_at(self.raw(key), self.at(key))

    def whole(self, key: str, *, minimum: int, maximum: int | None = None) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"expected a whole number, got {describe(value)}")
        if value < minimum:
            self.fail(key, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            self.fail(key, f"must be at most {maximum:,}, got {value:,}")
        return value

    def items(self, key: str, *, non_empty: bool = True) -> Iterator[tuple[Any, str]]:
        """The elements of a list field, each with its own path (``key[i]``)."""
        value = self.raw(key)
        if not isinstance(value, list):
            self.fail(key, f"expected a list, got {describe(value)}")
        if non_empty and not value:
            self.fail(key, "must not be empty")
        return ((item, f"{self.at(key)}[{i}]") for i, item in enumerate(value))

    def texts(self, key: str, *, non_empty: bool = True) -> tuple[str, ...]:
        out = []
        for item, path in self.items(key, non_empty=non_empty):
            if not isinstance(item, str) or not item.strip():
                raise RouterFormatError(path, f"expected non-empty text, got {describe(item)}")
            out.append(item)
        return tuple(out)

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in options:
            listed = ", ".join(f'"{o}"' for o in options)
            self.fail(key, f"expected one of {listed}, got {describe(value)}")
        return value


def number_at(value: Any, path: str) -> float:
    # bool is an int subclass in Python; `true` as a token count is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RouterFormatError(path, f"expected a number, got {describe(value)}")
    return value
