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
from functools import lru_cache

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
    for kind, detect in _detectors_for(tuple(kinds)):
        detail = detect(text)
        if detail is not None:
            return Finding(kind, detail)
    return None


@lru_cache(maxsize=64)
def _detectors_for(kinds: tuple[str, ...]) -> tuple[tuple[str, Callable[[str], str | None]], ...]:
    # Validated and ordered once per distinct kinds list: this runs on every message.
    unknown = set(kinds).difference(PRIVATE_KINDS)
    if unknown:
        raise ValueError(f"unknown private-data kind(s): {', '.join(sorted(unknown))}")
    return tuple((kind, _DETECTORS[kind]) for kind in PRIVATE_KINDS if kind in kinds)


# --- shared ------------------------------------------------------------------------

# Each pattern below starts with a plain character or character class, so the regex
# engine skips in C to the few places where a match could start instead of trying
# every position of the message; the checks on the character before a match are
# lookbehinds placed after that first character.
_DIGIT = re.compile(r"[0-9]")
# Deleting every byte but ASCII digits counts them in C, far faster than a regex scan.
_NON_DIGIT_BYTES = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)
# A run of eight or more digits, each at most two separators from the next. Every
# national phone number (9+ digits), card number (13+) and IBAN (whose account part
# always holds a run of 8+ digits) contains one. Prose full of dates, prices and
# times mostly has none, and where it has some, the phone and card patterns only
# need to look there: trying them at every digit of a number-heavy message is what
# would cost the most.
_LONG_NUMBER = re.compile(r"[0-9](?:[ ().-]{0,2}+[0-9]){7,}+")
# How far a phone or card match can reach outside the run it contains: a '(' before
# it, and the two characters its closing lookahead reads.
_SPAN_MARGIN = 2


def _digit_total(text: str) -> int:
    # surrogatepass: a lone surrogate must not make the count raise.
    return len(text.encode("utf-8", "surrogatepass").translate(None, _NON_DIGIT_BYTES))


# The phone, card and IBAN detectors ask this of the same message one after another.
@lru_cache(maxsize=1)
def _long_number_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where the long digit runs are, widened by _SPAN_MARGIN on both sides."""
    if _digit_total(text) < 8:
        return ()
    return tuple(
        (max(0, m.start() - _SPAN_MARGIN), m.end() + _SPAN_MARGIN)
        for m in _LONG_NUMBER.finditer(text)
    )


# --- email -------------------------------------------------------------------------

# Matched from the '@': one local-part character before it is enough to call it an
# address, and starting there keeps the scan linear. A dotted domain is required:
# '@mentions' and 'user@localhost' are not addresses anyone pastes by accident.
# 'logo@2x.png' is an image at twice the resolution, not an address.
_EMAIL_DOMAIN = re.compile(
    r"@(?![0-9]+(?:\.[0-9]+)?x\.)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\b"
)


def _email(text: str) -> str | None:
    if "@" not in text:
        return None
    for m in _EMAIL_DOMAIN.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        if before.isalnum() or before in "._%+-":
            return "email address found"
    return None


# --- phone -------------------------------------------------------------------------

# Phones need a leading '+' or phone-like grouping, so bare digit runs (order numbers,
# timestamps, card numbers) never count. International: '+44 20 7946 0958',
# '+1 (415) 555-2671', '+44 (0)20 7946 0958'; the digit count is checked below.
_PHONE_INTL = re.compile(
    r"\+(?<![\w+]\+)[1-9]\d*(?:(?:[ .-]?\(\d+\)[ .-]?|[ .-])\d+)*", re.ASCII
)
# National shapes, picked by their first character. None may touch a neighbouring
# digit group on either side, so a slice of a grouped card number or IBAN
# ('… 0044 0532 0130 …') never matches.
_PHONE_NATIONAL = re.compile(
    r"""
    [(0-9](?<![\w+.-][(0-9])(?<!\d[ ][(0-9])
    (?:
        (?<=\()\d{2,5}\)[ .-]?\d{2,4}[ .-]?\d{3,4}                  # (415) 555-2671
      | (?<=1)[ .-]?\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}                 # 1 (415) 555-2671
      | (?<=1)(?P<lsep>[ .-])\d{3}(?P=lsep)\d{3}(?P=lsep)\d{4}     # 1-800-555-0199
      # Trunk-prefixed numbers as written across Europe: '020 7946 0958',
      # '07700 900123', '01 23 45 67 89'.
      | (?<=0)(?P<trunk>\d{1,4}(?P<tsep>[ -])\d{2,8}(?:(?P=tsep)\d{2,8}){0,4})
      | \d{2}(?P<sep>[ .-])\d{3}(?P=sep)\d{4}                      # 415-555-2671
    )
    (?!\w|[ .-]\d)
    """,
    re.VERBOSE | re.ASCII,
)
# '+1.000.000' is a signed amount with thousands separators, not a phone.
_THOUSANDS = re.compile(r"\+[0-9]{1,3}(?:\.[0-9]{3})+")


def _phone(text: str) -> str | None:
    if "+" in text:
        for m in _PHONE_INTL.finditer(text):
            # E.164 caps a number at 15 digits; fewer than 7 is a score or a quantity.
            if 7 <= _digit_total(m.group()) <= 15 and not _THOUSANDS.fullmatch(m.group()):
                return "phone number found"
    for start, end in _long_number_spans(text):
        for m in _PHONE_NATIONAL.finditer(text, start, end):
            # Trunk numbers have 10-12 digits; fewer is a date or a reference number.
            low = 10 if m.group("trunk") is not None else 9
            if low <= _digit_total(m.group()) <= 12:
                return "phone number found"
    return None


# --- card --------------------------------------------------------------------------

# One maximal run of 13-19 digits, optionally split by single spaces or dashes, that
# is not glued to letters or to further digit groups. The first digit is 2-6: every
# major network (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro)
# issues from that range, and excluding the rest halves the Luhn-passing noise from
# order and tracking numbers.
_CARD = re.compile(
    r"[2-6](?<!\w[2-6])(?<!\d[ -][2-6])(?:[ -]?\d){12,18}+(?![ -]?\d)(?![A-Za-z_])",
    re.ASCII,
)
_CARD_SEPARATORS = str.maketrans("", "", " -")


def _card(text: str) -> str | None:
    for start, end in _long_number_spans(text):
        for m in _CARD.finditer(text, start, end):
            digits = m.group().translate(_CARD_SEPARATORS)
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
# Upper case only, as ISO 13616 writes it and as banks print it; that also makes the
# first character a capital letter, which is rare enough for the engine to skip to.
_IBAN = re.compile(
    r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
)
# Every national account number has digits; a BBAN of letters is a run of words.
_MIN_BBAN_DIGITS = 6


def _iban(text: str) -> str | None:
    if not _long_number_spans(text):
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
    # A grouped IBAN followed by a four-letter word ('… 7034 BANK') is matched as one
    # run, so drop trailing groups until the checksum holds or it is too short.
    groups = candidate.split(" ")
    while groups:
        compact = "".join(groups)
        if 15 <= len(compact) <= 34 and _iban_checksum_ok(compact):
            return compact
        groups.pop()
    return None


def _iban_checksum_ok(iban: str) -> bool:
    if _digit_total(iban[4:]) < _MIN_BBAN_DIGITS:
        return False
    rearranged = iban[4:] + iban[:4]
    # ISO 13616: letters become 10..35, and the whole number mod 97 must be 1.
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# --- secret ------------------------------------------------------------------------

# Credentials that vendors issue with a fixed prefix. Each alternative starts at a
# character of its prefix that is rare in prose ('k' of 'sk-', '_' of 'ghp_', 'J' of
# 'eyJ', ...) and checks the rest of the prefix behind it, so the engine skips most
# of the message in C. The '[\w-]' lookbehinds keep 'ask-…', 'task-…' and words
# inside identifiers out; the minimum lengths keep prose that merely names a prefix
# ("the sk- prefix") out. The named group that closes last names the kind.
_SECRET = re.compile(
    r"""
        k(?<=sk)(?<![\w-]sk)-(?:ant-(?P<anthropic>[A-Za-z0-9_-]{20,})
                               |(?:proj-|svcacct-|admin-)?(?P<openai>[A-Za-z0-9_-]{20,}))
      | K(?<=AK)(?<![\w-]AK)IA(?P<aws>[0-9A-Z]{16})(?![0-9A-Za-z])
      | S(?<=AS)(?<![\w-]AS)IA(?P<aws_sts>[0-9A-Z]{16})(?![0-9A-Za-z])
      | z(?<=AIz)(?<![\w-]AIz)a(?P<google>[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])
      | _(?:(?<=gh[pousr]_)(?<![\w-]gh[pousr]_)(?P<github>[A-Za-z0-9]{36,})
           |(?<=github_)(?<![\w-]github_)pat_(?P<github_pat>[A-Za-z0-9_]{22,}))
      | x(?<![\w-]x)ox[abeprs]-(?P<slack>[A-Za-z0-9-]{10,})
      | B(?<=-----B)EGIN[ ](?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP)[ ])?
            PRIVATE[ ]KEY(?:[ ]BLOCK)?-----(?P<pem>)
      | J(?<=eyJ)(?<![\w-]eyJ)[A-Za-z0-9_-]{8,}+\.eyJ[A-Za-z0-9_-]{8,}+\.(?P<jwt>[A-Za-z0-9_-]*)
    """,
    re.VERBOSE,
)
_SECRET_DETAILS = {
    "anthropic": "API key (Anthropic sk-ant-…) found",
    "openai": "API key (OpenAI-style sk-…) found",
    "aws": "AWS access key ID found",
    "aws_sts": "AWS access key ID found",
    "google": "Google API key found",
    "github": "GitHub token found",
    "github_pat": "GitHub token found",
    "slack": "Slack token found",
    "pem": "private key (PEM) found",
    "jwt": "JSON Web Token found",
}


def _secret(text: str) -> str | None:
    for m in _SECRET.finditer(text):
        kind = m.lastgroup
        assert kind is not None  # every alternative ends in a named group
        # Real sk- keys are random: a body with no digit is a long hyphenated phrase.
        if kind in ("openai", "anthropic") and not _DIGIT.search(m.group(kind)):
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
