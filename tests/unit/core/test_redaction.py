"""Placeholders out, originals back in: stable per value, restored one character at a time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.redaction import Redactor, Restorer

EMAIL = "jane.doe@example.com"
CARD = "4242 4242 4242 4242"


def test_the_same_value_gets_the_same_placeholder_in_every_message():
    redactor = Redactor()
    first = redactor.redact(f"mail {EMAIL} and charge {CARD}")
    second = redactor.redact(f"Sure, I will write to {EMAIL}.")
    assert first == "mail [EMAIL_1] and charge [CARD_1]"
    assert second == "Sure, I will write to [EMAIL_1]."
    assert redactor.originals() == {"[EMAIL_1]": EMAIL, "[CARD_1]": CARD}
    assert redactor.summary() == "1 email, 1 card number"
    assert redactor.replaced == {"email": 2, "card": 1}


def test_a_value_seen_before_is_replaced_even_where_detection_would_miss_it():
    redactor = Redactor()
    redactor.redact(f"my card is {CARD}")
    assert redactor.redact(f"the card ({CARD[:19]}) was declined") == "the card ([CARD_1]) was declined"


def test_two_values_of_a_kind_are_numbered():
    redactor = Redactor(["email"])
    assert redactor.redact("a@example.com, b@example.org") == "[EMAIL_1], [EMAIL_2]"
    assert redactor.summary() == "2 emails"


def test_the_restorer_puts_originals_back_and_leaves_other_brackets_alone():
    restorer = Restorer({"[EMAIL_1]": EMAIL})
    assert restorer.feed("Write to [EMAIL_1] [sic] or [EMAIL_9]") == f"Write to {EMAIL} [sic] or [EMAIL_9]"
    assert restorer.flush() == ""


def test_an_unfinished_placeholder_at_the_end_is_just_text():
    restorer = Restorer({"[EMAIL_1]": EMAIL})
    assert restorer.feed("see [EMA") == "see "
    assert restorer.flush() == "[EMA"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=60),
       st.sampled_from(["Reply to [EMAIL_1] about [CARD_1].", "[EMAIL_1][EMAIL_1]", "[[EMAIL_1]]",
                        "Card [CARD_1]; email [EMAIL_1]; [IBAN_3] stays", "no placeholder [at all"]))
def test_restoring_a_reply_split_anywhere_gives_the_same_text(cuts, reply):
    originals = {"[EMAIL_1]": EMAIL, "[CARD_1]": CARD}
    whole = Restorer(originals).feed(reply) + ""
    restorer, out, at = Restorer(originals), [], 0
    for size in cuts:
        out.append(restorer.feed(reply[at:at + size]))
        at += size
    out.append(restorer.feed(reply[at:]))
    out.append(restorer.flush())
    assert "".join(out) == whole + Restorer(originals).flush()
    assert "".join(out) == reply.replace("[EMAIL_1]", EMAIL).replace("[CARD_1]", CARD)


def test_one_character_at_a_time():
    restorer = Restorer({"[SECRET_2]": "sk-live-abc"})
    reply = "Your key [SECRET_2] is set."
    assert "".join(restorer.feed(c) for c in reply) + restorer.flush() == "Your key sk-live-abc is set."
