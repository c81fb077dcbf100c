"""What the egress gate lets a remote target see of a conversation, per privacy policy."""

from __future__ import annotations

import pytest

from app.controller.egress import PrivacyRefused, Protection, shape
from app.core.providers.base import ChatMessage

EMAIL = "jane.doe@example.com"
MESSAGES = (
    ChatMessage("user", f"My email is {EMAIL}, remember it"),
    ChatMessage("assistant", f"Noted: {EMAIL}."),
    ChatMessage("user", "Now write a limerick about cats"),
)
KINDS = ("email", "phone", "card", "iban", "secret")


def protection(policy: str, **kw: object) -> Protection:
    return Protection(policy, KINDS, frozenset({0}), (1, 2, 3), reasons=("message 1 holds an email address",),
                      **kw)  # type: ignore[arg-type]


def test_local_refuses_a_protected_conversation():
    with pytest.raises(PrivacyRefused, match="message 1 holds an email address"):
        shape(MESSAGES, protection("local"))


def test_a_lock_refuses_even_an_open_conversation():
    with pytest.raises(PrivacyRefused, match="locked"):
        shape(MESSAGES[2:], Protection(locked=True))


def test_redact_replaces_values_in_every_turn_and_restores_them():
    out = shape(MESSAGES, protection("redact"))
    texts = [m.text for m in out.messages]
    assert texts == ["My email is [EMAIL_1], remember it", "Noted: [EMAIL_1].", "Now write a limerick about cats"]
    assert not any(EMAIL in t for t in texts)
    assert out.note == "redacted 1 email" and out.redactions == {"email": 2}
    assert out.restorer is not None and out.restorer.feed("Sent to [EMAIL_1].") == f"Sent to {EMAIL}."


def test_redact_leaves_out_a_private_turn_it_cannot_redact():
    messages = (ChatMessage("user", "This is confidential: the merger is on"), *MESSAGES[1:])
    out = shape(messages, protection("redact"))
    assert [m.text for m in out.messages][0] == "Noted: [EMAIL_1]."
    assert out.note.startswith("1 private message left out") and out.omitted == 1


def test_omit_leaves_out_private_turns_and_their_replies():
    out = shape(MESSAGES, protection("omit"))
    assert [m.text for m in out.messages] == ["Now write a limerick about cats"]
    assert out.note == "1 private message and the replies to them left out"


def test_unlocked_by_the_user_sends_it_as_it_is():
    out = shape(MESSAGES, protection("local", unlocked=True))
    assert out.messages[0].text == MESSAGES[0].text


def test_an_open_conversation_is_sent_unchanged():
    out = shape(MESSAGES[2:], Protection())
    assert out.messages == MESSAGES[2:] and out.note == "" and out.restorer is None
