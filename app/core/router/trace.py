"""The lines of a routing trace: what was checked, in order, and what came of it.

Each line has a ``kind``, so no face has to recognise a special line by a magic rule
name; JSON exists only where a trace is stored (``to_json`` / ``from_json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from app.core.router.conditions.base import Detail, Match


class TraceKind(StrEnum):
    RULE = "rule"  # a calculated rule, checked against the message
    CLASSIFIED = "classified"  # a plain-English rule, left to the classifier
    CLASSIFIER = "classifier"  # what the classifier answered (or why it could not)
    STICKY = "sticky"  # kept on the target an earlier rule chose
    FALLBACK = "fallback"  # no rule chose: the fallback chain's pick
    ATTEMPT = "attempt"  # a target failed before answering, or a fallback target answered
    PRIVACY = "privacy"  # what privacy did: kept local, redacted, left turns out
    CONTEXT = "context"  # what of the conversation was sent, when it outgrew the window


# Traces stored before kinds existed named their special lines by a pseudo rule id.
_LEGACY_KINDS = {"attempt": TraceKind.ATTEMPT, "classifier": TraceKind.CLASSIFIER,
                 "sticky": TraceKind.STICKY}


class TraceEntry(Match):
    """One line; like a Match, its words may be written only when first read.

    ``rule`` is the rule's id for rule lines (and the rule kept for sticky lines), None
    otherwise; ``label`` is the rule's title for people; ``target`` the target an
    attempt or fallback line is about.
    """

    __slots__ = ("kind", "label", "rule", "target")

    def __init__(self, rule: str | None, matched: bool, explanation: Detail,
                 kind: TraceKind = TraceKind.RULE, *, label: str | None = None,
                 target: str | None = None) -> None:
        self.rule = rule
        self.matched = matched
        self.explanation = explanation
        self.kind = kind
        self.label = label
        self.target = target

    @property
    def title(self) -> str:
        """What a person reads in the trace's rule column."""
        if self.kind in (TraceKind.RULE, TraceKind.CLASSIFIED):
            return self.label or self.rule or ""
        return _KIND_TITLES[self.kind]

    def with_detail(self, matched: bool, explanation: Detail) -> TraceEntry:
        return TraceEntry(self.rule, matched, explanation, self.kind, label=self.label,
                          target=self.target)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "rule": self.rule,
                               "matched": self.matched, "detail": self.detail}
        if self.label is not None:
            out["label"] = self.label
        if self.target is not None:
            out["target"] = self.target
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TraceEntry:
        rule = data.get("rule")
        kind_name = data.get("kind")
        if isinstance(kind_name, str) and kind_name in TraceKind.__members__.values():
            kind = TraceKind(kind_name)
        else:
            kind = _LEGACY_KINDS.get(rule, TraceKind.RULE) if isinstance(rule, str) else TraceKind.RULE
            if kind is not TraceKind.RULE:
                rule = None
        return cls(rule if isinstance(rule, str) else None, bool(data.get("matched")),
                   str(data.get("detail", "")), kind,
                   label=_text_or_none(data.get("label")), target=_text_or_none(data.get("target")))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TraceEntry):
            return NotImplemented
        return ((self.kind, self.rule, self.matched, self.detail)
                == (other.kind, other.rule, other.matched, other.detail))

    def __repr__(self) -> str:
        return f"TraceEntry({self.rule!r}, {self.matched!r}, {self.detail!r}, {self.kind.name})"


# Every kind has its title: a line of a kind without one would break the whole trace.
_KIND_TITLES = {TraceKind.CLASSIFIER: "Classifier", TraceKind.STICKY: "Kept the previous model",
                TraceKind.FALLBACK: "Fallback", TraceKind.ATTEMPT: "Tried",
                TraceKind.PRIVACY: "Privacy", TraceKind.CONTEXT: "What was sent"}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def trace_to_json(entries: Iterable[TraceEntry]) -> list[dict[str, Any]]:
    return [entry.to_json() for entry in entries]


def trace_from_json(data: object) -> tuple[TraceEntry, ...]:
    """A stored trace; anything unreadable in it is left out rather than raised."""
    if not isinstance(data, list):
        return ()
    return tuple(TraceEntry.from_json(item) for item in data if isinstance(item, Mapping))
