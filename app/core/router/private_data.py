"""Find private data in a chat message, so a rule can keep that message on a local model.

Two questions are asked of a message: is there anything private in it
(``find_private_data``, the routing hot path, which stops at the first finding) and where
exactly is each private value (``find_private_spans``, for redaction). Both run the same
scanners, so a message has a finding exactly when it has a span.

Every scanner runs on the whole message, whatever its length, so each one is linear: a
precompiled pattern that starts with a literal (the regex engine then skips in C to the
few places it occurs), whose repeats are bounded or possessive, followed by a cheap check
in Python (digit counts, Luhn, mod-97, character mix) that throws out look-alikes. A
finding's detail goes into a decision trace the user can read and copy, so it never
repeats the value itself: at most the last four characters of a card number or IBAN.

Every credential, token and key is of the kind "secret" (routers list kinds by name);
the detail names the sort: "AWS secret access key found", "GitHub token found".

Deliberately not private data (tests/unit/core/router/test_private_data.py has each):
UUIDs, git SHAs and other hex or base64 hashes and blobs (an AWS secret key is only
taken with its name or key ID before it), version strings, dates, times, prices and
order numbers, "Bearer" or "sk-" in prose and in words ('task-list'), identifiers that
name a prefix ('github_pat_token_for_ci'), placeholders ('Bearer $TOKEN',
'YOUR_API_KEY', 'user:password@host', 'AccountKey=<key>'), a GCP key file's
'"type": "service_account"' without its key, 'git@github.com:' (the SSH user of a forge)
and 'x@self.weight' (a matrix product). Vendors' documented example credentials
('AKIAIOSFODNN7EXAMPLE') are found: they have a real key's shape, and keeping one local
costs nothing.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

PRIVATE_KINDS: tuple[str, ...] = ("email", "phone", "card", "iban", "secret")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` is exactly one private value (the token of ``Bearer …``, the
    whole block of a PEM key, the address of an email)."""

    kind: str
    start: int
    end: int


# start, end, detail
_Hit = tuple[int, int, str]
_Scanner = Callable[[str], Iterator[_Hit]]


def find_private_data(text: str, kinds: Iterable[str] = PRIVATE_KINDS) -> Finding | None:
    """First finding among the requested kinds (checked in PRIVATE_KINDS order), or None.

    An unknown kind raises ValueError: a misspelt kind would otherwise silently never
    match, and a rule meant to keep private data local would quietly stop doing so.
    """
    for kind, scanners in _scanners_for(tuple(kinds)):
        for scan in scanners:
            hit = next(scan(text), None)
            if hit is not None:
                return Finding(kind, hit[2])
    return None


def find_private_spans(text: str, kinds: Iterable[str] = PRIVATE_KINDS) -> list[Span]:
    """Every private value in ``text``, sorted by start, none overlapping another.

    Where two findings overlap, the longer one wins (then the earlier, then the kind
    first in PRIVATE_KINDS): a phone-shaped slice of an IBAN is part of the IBAN.
    """
    hits: list[_Ranked] = []
    for rank, (kind, scanners) in enumerate(_scanners_for(tuple(kinds))):
        for scan in scanners:
            hits.extend((start, end, rank, kind) for start, end, _ in scan(text))
    hits.sort()
    # Findings that overlap nothing (nearly all) are taken as they are; only each group
    # of overlapping ones is settled, so a message of a million addresses stays linear.
    found: list[Span] = []
    group: list[_Ranked] = []
    group_end = -1
    for hit in hits:
        if hit[0] >= group_end:
            found += _longest_first(group)
            group, group_end = [], hit[1]
        group.append(hit)
        group_end = max(group_end, hit[1])
    found += _longest_first(group)
    return found


# start, end, rank of the kind in PRIVATE_KINDS, kind
_Ranked = tuple[int, int, int, str]


def _longest_first(group: list[_Ranked]) -> list[Span]:
    """The findings of an overlapping group that survive, longest first, sorted by start."""
    if len(group) == 1:
        start, end, _, kind = group[0]
        return [Span(kind, start, end)]
    starts: list[int] = []  # accepted, kept sorted by start
    ends: list[int] = []
    kept: list[Span] = []
    for start, end, _, kind in sorted(group, key=lambda h: (h[0] - h[1], h[0], h[2])):
        i = bisect.bisect_right(starts, start)
        if (i and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        kept.insert(i, Span(kind, start, end))
    return kept


def private_kinds_in(text: str, kinds: Iterable[str] = PRIVATE_KINDS) -> frozenset[str]:
    """The kinds of the spans ``find_private_spans`` reports: what redaction would hide."""
    return frozenset(span.kind for span in find_private_spans(text, kinds))


@lru_cache(maxsize=64)
def _scanners_for(kinds: tuple[str, ...]) -> tuple[tuple[str, tuple[_Scanner, ...]], ...]:
    # Validated and ordered once per distinct kinds list: this runs on every message.
    unknown = set(kinds).difference(PRIVATE_KINDS)
    if unknown:
        raise ValueError(f"unknown private-data kind(s): {', '.join(sorted(unknown))}")
    return tuple((kind, _SCANNERS[kind]) for kind in PRIVATE_KINDS if kind in kinds)


# --- shared ------------------------------------------------------------------------

_DIGIT = re.compile(r"[0-9]")
_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")
# Deleting every byte but ASCII digits counts them in C, far faster than a regex scan.
_NON_DIGIT_BYTES = bytes(b for b in range(256) if not 0x30 <= b <= 0x39)


def _digit_total(text: str) -> int:
    # surrogatepass: a lone surrogate must not make the count raise.
    return len(text.encode("utf-8", "surrogatepass").translate(None, _NON_DIGIT_BYTES))


def _mixed(value: str, *, upper: bool = True, lower: bool = True, digit: bool = True) -> bool:
    """Whether a token has the character mix of a random key (not a word or identifier)."""
    return (
        (not digit or _DIGIT.search(value) is not None)
        and (not upper or _UPPER.search(value) is not None)
        and (not lower or _LOWER.search(value) is not None)
    )


# A run of eight or more digits, each at most two separators from the next. Every
# national phone number (9+ digits), card number (13+) and IBAN (whose account part
# always holds a run of 8+ digits) contains one, so the phone, card and IBAN patterns
# only look around these runs. A digit-class pattern would stop at every digit of a
# number-heavy message; instead the message is mapped one character to one byte
# (digits to '0', separators to ' ', the rest to 'x') and the run pattern, which then
# starts with a literal, skips in C between digits.
_DIGIT_CLASSES = bytes(
    0x30 if 0x30 <= b <= 0x39 else 0x20 if b in b" ().-" else 0x78 for b in range(256)
)
_LONG_NUMBER = re.compile(rb"0(?: {0,2}+0){7,}+")


# Every scanner asks these of the same message one after another, so the last answer is
# kept, for that very string object: an identity check is free, where a cache keyed by
# the text would hash all of it first (milliseconds for a long message). Each is kept
# as one tuple, replaced whole, so threads scanning different messages never mix them.
_last_latin1: tuple[str, bytes] = ("", b"")
_last_numbers: tuple[str, tuple[tuple[int, int, int], ...]] = ("", ())


def _latin1(text: str) -> bytes:
    """The message as one byte per character (others as '?'), so offsets stay those of
    text. The ASCII patterns run on it: the regex engine reads a byte string two to four
    times faster than a string holding any character past U+00FF."""
    global _last_latin1
    last = _last_latin1
    if last[0] is not text:
        last = _last_latin1 = (text, text.encode("latin-1", "replace"))
    return last[1]


def _long_numbers(text: str) -> tuple[tuple[int, int, int], ...]:
    """Where the long digit runs are, as (start, end, how many digits)."""
    global _last_numbers
    last = _last_numbers
    if last[0] is not text:
        classes = _latin1(text).translate(_DIGIT_CLASSES)
        runs = tuple(
            (m.start(), m.end(), m.group().count(b"0")) for m in _LONG_NUMBER.finditer(classes)
        )
        last = _last_numbers = (text, runs)
    return last[1]


def _windows(text: str, before: int, after: int, digits: int) -> Iterator[tuple[int, int]]:
    """The digit runs of at least ``digits`` digits, widened by ``before`` and ``after``,
    merged where they touch. A value lies within one run, so a card (13+ digits) never
    needs to look at a date's run (8)."""
    lo = hi = -1
    for start, end, count in _long_numbers(text):
        if count < digits:
            continue
        start, end = max(0, start - before), min(len(text), end + after)
        if start <= hi:
            hi = max(hi, end)
            continue
        if hi >= 0:
            yield lo, hi
        lo, hi = start, end
    if hi >= 0:
        yield lo, hi


# --- email -------------------------------------------------------------------------

# Matched from the '@', so the engine skips to the few '@' of a message. Labels and the
# top-level domain may be any letters (IDN: 'jörg@bücher.de', '用户@例子.广告') or
# punycode; a dotted domain is required: '@mentions' and 'user@localhost' are not
# addresses anyone pastes by accident. 'logo@2x.png' is an image at twice the
# resolution, and 'left-pad@1.3.0' a package version: neither has a letter TLD.
_EMAIL_DOMAIN = re.compile(
    r"@(?![0-9]+(?:\.[0-9]+)?x\.)"
    r"(?:[^\W_][\w-]{0,62}+\.)+(?:[^\W\d_]{2,63}+|xn--[A-Za-z0-9-]{1,59}+)(?![\w-])"
)
# The local part, read backwards from the '@' (reversed, so the match is anchored and
# linear): letters of any script, digits and the few punctuation marks addresses use.
_LOCAL_PART_REVERSED = re.compile(r"[\w.%+-]{1,64}")
# Not addresses: 'git@github.com:org/repo' is the SSH user of every code forge, and
# 'x@self.weight' is a matrix product in Python.
_NOT_LOCAL_PARTS = frozenset({"git"})
_CODE_DOMAINS = ("self.", "this.")


def _ats(text: str) -> Iterator[int]:
    """Where the '@' are: memchr over the one-byte view, faster than any pattern."""
    raw = _latin1(text)
    at = raw.find(b"@")
    while at >= 0:
        yield at
        at = raw.find(b"@", at + 1)


def _emails(text: str) -> Iterator[_Hit]:
    for at in _ats(text):
        m = _EMAIL_DOMAIN.match(text, at)
        local = _LOCAL_PART_REVERSED.match(text[max(0, at - 64):at][::-1]) if m else None
        if m is None or local is None:
            continue
        start = at - local.end()
        # An address has no '..' and starts with no '.': in 'see...bob@x.com' the dots
        # end a sentence.
        start += text.rfind("..", start, at) + 2 - start if ".." in text[start:at] else 0
        while start < at and text[start] == ".":
            start += 1
        if start == at or text[start:at] in _NOT_LOCAL_PARTS:
            continue
        if text.startswith(_CODE_DOMAINS, at + 1) or _in_url_authority(text, start):
            continue
        yield start, m.end(), "email address found"


def _in_url_authority(text: str, start: int) -> bool:
    """Whether the local part starting at ``start`` is a URL's user or password
    ('https://token@host', 'postgres://app:pw@db'): the password is a secret of its own,
    and the user name, a token or a login, is no address."""
    before = text[max(0, start - 80):start]
    if before.endswith("//"):
        return True
    return before.endswith(":") and "://" in before.rsplit(None, 1)[-1]


# --- phone -------------------------------------------------------------------------

# Phones need a leading '+' or phone-like grouping, so bare digit runs (order numbers,
# timestamps, card numbers) never count. International: '+44 20 7946 0958',
# '+1 (415) 555-2671', '+44 (0)20 7946 0958'; the digit count is checked below.
_PHONE_INTL = re.compile(
    rb"\+(?<![\w+]\+)[1-9][0-9]*+(?:(?:[ .-]?\([0-9]++\)[ .-]?|[ .-])[0-9]++)*+"
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
# How far a national phone reaches outside the digit run it contains: a '(' or '1 ('
# before it, and the two characters its closing lookahead reads.
_PHONE_MARGIN = 3


def _phones(text: str) -> Iterator[_Hit]:
    for intl in _PHONE_INTL.finditer(_latin1(text)):
        # E.164 caps a number at 15 digits; fewer than 7 is a score or a quantity.
        number = text[intl.start():intl.end()]
        if len(number) > 7 and 7 <= _digit_total(number) <= 15 and not (
            _THOUSANDS.fullmatch(number)
        ):
            yield intl.start(), intl.end(), "phone number found"
    for lo, hi in _windows(text, _PHONE_MARGIN, _PHONE_MARGIN, 9):
        for m in _PHONE_NATIONAL.finditer(text, lo, hi):
            # Trunk numbers have 10-12 digits; fewer is a date or a reference number.
            low = 10 if m.group("trunk") is not None else 9
            if low <= _digit_total(m.group()) <= 12:
                yield m.start(), m.end(), "phone number found"


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


def _cards(text: str) -> Iterator[_Hit]:
    for lo, hi in _windows(text, 2, 2, 13):
        for m in _CARD.finditer(text, lo, hi):
            digits = m.group().translate(_CARD_SEPARATORS)
            if _luhn_ok(digits):
                yield m.start(), m.end(), f"card number ending {digits[-4:]} found"


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
# Upper case only, as ISO 13616 writes it and as banks print it.
_IBAN = re.compile(
    r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z][0-9]{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9])"
)
# The longest IBAN, grouped: 34 characters and 8 spaces. One that holds part of a digit
# run starts and ends at most this far from it.
_IBAN_REACH = 43
# Every national account number has digits; a BBAN of letters is a run of words.
_MIN_BBAN_DIGITS = 6


def _ibans(text: str) -> Iterator[_Hit]:
    for lo, hi in _windows(text, _IBAN_REACH, _IBAN_REACH, 8):
        pos = lo
        while (m := _IBAN.search(text, pos, hi)) is not None:
            # The window may cut a candidate short; its true extent is read past it.
            full = _IBAN.match(text, m.start())
            iban = _valid_iban_prefix(full.group()) if full else ""
            if iban:
                last4 = iban.replace(" ", "")[-4:]
                yield m.start(), m.start() + len(iban), f"IBAN ending {last4} found"
                pos = m.start() + len(iban)
            else:
                # Retry just past this start, not past the whole candidate: a rejected
                # run can swallow a real IBAN that begins in one of its later groups.
                pos = m.start() + 1


def _valid_iban_prefix(candidate: str) -> str:
    """The longest space-group prefix of candidate that is a valid IBAN, or ''."""
    # A grouped IBAN followed by a four-letter word ('… 7034 BANK') is matched as one
    # run, so drop trailing groups until the checksum holds or it is too short.
    groups = candidate.split(" ")
    while groups:
        compact = "".join(groups)
        if 15 <= len(compact) <= 34 and _iban_checksum_ok(compact):
            return " ".join(groups)
        groups.pop()
    return ""


def _iban_checksum_ok(iban: str) -> bool:
    if _digit_total(iban[4:]) < _MIN_BBAN_DIGITS:
        return False
    rearranged = iban[4:] + iban[:4]
    # ISO 13616: letters become 10..35, and the whole number mod 97 must be 1.
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


# --- secret ------------------------------------------------------------------------

# Credentials that vendors issue with a fixed prefix, each its own pattern that starts
# with that prefix (or with its rarest character, the rest checked behind it), so the
# engine skips in C to the few places it occurs. The '[\w-]' lookbehinds keep 'ask-…',
# 'task-…' and words inside identifiers out; minimum lengths and a character-mix check
# keep prose and identifiers that merely name a prefix ("the sk- prefix",
# 'github_pat_token_for_ci') out. The named group "v", where there is one, is the value;
# otherwise the whole match is, starting ``back`` characters before it.
@dataclass(frozen=True, slots=True)
class _Token:
    anchors: tuple[bytes, ...]  # every value holds one, for the short-message prefilter
    pattern: re.Pattern[bytes]
    detail: Callable[[str], str]  # of the value
    check: Callable[[str], bool] = lambda value: True
    back: int = 0

    def __call__(self, text: str) -> Iterator[_Hit]:
        has_value = "v" in self.pattern.groupindex
        for m in self.pattern.finditer(_latin1(text)):
            if has_value and m.start("v") >= 0:
                start, end = m.span("v")
            else:
                start, end = m.start() - self.back, m.end()
            value = text[start:end]
            if self.check(value):
                yield start, end, self.detail(value)


def _says(detail: str) -> Callable[[str], str]:
    return lambda m: detail


def _alternates(value: str) -> bool:
    """Whether letters and digits alternate at least three times, as in a random token
    and not in prose ('token-2024-renewal')."""
    changes, previous = 0, None
    for ch in value:
        if ch.isascii() and ch.isalnum():
            digit = ch.isdigit()
            changes += previous is not None and digit != previous
            previous = digit
    return changes >= 3


# The password of a URL ('postgres://app:pw@db', 'https://user:pw@host'), read back from
# its '@' (rare) to the '://' before it; the placeholders of documentation
# ('user:password@', ':${DB_PASSWORD}@') are not one.
_URL_USERINFO = re.compile(r"[A-Za-z0-9]://[^\s:/?#@\[\]]{1,64}+:(?P<v>[^\s/?#@\[\]]{1,128}+)")
_URL_REACH = 200  # the scheme's '://', a user name and a password
_URL_PASSWORD_PLACEHOLDERS = frozenset({"password", "pass", "passwd", "pwd", "secret", "x"})


def _url_passwords(text: str) -> Iterator[_Hit]:
    for at in _ats(text):
        scheme = text.rfind("://", max(1, at - _URL_REACH), at)
        m = _URL_USERINFO.fullmatch(text, scheme - 1, at) if scheme > 0 else None
        if m is not None and _url_password_ok(m.group("v")):
            yield m.start("v"), m.end("v"), "password in a URL found"


def _url_password_ok(value: str) -> bool:
    return value.lower() not in _URL_PASSWORD_PLACEHOLDERS and value[0] not in "$<{*%" and (
        len(set(value)) > 1)


def _k_detail(value: str) -> str:
    if value.startswith("sk-ant-"):
        return "API key (Anthropic sk-ant-…) found"
    if value.startswith("sk-"):
        return "API key (OpenAI-style sk-…) found"
    if value.startswith("sk_"):
        return "Stripe secret key found"
    if value.startswith("rk_"):
        return "Stripe restricted key found"
    return "GCP service-account key found"


def _k_check(value: str) -> bool:
    if value.startswith("sk-"):
        # Real sk- keys are random: a body with no digit is a long hyphenated phrase.
        return _DIGIT.search(value, 3) is not None
    if value.startswith(("sk_", "rk_")):
        return _mixed(value, upper=False)
    return True


def _github_ok(value: str) -> bool:
    # A fine-grained token's body is random; 'github_pat_token_for_ci' is a name.
    return not value.startswith("github_pat_") or _mixed(value)


_TOKENS: tuple[_Token, ...] = (
    # Three keys whose prefixes share the rare 'k', read in one pass: OpenAI's and
    # Anthropic's 'sk-…', Stripe's 'sk_live_…' and 'rk_test_…', and the "private_key_id"
    # of a GCP service-account key file (its "private_key" is a PEM block, below).
    _Token(
        (b"k-", b"k_", b"key_id"),
        re.compile(rb"k(?:-(?<=sk-)(?<![\w-]sk-)(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}+"
                   rb"|_(?<=[rs]k_)(?<![\w-][rs]k_)(?:live|test)_[0-9A-Za-z]{16,}+"
                   rb'|ey_id"(?<=private_key_id")[ \t]*+:[ \t]*+"'
                   rb"(?P<v>[0-9a-f]{40})(?![0-9A-Za-z]))"),
        _k_detail, _k_check, back=1,
    ),
    _Token(
        (b"whsec_",),
        re.compile(rb"whsec_(?<![\w-]whsec_)[A-Za-z0-9+/]{24,}+"),
        _says("Stripe webhook secret found"), lambda v: _mixed(v, upper=False),
    ),
    _Token(
        (b"hf_",),
        re.compile(rb"f_(?<=hf_)(?<![\w-]hf_)[A-Za-z0-9]{30,}+(?![\w-])"),
        _says("Hugging Face token found"), lambda v: _mixed(v, digit=False), back=1,
    ),
    _Token(
        (b"gh", b"github_pat_"),
        re.compile(rb"g(?<![\w-]g)(?:h[pousr]_[A-Za-z0-9]{36,}+|ithub_pat_[A-Za-z0-9_]{22,}+)"
                   rb"(?![\w-])"),
        _says("GitHub token found"), _github_ok,
    ),
    _Token(
        (b"xox",),
        re.compile(rb"xox[abeprs]-(?<![\w-]xox[abeprs]-)[A-Za-z0-9-]{10,}+"),
        _says("Slack token found"), lambda v: _DIGIT.search(v) is not None,
    ),
    _Token(
        (b"AIza",),
        re.compile(rb"AIza(?<![\w-]AIza)[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        _says("Google API key found"),
    ),
    # A JSON Web Token: base64url of '{"' twice, then the signature. Matched from the
    # 'J', far rarer than the 'e' before it.
    _Token(
        (b"eyJ",),
        re.compile(rb"J(?<=eyJ)(?<![\w-]eyJ)[A-Za-z0-9_-]{8,}+\.eyJ[A-Za-z0-9_-]{8,}+\."
                   rb"[A-Za-z0-9_-]*+"),
        _says("JSON Web Token found"), back=2,
    ),
    # Azure: storage account keys and Service Bus / Event Hubs keys in connection strings,
    # the signature of a shared access signature (SAS) URL, and Entra ID client secrets
    # ('abc8Q~…', matched from the rare 'Q~').
    _Token(
        (b"AccountKey=",),
        re.compile(rb"AccountKey=(?P<v>[A-Za-z0-9+/]{40,}+={0,2}+)"),
        _says("Azure storage account key found"), _mixed,
    ),
    _Token(
        (b"SharedAccessKey=",),
        re.compile(rb"SharedAccessKey=(?P<v>[A-Za-z0-9+/]{40,}+={0,2}+)"),
        _says("Azure shared access key found"), _mixed,
    ),
    _Token(
        (b"sig=",),
        re.compile(rb"=(?<=sig=)(?<![\w-]sig=)(?P<v>[A-Za-z0-9%+/]{40,}+={0,2}+)(?![\w-])"),
        _says("Azure shared access signature found"), lambda v: _mixed(v, digit=False),
    ),
    _Token(
        (b"Q~",),
        re.compile(rb"Q~(?<=[\w.~-]{3}[0-9]Q~)(?<![\w.~-]{4}[0-9]Q~)[\w.~-]{31,34}+(?![\w.~-])"),
        _says("Azure client secret found"), _mixed, back=4,
    ),
    # 'Authorization: Bearer <token>' (any case): the token is the value. A token of
    # RFC 6750 characters, 16 or more, that looks random: "Bearer authentication" and
    # "Bearer YOUR_TOKEN" are prose and placeholders.
    _Token(
        (b"Bearer", b"BEARER"),
        re.compile(rb"B(?<![\w-]B)(?:earer|EARER)[ \t]++(?P<v>[A-Za-z0-9._~+/-]{16,}+=*+)"
                   rb"(?![\w.~+/=-])"),
        _says("bearer token found"), _alternates,
    ),
    _Token(
        (b"bearer",),
        re.compile(rb"bearer(?<![\w-]bearer)[ \t]++(?P<v>[A-Za-z0-9._~+/-]{16,}+=*+)"
                   rb"(?![\w.~+/=-])"),
        _says("bearer token found"), _alternates,
    ),
)


# A PEM private key ('-----BEGIN RSA PRIVATE KEY-----', OpenSSH, PKCS#8, PGP, ...): the
# value is the whole block, up to its END line, or, pasted without one, the base64 lines
# after the header (written as '\n' escapes inside JSON, as in a GCP key file).
_PEM_HEADER = re.compile(rb"-----BEGIN (?:[A-Z0-9]++ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(rb"-----END (?:[A-Z0-9]++ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(rb"(?:(?:\r?\n|\\n)[A-Za-z0-9+/=]{1,80}+(?=\r?\n|\\n|\"|\Z))*+")
# The largest PEM keys (8192-bit RSA, PGP blocks with subkeys) stay well under this.
_PEM_REACH = 65_536
_GCP_KEY_FIELD = re.compile(rb'"private_key"[ \t]*+:[ \t]*+"\Z')


def _pem_blocks(text: str) -> Iterator[_Hit]:
    raw = _latin1(text)
    pos = searched = 0
    end: re.Match[bytes] | None = None  # the first END line at or after the latest header
    while (m := _PEM_HEADER.search(raw, pos)) is not None:
        limit = m.end() + _PEM_REACH
        if end is None or end.start() < m.end():
            # Never re-read what an earlier header's search covered: a message of
            # repeated headers stays linear.
            end = _PEM_END.search(raw, max(m.end(), searched), limit)
            searched = end.end() if end else limit
        if end is not None and end.start() < limit:
            stop = end.end()
        else:
            body = _PEM_BODY.match(raw, m.end(), limit)
            stop = body.end() if body else m.end()
        gcp = _GCP_KEY_FIELD.search(raw, max(0, m.start() - 40), m.start())
        yield m.start(), stop, "GCP service-account key found" if gcp else "private key (PEM) found"
        pos = stop  # a header inside the block is part of it


# AWS: an access key ID ('AKIA…', or 'ASIA…' for a temporary one) has a prefix; a secret
# access key is 40 characters of base64 with nothing to mark it, so it is only taken for
# one within reach after an access key ID ('AKIA…:…', a credentials CSV row) or after a
# word that names it (secret, Secret, SECRET: 'aws_secret_access_key = …',
# '"SecretAccessKey": "…"') on the same line. Random keys mix cases and digits; a
# 40-character git SHA is lower-case hex.
# The key: 40 characters of base64, whole. 'KEY=…' may precede it; '=' after one is
# base64 padding, so a slice of a blob. Each pattern finds the word (or ID) and the key
# after it in one go, in C: a message about secrets names them often.
_KEY_40 = rb"(?<![A-Za-z0-9/+])(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
_AWS_REACH = 100
_KEY_AFTER_WORD = tuple(
    re.compile(word + rb"[^\n]{0,%d}?" % _AWS_REACH + _KEY_40)
    for word in (rb"secret", rb"S(?:ecret|ECRET)")
)
_AWS_KEY_ID = re.compile(
    rb"A[KS]IA(?<![\w-]A[KS]IA)[0-9A-Z]{16}(?![0-9A-Za-z])"
    rb"(?:(?s:.){0,%d}?" % _AWS_REACH + _KEY_40 + rb")?"
)


def _aws_keys(text: str) -> Iterator[_Hit]:
    raw = _latin1(text)
    for m in _AWS_KEY_ID.finditer(raw):
        yield m.start(), m.start() + 20, "AWS access key ID found"
        yield from _aws_secret(text, m)
    lower, upper = _KEY_AFTER_WORD
    # Every letter of 'secret' is common: the pattern engine would stop at each 's' of
    # the message, where bytes.find skips ahead several characters at a time.
    at = raw.find(b"secret")
    while at >= 0:
        found = lower.match(raw, at)
        if found is not None:
            yield from _aws_secret(text, found)
        at = raw.find(b"secret", found.end() if found else at + 1)
    for m in upper.finditer(raw):
        yield from _aws_secret(text, m)


def _aws_secret(text: str, m: re.Match[bytes]) -> Iterator[_Hit]:
    start, end = m.span("v")
    if start >= 0 and _mixed(text[start:end]):
        yield start, end, "AWS secret access key found"


# Each secret scanner with the literals one of which every value it finds holds.
_SECRET_SCANNERS: tuple[tuple[tuple[bytes, ...], _Scanner], ...] = (
    ((b"-----BEGIN ",), _pem_blocks),
    ((b"secret", b"Secret", b"SECRET", b"AKIA", b"ASIA"), _aws_keys),
    ((b"://",), _url_passwords),
    *((token.anchors, token) for token in _TOKENS),
)
# In a short message, a scanner runs only when one of its literals is there: most
# messages hold none, and memchr-fast 'in' checks cost far less than twenty pattern
# calls. In a long one, the check would read the message once more for each literal
# found, so every scanner just runs.
_SHORT = 65_536


def _secrets(text: str) -> Iterator[_Hit]:
    raw = _latin1(text)
    short = len(raw) <= _SHORT
    for anchors, scan in _SECRET_SCANNERS:
        if not short or any(anchor in raw for anchor in anchors):
            yield from scan(text)


_SCANNERS: dict[str, tuple[_Scanner, ...]] = {
    "email": (_emails,),
    "phone": (_phones,),
    "card": (_cards,),
    "iban": (_ibans,),
    "secret": (_secrets,),
}
assert tuple(_SCANNERS) == PRIVATE_KINDS
