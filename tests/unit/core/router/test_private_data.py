"""Private-data detection: what must be found, what must not, and what the trace may say.

Besides the cases written here, two corpora: tests/data/private_negatives (prose and chat
in several languages, Markdown, Python/JS/SQL/YAML/JSON/log/shell snippets, and a
snapshot of the project's own files), in which nothing may be found, and
tests/data/private_positives.jsonl (labelled values of every sort, each in prose or code
context), each of which must be found, as its kind and exactly its characters.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.router import RouteContext, Turn
from app.core.router.conditions import PrivateData
from app.core.router.context import SCAN_LIMIT
from app.core.router.private_data import (
    PRIVATE_KINDS,
    Finding,
    Span,
    find_private_data,
    find_private_spans,
    private_kinds_in,
)

DATA = Path(__file__).resolve().parents[3] / "data"


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
        # Internationalised addresses: letters of any script, and punycode.
        "jörg@bücher.de",
        "写信给用户@例子.广告",
        "ivan.petrov@пример.рф",
        "info@xn--bcher-kva.de",
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
        "git clone git@github.com:example-org/repo.git",  # the SSH user of a forge
        "h = x@self.weight + b",  # a matrix product
        "https://ghp_token@github.com/org/repo",  # a URL's user name is no address
        "用户@例子",  # no dotted domain
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
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key found"),
    ('{"SecretAccessKey": "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"}', "AWS secret access key found"),
    ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "Stripe secret key found"),
    ("STRIPE=sk_test_4eC39HqLyjWDarjtT1zdp7dc", "Stripe secret key found"),
    ("rk_live_51H8xYzAbCdEfGh1234567890", "Stripe restricted key found"),
    ("whsec_5a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d", "Stripe webhook secret found"),
    ("HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "Hugging Face token found"),
    ("Authorization: Bearer 8f2b1c9d4e7a6b3c5d0e9f1a2b4c6d8e", "bearer token found"),
    ("curl -H 'authorization: bearer a1B2c3D4e5F6g7H8i9J0'", "bearer token found"),
    ("xoxp-123456789012-123456789012-abcdef0123456789", "Slack token found"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + "Ab1+" * 21 + "Ab==",
        "Azure storage account key found",
    ),
    (
        (
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
            "SharedAccessKey=Xy9ZAb1+Cd2/Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3A="
        ),
        "Azure shared access key found",
    ),
    (
        (
            "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r"
            "&sig=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL%3D"
        ),
        "Azure shared access signature found",
    ),
    ("AZURE_CLIENT_SECRET=Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789a", "Azure client secret found"),
    (
        '{"type": "service_account", "private_key_id": "0123456789abcdef0123456789abcdef01234567"}',
        "GCP service-account key found",
    ),
    (
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n"}',
        "GCP service-account key found",
    ),
    ("DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app", "password in a URL found"),
    ("https://user:hunter2@host.example.com/path", "password in a URL found"),
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
        # Bearer in prose, in code and as a placeholder.
        "Most APIs use Bearer authentication: the Bearer token goes in a header.",
        'headers = {"Authorization": f"Bearer {token}"}',
        "curl -H \"Authorization: Bearer $OPENAI_API_KEY\" https://api.example.com",
        "Authorization: Bearer <token>",
        "Authorization: Bearer YOUR_ACCESS_TOKEN_HERE",
        "Bearer token-based-authentication-for-v2",
        "Authorization: Bearer [redacted]",
        # 40 characters of hex or base64 that only look like an AWS secret key.
        "secret commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "aws_secret_access_key = <your secret key>",
        "AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
        "secret sauce: aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29y==",
        'INTEGRITY = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"',
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        # Identifiers and documentation that name a prefix.
        "github_pat_token_for_ci_pipeline_v2",
        "from huggingface_hub import hf_hub_download_with_retries_and_backoff",
        "def sk_test_helper_function_for_payments(): ...",
        "AccountKey=<key>;EndpointSuffix=core.windows.net",
        "SharedAccessKey=YOUR_SHARED_ACCESS_KEY",
        '{"type": "service_account", "project_id": "my-project-123456"}',
        "postgres://user:password@localhost:5432/app",
        "postgres://app:${DB_PASSWORD}@db:5432/app",
        "xoxb-your-bot-token-here",
        # UUIDs, hashes, versions.
        "123e4567-e89b-12d3-a456-426614174000",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "gpt-4o-mini-2024-07-18 and claude-sonnet-4-5-20250929",
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


# --- spans: exactly the value --------------------------------------------------------

PEM_BLOCK = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx3kq9Yb0c2Vh5Lq7f8tZ1m2n3o4p5q6r7s8t9u0v1w2x3y4z\n"
    "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6A7B8C9D0E1F2\n"
    "-----END RSA PRIVATE KEY-----"
)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("Authorization: Bearer 8f2b1c9d4e7a6b3c5d0e9f1a2b4c6d8e\r\n", "8f2b1c9d4e7a6b3c5d0e9f1a2b4c6d8e",
         "secret"),
        (f"key:\n{PEM_BLOCK}\nthanks", PEM_BLOCK, "secret"),
        ("mail <jane.doe+tag@example.co.uk>.", "jane.doe+tag@example.co.uk", "email"),
        ("see...bob@example.com", "bob@example.com", "email"),
        ("写信给用户@例子.广告 谢谢", "写信给用户@例子.广告", "email"),
        ("BE68 5390 0754 7034 BANK TRANSFER", "BE68 5390 0754 7034", "iban"),
        ("card: 4242-4242-4242-4242.", "4242-4242-4242-4242", "card"),
        ("ring +44 20 7946 0958 today", "+44 20 7946 0958", "phone"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
         "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "secret"),
        ("postgres://app:s3cr3t-Pa55@db:5432/app", "s3cr3t-Pa55", "secret"),
        ("AccountName=a;AccountKey=" + "Ab1+" * 22 + ";EndpointSuffix=x", "Ab1+" * 22, "secret"),
    ],
)
def test_span_is_exactly_the_value(text: str, value: str, kind: str) -> None:
    start = text.index(value)
    assert find_private_spans(text) == [Span(kind, start, start + len(value))]


def test_spans_are_sorted_and_the_longest_wins_an_overlap() -> None:
    # The token is both a JWT and a bearer token: one span. The URL's user name is a
    # GitHub token, not an email address.
    jwt = SECRETS[16][0].removeprefix("Authorization: Bearer ")
    text = f"https://ghp_{'a1B2' * 9}@github.com/o/r and Authorization: Bearer {jwt} and x@y.io"
    spans = find_private_spans(text)
    assert [(s.kind, text[s.start:s.end]) for s in spans] == [
        ("secret", f"ghp_{'a1B2' * 9}"), ("secret", jwt), ("email", "x@y.io")
    ]


def test_spans_only_of_the_requested_kinds() -> None:
    assert [s.kind for s in find_private_spans(MIXED, kinds=("secret", "email"))] == [
        "email", "secret"
    ]
    assert find_private_spans(MIXED, kinds=()) == []
    with pytest.raises(ValueError, match="passport"):
        find_private_spans(MIXED, kinds=("passport",))


def test_private_kinds_in() -> None:
    assert private_kinds_in(MIXED) == frozenset({"email", "card", "secret"})
    assert private_kinds_in(MIXED, kinds=("phone", "card")) == frozenset({"card"})
    assert private_kinds_in("nothing here") == frozenset()


# --- the whole message, at any length --------------------------------------------------

POSITIVES: list[dict[str, str]] = [
    json.loads(line)
    for line in (DATA / "private_positives.jsonl").read_text(encoding="utf-8").splitlines()
]
NEGATIVES = sorted((DATA / "private_negatives").glob("*"))
# Each labelled value once, in the first context it has, for the tests that move values
# around.
EACH_VALUE = list({row["value"]: row for row in reversed(POSITIVES)}.values())
FILLER = (DATA / "private_negatives" / "prose.md").read_text(encoding="utf-8")


def test_the_corpora_are_what_the_tests_claim() -> None:
    assert sum(path.stat().st_size for path in NEGATIVES) >= 200_000
    assert {row["kind"] for row in POSITIVES} == set(PRIVATE_KINDS)
    assert len({row["sort"] for row in POSITIVES}) >= 19


@pytest.mark.parametrize("path", NEGATIVES, ids=lambda path: path.name)
def test_no_false_positive_in_the_negatives_corpus(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    found = [(s.kind, text[max(0, s.start - 30):s.end + 10]) for s in find_private_spans(text)]
    assert found == []
    assert find_private_data(text) is None


@pytest.mark.parametrize(
    "row", POSITIVES, ids=[f"{row['sort']}-{i}" for i, row in enumerate(POSITIVES)]
)
def test_every_labelled_positive_is_found_exactly(row: dict[str, str]) -> None:
    text, value = row["text"], row["value"]
    start = text.index(value)
    assert Span(row["kind"], start, start + len(value)) in find_private_spans(text)
    found = find_private_data(text, kinds=(row["kind"],))
    assert found is not None and value not in found.detail


def _filler(length: int) -> str:
    return (FILLER * (length // len(FILLER) + 1))[:length]


@pytest.mark.parametrize("where", ["start", "middle", "past the scan limit", "past 64 KB"])
@pytest.mark.parametrize("row", EACH_VALUE, ids=lambda row: row["sort"])
def test_found_anywhere_in_a_long_message(row: dict[str, str], where: str) -> None:
    # Past 64 KB, every secret scanner runs without the literal prefilter of short messages.
    at = {"start": 0, "middle": 6_000, "past the scan limit": SCAN_LIMIT + 2_345,
          "past 64 KB": 70_000}[where]
    # Cut the filler at a line end so the value starts on a line of its own.
    head = _filler(at)
    head = head[: head.rfind("\n") + 1] if at else ""
    text = head + row["text"] + "\n" + _filler(30_000)
    start = len(head) + row["text"].index(row["value"])
    assert Span(row["kind"], start, start + len(row["value"])) in find_private_spans(text)
    assert find_private_data(text, kinds=(row["kind"],)) is not None


def test_every_sort_found_in_a_5_mb_message() -> None:
    rows = EACH_VALUE
    step = 5_000_000 // len(rows)
    parts, expected = [], []
    for i, row in enumerate(rows):
        chunk = _filler(step)
        chunk = chunk[: chunk.rfind("\n") + 1]
        offset = sum(map(len, parts)) + len(chunk)
        parts += [chunk, row["text"] + "\n"]
        start = offset + row["text"].index(row["value"])
        expected.append(Span(row["kind"], start, start + len(row["value"])))
    text = "".join(parts)
    assert len(text) > 4_900_000
    assert find_private_spans(text) == expected


def test_the_pii_condition_reads_the_whole_message() -> None:
    # Before, it read only the first SCAN_LIMIT characters.
    message = "x" * (SCAN_LIMIT + 5_000) + " write to jane@example.com"
    ctx = RouteContext([Turn("user", message)], datetime(2026, 11, 25, 12, tzinfo=UTC))
    found = PrivateData().evaluate(ctx)
    assert found.matched and found.detail == "email address found"
    assert PrivateData().test(ctx)


# --- bounded on hostile input ---------------------------------------------------------

# Inputs shaped to make a backtracking pattern go quadratic or worse, each about 100 KB:
# every scanner is linear, so each of these takes milliseconds. No timing is asserted
# (this machine is shared); a catastrophic pattern would hang this test instead.
HOSTILE = [
    "1234 " * 20_000,
    "1 2 3 4 5 6 7 8 9 0 " * 5_000,
    "a@a." * 25_000,
    "a" * 99_990 + "@example.c",
    "@" + "a." * 49_999,
    "ä@ö." * 25_000,
    "7" * 100_000,
    "4" * 100_000,
    "+1 " * 33_333,
    "(" * 100_000,
    "1-" * 50_000,
    "0 " * 50_000,
    "DE89" * 25_000,
    "AB12 " * 20_000,
    "GB82 WEST " * 10_000,
    "sk-" + "a1" * 49_998,
    "sk-" * 33_333,
    "eyJ" + "a" * 50_000 + ".eyJ" + "b" * 49_990,
    "eyJa." * 20_000,
    "-----BEGIN " * 9_000,
    "-----BEGIN PRIVATE KEY-----\n" * 3_500,
    "AKIA" * 25_000,
    "secret " * 14_000,
    "secret " + "A1b2" * 25_000,
    "Bearer " * 14_000,
    "Bearer " + "a1" * 50_000,
    "://a:" * 20_000,
    "https://" + "a:" * 49_000 + "@",
    "Q~" * 50_000,
    "AccountKey=" + "A1b/" * 25_000,
    "sig=" * 25_000,
]


def test_a_message_of_many_values_has_a_span_for_each() -> None:
    # Only overlapping findings are settled against each other, so this stays linear.
    spans = find_private_spans("x@y.io 4242 4242 4242 4242 " * 10_000)
    assert [s.kind for s in spans] == ["email", "card"] * 10_000


@pytest.mark.parametrize("text", HOSTILE, ids=lambda text: repr(text[:12]))
def test_hostile_input_is_scanned_whole(text: str) -> None:
    spans = find_private_spans(text)
    assert (find_private_data(text) is None) == (spans == [])


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
     "AKIA", "x.com", "\n", "GB82WEST", "-----BEGIN ", "PRIVATE KEY-----", "_", "Bearer ",
     "secret ", "://u:", "AccountKey=", "sig=", "Q~", "hf_", "ghp_", "xoxb-", "=", "/",
     "-----END PRIVATE KEY-----", "\\n", "ü", "例", "A1b2C3d4E5f6G7h8", ":"]
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(fragments, max_size=60).map("".join))
def test_fragment_soup_never_raises(text: str) -> None:
    found = find_private_data(text)
    assert found is None or (found.kind in PRIVATE_KINDS and found.detail)


# Messages mixing labelled values (in their contexts), key prefixes and arbitrary text.
messages = st.lists(
    st.one_of(fragments, st.sampled_from([row["text"] for row in EACH_VALUE]),
              st.text(max_size=12)),
    max_size=24,
).map("".join)
# How far before a value its context may be (the 'secret' word or access key ID before
# an AWS secret key, 'Bearer ' before a token, 'AccountKey=' before an Azure key).
CONTEXT = 160


@settings(max_examples=150, deadline=None, database=None)
@given(messages, kinds_strategy)
def test_spans_are_sorted_disjoint_and_agree_with_find_private_data(
    text: str, kinds: tuple[str, ...]
) -> None:
    spans = find_private_spans(text, kinds)
    assert all(0 <= s.start < s.end <= len(text) and s.kind in kinds for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert (find_private_data(text, kinds) is None) == (spans == [])
    assert private_kinds_in(text, kinds) == {s.kind for s in spans}


@settings(max_examples=150, deadline=None, database=None)
@given(messages)
def test_each_span_is_found_again_on_its_own(text: str) -> None:
    for s in find_private_spans(text):
        value = text[s.start:s.end]
        if find_private_spans(value) == [Span(s.kind, 0, len(value))]:
            continue
        # A value found by its context (a bearer token, an AWS secret key, the '@' after a
        # URL's password) is found again with that context and no more: as itself, or
        # inside a longer value of its kind that the cut let through ('…sig=<40 chars>%'
        # cut before '3D-' is a shared access signature, no longer an AWS key).
        lo, hi = max(0, s.start - CONTEXT), s.end + 1
        assert any(
            again.kind == s.kind and again.start <= s.start - lo and s.end - lo <= again.end
            for again in find_private_spans(text[lo:hi])
        )
