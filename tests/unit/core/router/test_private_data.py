"""Private-data detection: what must be found, what must not, and what the trace may say."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.router.private_data import PRIVATE_KINDS, Finding, find_private_data


def only(kind: str, text: str) -> Finding | None:
    return find_private_data(text, kinds=(kind,))


# --- email -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "jane.doe+tag@example.co.uk",
        "Write to bob@example.com.",
        "<alice_smith@mail.example.org>",
        "mailto:x-y@sub.domain.io?subject=hi",
        "https://user:hunter2@host.example.com/path",  # credentials in a URL count too
    ],
)
def test_email_found(text: str) -> None:
    assert only("email", text) == Finding("email", "email address found")


@pytest.mark.parametrize(
    "text",
    [
        "@bob can you look?",
        "thanks @alice.smith!",
        "user@localhost",
        "bob at example dot com",
        "a@b.c",
        "npm i left-pad@1.3.0",
        "see logo@2x.png and icon@1.5x.webp",
        "email me",
    ],
)
def test_email_not_found(text: str) -> None:
    assert only("email", text) is None


# --- phone -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "call me on +14155552671 tonight",
        "+44 (0)20 7946 0958",
        "1-800-555-0199",
        "1 (415) 555-2671",
        "020 7946 0958",
        "07700 900123",
        "01 23 45 67 89",
        "+49 30 12345678",
        "tel:415-555-2671.",
        # Found behind other long numbers, not only in the first one.
        "shipped 2024-05-01, ref 12345678, call 415-555-2671",
        "order 1234 5678 9012 3456 7 or ring (020) 7946 0958",
    ],
)
def test_phone_found(text: str) -> None:
    assert only("phone", text) == Finding("phone", "phone number found")


@pytest.mark.parametrize(
    "text",
    [
        "2024",
        "in 2024 and 2025",
        "2024-05-01",
        "on 05-01-2024",
        "2024-05-01 10:30",
        "version 1.2.3",
        "10.15.7",
        "at 10:30",
        "12:30:45",
        "$1,299.99",
        "42 apples",
        "+5 points",
        "+1.000.000 users",
        "192.168.100.200",
        "ISBN 978-3-16-148410-0",
        "order 4155552671",  # no grouping, no '+': an id, not a phone
        "4242 4242 4242 4242",  # a card is reported as a card
        "378282246310005",
        "DE89 3704 0044 0532 0130 00",  # an IBAN's digit groups are not a phone
        "1234 5678 9012 3456 7890",
    ],
)
def test_phone_not_found(text: str) -> None:
    assert only("phone", text) is None


# --- card --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "last4"),
    [
        ("4242 4242 4242 4242", "4242"),
        ("4111-1111-1111-1111", "1111"),
        ("5555555555554444", "4444"),
        ("378282246310005", "0005"),
        ("Amex 3782 822463 10005, exp 12/27", "0005"),
        ("card: 6011111111111117.", "1117"),
        ("2223003122003222", "3222"),
        ("on 2024-05-01, ref 12345678, I paid with 4242 4242 4242 4242", "4242"),
    ],
)
def test_card_found_names_only_last_four(text: str, last4: str) -> None:
    found = only("card", text)
    assert found == Finding("card", f"card number ending {last4} found")


@pytest.mark.parametrize(
    "text",
    [
        "4242 4242 4242 4241",  # Luhn fails
        "1234567890123",  # an order number
        "0000 0000 0000 0000",  # passes Luhn, but no network issues from 0
        "4242 4242 4242 4242 4242",  # 20 digits: too long for a card
        "42424242424242424",  # 17 digits, Luhn fails
        "id 84242424242424242",  # 17 digits from a non-card first digit
        "x4242424242424242",  # glued to a word
        "2024-05-01 10:30",
    ],
)
def test_card_not_found(text: str) -> None:
    assert only("card", text) is None


# --- iban --------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "last4"),
    [
        ("DE89 3704 0044 0532 0130 00", "3000"),
        ("GB82WEST12345698765432", "5432"),
        ("FR1420041010050500013M02606", "2606"),
        ("IBAN: GB82 WEST 1234 5698 7654 32.", "5432"),
        ("NL91ABNA0417164300", "4300"),
        ("NO9386011117947", "7947"),
        ("BE68 5390 0754 7034 BANK TRANSFER", "7034"),  # trailing four-letter words
        ("ref XX12 DE89 3704 0044 0532 0130 00", "3000"),  # a bogus run before it
    ],
)
def test_iban_found_names_only_last_four(text: str, last4: str) -> None:
    assert only("iban", text) == Finding("iban", f"IBAN ending {last4} found")


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # one digit changed: mod-97 fails
        "DE88 3704 0044 0532 0130 00",
        "GB82WEST12345698765433",
        "de89 3704 0044 0532 0130 00",  # lower case is not written by banks
        "AB12 THIS THAT WITH MORE",  # words, no account number
        "DE89 3704",  # too short
    ],
)
def test_iban_not_found(text: str) -> None:
    assert only("iban", text) is None


# --- secret ------------------------------------------------------------------------

SECRETS: list[tuple[str, str]] = [
    ("sk-proj-4eC39HqLyjWDarjtT1zdp7dcR2aXq7Bb9Mfk", "API key (OpenAI-style sk-…) found"),
    ("OPENAI_API_KEY=sk-4eC39HqLyjWDarjtT1zdp7dc", "API key (OpenAI-style sk-…) found"),
    ("sk-ant-api03-Xy9_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "API key (Anthropic sk-ant-…) found"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AWS access key ID found"),
    ("ASIAY34FZKBOKMUTVV7A", "AWS access key ID found"),
    ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a", "GitHub token found"),
    ("gho_16C7e42F292c6912E7710c838347Ae178B4a", "GitHub token found"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "GitHub token found"),
    ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "Slack token found"),
    ("key=AIzaSyA1234567890abcdefghijklmnopqrstuv", "Google API key found"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEv...", "private key (PEM) found"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private key (PEM) found"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key (PEM) found"),
    ("-----BEGIN EC PRIVATE KEY-----", "private key (PEM) found"),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "private key (PEM) found"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----", "private key (PEM) found"),
    (
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        ),
        "JSON Web Token found",
    ),
]


@pytest.mark.parametrize(("text", "detail"), SECRETS)
def test_secret_found(text: str, detail: str) -> None:
    assert only("secret", text) == Finding("secret", detail)


@pytest.mark.parametrize(
    "text",
    [
        "keys start with the sk- prefix",
        "ask-me-anything",
        "the task-list is long",
        "mask-1234567890abcdefghijklmnop",  # 'sk-' inside a word
        "sk-this-is-just-a-long-hyphenated-phrase",  # no digit: prose, not a key
        "AKIA is how AWS key ids begin",
        "AKIAIOSFODNN7EXAMPLEX",  # one character too long
        "ghp_short",
        "xoxo-hugs-and-kisses",
        "-----BEGIN PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----",
        "eyJ is base64 for '{\"'",
    ],
)
def test_secret_not_found(text: str) -> None:
    assert only("secret", text) is None


# --- the trace never repeats the secret ---------------------------------------------

PRIVATE_VALUES: list[str] = [
    "jane.doe+tag@example.co.uk",
    "+44 20 7946 0958",
    "4242 4242 4242 4242",
    "5555555555554444",
    "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432",
    *(text for text, _ in SECRETS),
]


@pytest.mark.parametrize("value", PRIVATE_VALUES)
def test_detail_never_contains_the_value(value: str) -> None:
    found = find_private_data(f"here it is: {value} thanks")
    assert found is not None
    compact = value.replace(" ", "")
    for needle in (value, compact, compact[:8], compact[-8:]):
        assert needle not in found.detail
    assert "@" not in found.detail


# --- kinds -------------------------------------------------------------------------

MIXED = "mail jane@example.com, card 4242 4242 4242 4242, key AKIAIOSFODNN7EXAMPLE"


def test_all_kinds_by_default_first_in_private_kinds_order() -> None:
    assert find_private_data(MIXED) == Finding("email", "email address found")


def test_only_requested_kinds_are_checked() -> None:
    assert find_private_data(MIXED, kinds=("card",)) == Finding(
        "card", "card number ending 4242 found"
    )
    assert find_private_data(MIXED, kinds=("phone", "iban")) is None


def test_requested_order_does_not_matter() -> None:
    assert find_private_data(MIXED, kinds=("secret", "card")) == find_private_data(
        MIXED, kinds=("card", "secret")
    )


def test_kinds_may_be_any_iterable() -> None:
    found = find_private_data(MIXED, kinds=(k for k in ["secret"]))
    assert found == Finding("secret", "AWS access key ID found")


def test_no_kinds_finds_nothing() -> None:
    assert find_private_data(MIXED, kinds=()) is None


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="passport"):
        find_private_data(MIXED, kinds=("email", "passport"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hi Bob; the meeting is at 3pm: bring the contract.",
        "Order #4417 shipped 2024-05-01 at 10:30; total $1,299.99 (incl. 20% VAT).",
        "Version 1.2.3 fixed it; see commit 3f2a9c1 and PR #1234.",
    ],
)
def test_ordinary_messages_have_nothing(text: str) -> None:
    assert find_private_data(text) is None


def test_consecutive_messages_do_not_share_results() -> None:
    # The long-number scan is cached for the message being checked; a new message
    # must get its own answer.
    assert only("card", "4242 4242 4242 4242") is not None
    assert only("card", "4242 4242 4242 4241") is None
    assert only("phone", "call 415-555-2671") is not None
    assert only("card", "4242 4242 4242 4242") is not None


# --- bounded on hostile input ---------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        ("1234 " * 2_000),
        ("1 2 3 4 5 6 7 8 9 0 " * 500),
        ("a@a." * 2_500),
        ("a" * 9_990 + "@example.c"),
        ("@" + "a." * 4_999),
        ("7" * 10_000),
        ("4" * 10_000),
        ("+1 " * 3_333),
        ("(" * 10_000),
        ("1-" * 5_000),
        ("0 " * 5_000),
        ("DE89" * 2_500),
        ("AB12 " * 2_000),
        ("GB82 WEST " * 1_000),
        ("sk-" + "a1" * 4_998),
        ("sk-" * 3_333),
        ("eyJ" + "a" * 5_000 + ".eyJ" + "b" * 4_990),
        ("-----BEGIN " * 900),
        ("AKIA" * 2_500),
    ],
    ids=lambda text: repr(text[:12]),
)
def test_pathological_input_stays_fast(text: str) -> None:
    # A generous bound: a linear scan takes a few milliseconds at most here, while
    # catastrophic backtracking would take seconds or hang.
    start = time.perf_counter()
    find_private_data(text)
    assert time.perf_counter() - start < 0.05


# --- never raises --------------------------------------------------------------------

kinds_strategy = st.lists(st.sampled_from(PRIVATE_KINDS), unique=True).map(tuple)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=400), kinds_strategy)
def test_arbitrary_text_never_raises(text: str, kinds: tuple[str, ...]) -> None:
    found = find_private_data(text, kinds)
    assert found is None or (found.kind in kinds and found.detail)


# Fragments that reach every detector's slow paths: digit groups, separators,
# prefixes of keys, '@' and '+'.
fragments = st.sampled_from(
    ["4242", "0", "1", " ", "-", ".", "(", ")", "+", "@", "a", "DE89", "sk-", "eyJ",
     "AKIA", "x.com", "\n", "GB82WEST", "-----BEGIN ", "PRIVATE KEY-----", "_"]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(fragments, max_size=60).map("".join))
def test_fragment_soup_never_raises(text: str) -> None:
    found = find_private_data(text)
    assert found is None or (found.kind in PRIVATE_KINDS and found.detail)
