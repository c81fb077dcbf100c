"""What left this computer, in words: one egress log row as ``python -m app egress``
prints it and as the window's "Sent off this computer" view shows it.

Both faces read the same log, so both say it the same way; only the counts and the
kinds of values are worded, never the values (the log does not hold them).
"""

from __future__ import annotations

from app.core.store import EgressRow

__all__ = ["EgressRow", "count", "kind_words", "line", "privacy_words", "redaction_words"]

# The kinds the gate redacts (app/core/redaction.py), as a person says them.
_NOUNS = {"email": ("email", "emails"), "phone": ("phone number", "phone numbers"),
          "card": ("card number", "card numbers"), "iban": ("IBAN", "IBANs"),
          "secret": ("secret", "secrets")}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 request", "3 requests"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def redaction_words(redactions: dict[str, int]) -> str:
    """ "2 emails, 1 secret": how many values of each kind became placeholders."""
    parts = []
    for kind, n in redactions.items():
        singular, plural = _NOUNS.get(kind, (kind, kind))
        parts.append(count(n, singular, plural))
    return ", ".join(parts)


def privacy_words(row: EgressRow) -> str:
    """What privacy did to this request ("redacted 1 email; 1 private message left out"),
    or "" when it went as it was."""
    done = []
    if row.redactions:
        done.append("redacted " + redaction_words(row.redactions))
    if row.omitted:
        done.append(f"{count(row.omitted, 'private message')} left out")
    return "; ".join(done)


def kind_words(kind: str) -> str:
    """What the request was for: a reply, or choosing a rule."""
    return {"chat": "reply", "classifier": "choosing a rule"}.get(kind, kind)


def line(row: EgressRow) -> str:
    """One request on one line (the CLI's listing)."""
    where = f"conversation {row.conversation_id}" if row.conversation_id is not None \
        else "no conversation"
    privacy = privacy_words(row)
    extra = f" · {privacy}" if privacy else ""
    return (f"{row.created_at.astimezone():%Y-%m-%d %H:%M:%S}  {row.target} ({row.host}) · "
            f"{row.kind} · {row.bytes:,} bytes · {count(len(row.message_ids), 'message')} · "
            f"{where}{extra}")
