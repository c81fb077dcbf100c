"""Private values swapped for placeholders on the way out, and back on the way in.

A ``Redactor`` gives each private value of a conversation a stable placeholder
(``[EMAIL_1]``, ``[CARD_1]``, ``[SECRET_2]``): the same value gets the same placeholder
in every message, the user's and the assistant's, so the cloud model can still refer
to it. A ``Restorer`` puts the originals back into a streamed reply as it arrives,
holding back only what could still be the start of a placeholder split across chunks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from app.core.router.private_data import PRIVATE_KINDS, find_private_spans

_NAMES = {"email": "EMAIL", "phone": "PHONE", "card": "CARD", "iban": "IBAN", "secret": "SECRET"}
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|SECRET)_[0-9]{1,6}\]")
# What the end of a chunk may hold of a placeholder not yet finished: "[", "[EM", "[EMAIL_1".
_PARTIAL = re.compile(r"\[(?:[A-Z]{0,6}|[A-Z]{4,6}_[0-9]{0,6})\Z")
_NOUNS = {"email": ("email", "emails"), "phone": ("phone number", "phone numbers"),
          "card": ("card number", "card numbers"), "iban": ("IBAN", "IBANs"),
          "secret": ("secret", "secrets")}


class Redactor:
    def __init__(self, kinds: Iterable[str] = PRIVATE_KINDS) -> None:
        self._kinds = tuple(kinds)
        self._placeholders: dict[str, str] = {}  # value → placeholder
        self._kinds_of: dict[str, str] = {}  # value → kind
        self._per_kind: Counter[str] = Counter()
        self.replaced: Counter[str] = Counter()  # kind → occurrences replaced

    def redact(self, text: str) -> str:
        """``text`` with every private value (found, or seen before) as its placeholder."""
        spans = find_private_spans(text, self._kinds) if self._kinds else []
        for span in spans:
            self._placeholder(text[span.start:span.end], span.kind)
        out, last = [], 0
        for start, end, value in self._occurrences(text, spans):
            out += [text[last:start], self._placeholders[value]]
            self.replaced[self._kinds_of[value]] += 1
            last = end
        out.append(text[last:])
        return "".join(out)

    def originals(self) -> dict[str, str]:
        """placeholder → value, for the ``Restorer`` of a reply."""
        return {placeholder: value for value, placeholder in self._placeholders.items()}

    def summary(self) -> str:
        """"2 emails, 1 secret" (distinct values), never the values themselves."""
        counts = Counter(self._kinds_of[value] for value in self._placeholders)
        return ", ".join(f"{n} {_NOUNS[kind][n != 1]}" for kind, n in counts.items())

    def _placeholder(self, value: str, kind: str) -> str:
        found = self._placeholders.get(value)
        if found is None:
            self._per_kind[kind] += 1
            found = self._placeholders[value] = f"[{_NAMES[kind]}_{self._per_kind[kind]}]"
            self._kinds_of[value] = kind
        return found

    def _occurrences(self, text: str, spans: Iterable[object]) -> list[tuple[int, int, str]]:
        """Where known values stand in ``text``, longest first where two overlap: a
        value seen earlier is replaced even where detection would not find it again
        (an assistant quoting half a line)."""
        hits: list[tuple[int, int, str]] = []
        for value in sorted(self._placeholders, key=len, reverse=True):
            start = text.find(value)
            while start != -1:
                end = start + len(value)
                if all(end <= s or start >= e for s, e, _ in hits):
                    hits.append((start, end, value))
                start = text.find(value, end)
        return sorted(hits)


class Restorer:
    """Feed it a reply's chunks; it returns them with the placeholders replaced."""

    def __init__(self, originals: Mapping[str, str]) -> None:
        self._originals = dict(originals)
        self._held = ""

    def feed(self, chunk: str) -> str:
        text = self._held + chunk
        cut = text.rfind("[")
        if cut != -1 and _PARTIAL.match(text, cut):
            text, self._held = text[:cut], text[cut:]
        else:
            self._held = ""
        return self._restore(text)

    def flush(self) -> str:
        """What is left at the end of the reply (an unfinished "[EMA" is just text)."""
        text, self._held = self._held, ""
        return self._restore(text)

    def _restore(self, text: str) -> str:
        if "[" not in text:
            return text
        return PLACEHOLDER.sub(lambda m: self._originals.get(m.group(0), m.group(0)), text)
