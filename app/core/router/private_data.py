"""Find private data in a chat message, so a rule can keep that message on a local model.

Every detector runs on every message, so each one is a precompiled pattern whose
backtracking is bounded (every unbounded repeat is delimited by a character it cannot
consume), followed by a cheap check in Python (digit counts, Luhn, mod-97) that
throws out look-alikes. A finding's detail goes into a decision trace the user can
read and copy, so it never repeats the secret itself: at most the last four characters
of a card number or IBAN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

PRIVATE_KINDS: tuple[str, ...] = ("email", "phone", "card", "iban", "secret")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    detail: str


def find_private_data(text: str, kinds: Iterable[str] = PRIVATE_KINDS) -> Finding | None:
    """First finding among the requested kinds (checked in PRIVATE_KINDS order), or None.

    An unknown kind raises ValueError: a misspelt kind would otherwise silently never
    match, and a rule meant to keep private data local would quietly stop doing so.
    """
    wanted = frozenset(kinds)
    unknown = wanted.difference(PRIVATE_KINDS)
    if unknown:
        raise ValueError(f"unknown private-data kind(s): {', '.join(sorted(unknown))}")
    for kind in PRIVATE_KINDS:
        if kind in wanted:
            detail = _DETECTORS[kind](text)
            if detail is not None:
                return Finding(kind, detail)
    return None


# --- email -------------------------------------------------------------------------

# The lookbehind pins the start to the beginning of a token, so a long run of
# local-part characters is scanned once instead of once per starting position.
# A dotted domain is required: 'user@localhost' and '@mentions' are not addresses
# anyone pastes by accident.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\b"
)


def _email(text: str) -> str | None:
    if "@" not in text:
        return None
    return "email address found" if _EMAIL.search(text) else None


# --- phone -------------------------------------------------------------------------

# Three shapes, each needing separators or a leading '+', so bare digit runs (order
# numbers, timestamps, card numbers) never count as phones:
#   intl   '+44 20 7946 0958', '+1 (415) 555-2671', '+44 (0)20 7946 0958'
#   nanp   '(415) 555-2671', '415-555-2671', '415.555.2671', '1-800-555-0199'
#   trunk  national numbers with a leading 0 grouped by spaces or dashes, as written
#          across Europe: '020 7946 0958', '07700 900123', '01 23 45 67 89'
# The national shapes must not touch a neighbouring digit group on either side, so a
# slice of a grouped card number or IBAN ('… 0044 0532 0130 …') never matches.
_PHONE = re.compile(
    r"""
    (?<![\w+])(?P<intl>\+[1-9]\d*(?:(?:[ .-]?\(\d+\)[ .-]?|[ .-])\d+)*)
    |
    (?<![\w+.-])(?<!\d[ ])
    (?:
        (?P<nanp>
            (?:1[ .-]?)?\(\d{2,5}\)[ .-]?\d{2,4}[ .-]?\d{3,4}
          | (?:1[ .-])?\d{3}(?P<sep>[ .-])\d{3}(?P=sep)\d{4}
        )
      | (?P<trunk>0\d{1,4}(?P<tsep>[ -])\d{2,8}(?:(?P=tsep)\d{2,8}){0,4})
    )
    (?![\w]|[ .-]\d)
    """,
    re.VERBOSE,
)
# '+1.000.000' is a signed amount with thousands separators, not a phone.
_THOUSANDS = re.compile(r"\+\d{1,3}(?:\.\d{3})+")
_DIGIT = re.compile(r"\d")


def _phone(text: str) -> str | None:
    if not _DIGIT.search(text):
        return None
    for m in _PHONE.finditer(text):
        if _phone_plausible(m):
            return "phone number found"
    return None


def _phone_plausible(m: re.Match[str]) -> bool:
    digits = sum(ch.isdigit() for ch in m.group())
    if m.group("intl") is not None:
        # E.164 caps a number at 15 digits; fewer than 7 is a score or a quantity.
        return 7 <= digits <= 15 and not _THOUSANDS.fullmatch(m.group())
    if m.group("nanp") is not None:
        return 9 <= digits <= 12
    # Trunk numbers are 10-12 digits; fewer is a date or a reference number.
    return 10 <= digits <= 12


# --- card --------------------------------------------------------------------------

# One maximal run of 13-19 digits, optionally split by single spaces or dashes, that
# is not glued to letters or to further digit groups. The first digit is 2-6: every
# major network (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro)
# issues from that range, and excluding the rest halves the Luhn-passing noise from
# order and tracking numbers.
_CARD = re.compile(r"(?<!\w)(?<!\d[ -])[2-6](?:[ -]?\d){12,18}(?![ -]?\d)(?![A-Za-z_])")


def _card(text: str) -> str | None:
    for m in _CARD.finditer(text):
        digits = "".join(ch for ch in m.group() if ch.isdigit())
        if _luhn_ok(digits):
            return f"card number ending {digits[-4:]} found"
    return None


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


# --- iban --------------------------------------------------------------------------

# Country, check digits, then an 11-30 character BBAN, ungrouped or in groups of four.
# Case-insensitive because people retype IBANs in lower case; the digit count and the
# mod-97 check below keep ordinary words out.
_IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
)
# Every national account number has digits; a BBAN of letters is a run of words.
_MIN_BBAN_DIGITS = 6


def _iban(text: str) -> str | None:
    if not _DIGIT.search(text):
        return None
    pos = 0
    while (m := _IBAN.search(text, pos)) is not None:
        found = _valid_iban_prefix(m.group())
        if found is not None:
            return f"IBAN ending {found[-4:]} found"
        # Retry just past this start, not past the whole candidate: a rejected run can
        # swallow a real IBAN that begins in one of its later groups.
        pos = m.start() + 1
    return None


def _valid_iban_prefix(candidate: str) -> str | None:
    """The longest space-group prefix of candidate that is a valid IBAN, compact."""
    # A grouped IBAN followed by a four-letter word ('… 7034 Bank') is matched as one
    # run, so drop trailing groups until the checksum holds or it is too short.
    groups = candidate.split(" ")
    while groups:
        compact = "".join(groups).upper()
        if 15 <= len(compact) <= 34 and _iban_checksum_ok(compact):
            return compact
        groups.pop()
    return None


def _iban_checksum_ok(iban: str) -> bool:
    if sum(ch.isdigit() for ch in iban[4:]) < _MIN_BBAN_DIGITS:
        return False
    rearranged = iban[4:] + iban[:4]
    # ISO 13616: letters become 10..35, and the whole number mod 97 must be 1.
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# --- secret ------------------------------------------------------------------------

# Shapes of credentials that vendors issue with a fixed prefix. The leading lookbehind
# keeps 'ask-…', 'task-…' and words inside identifiers out; the minimum lengths keep
# prose that merely names a prefix ("the sk- prefix") out.
_SECRET = re.compile(
    r"""
    (?<![\w-])
    (?:
        (?P<anthropic>sk-ant-[A-Za-z0-9_-]{20,})
      | (?P<openai>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})
      | (?P<aws>(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z]))
      | (?P<github>gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})
      | (?P<slack>xox[abeprs]-[A-Za-z0-9-]{10,})
      | (?P<google>AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-]))
      | (?P<pem>-----BEGIN[ ](?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP)[ ])?
                PRIVATE[ ]KEY(?:[ ]BLOCK)?-----)
      | (?P<jwt>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)
    )
    """,
    re.VERBOSE,
)
_SECRET_DETAILS = {
    "anthropic": "API key (Anthropic sk-ant-…) found",
    "openai": "API key (OpenAI-style sk-…) found",
    "aws": "AWS access key ID found",
    "github": "GitHub token found",
    "slack": "Slack token found",
    "google": "Google API key found",
    "pem": "private key (PEM) found",
    "jwt": "JSON Web Token found",
}


def _secret(text: str) -> str | None:
    for m in _SECRET.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative is a named group
        # Real sk- keys are random: a body with no digit is a long hyphenated phrase.
        if kind in ("openai", "anthropic") and not _DIGIT.search(m.group(), 3):
            continue
        return _SECRET_DETAILS[kind]
    return None


_DETECTORS: dict[str, Callable[[str], str | None]] = {
    "email": _email,
    "phone": _phone,
    "card": _card,
    "iban": _iban,
    "secret": _secret,
}
assert tuple(_DETECTORS) == PRIVATE_KINDS
