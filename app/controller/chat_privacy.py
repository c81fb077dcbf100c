"""A conversation's privacy as the chat shows it and the egress gate applies it.

A conversation is *protected* once it holds a private message. Under the router's
``"history": "local"`` it then stays on this computer, as a conversation the user
locked does; the user may unlock it, after a confirmation that says what would be
sent where. Under ``redact`` and ``omit`` it may still reach the cloud, shaped by the
gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.controller.egress import Protection
from app.core.router import Router
from app.core.router.privacy import private_kinds
from app.core.router.targets import is_local
from app.core.store import MessageRow, Store


@dataclass(frozen=True, slots=True)
class ChatPrivacy:
    locked: bool  # only models on this computer answer now
    reason: str  # why, in plain words ("message 3 holds an email address"); "" when open
    user_lock: bool | None  # the chat's own setting (see Store.lock)
    unlock_warning: str  # what unlocking would send where; "" when nothing private


def protection_of(store: Store, cid: int, router: Router, rows: list[MessageRow],
                  skip: int | None = None) -> Protection:
    """What the conversation's messages (``rows``, in the order a target receives them)
    ask of the next request; ``skip``: a message to judge afresh (being answered)."""
    private = {i: row for i, row in enumerate(rows)
               if row.role == "user" and row.private is not None and row.id != skip}
    reasons = tuple(f"message {i + 1} holds {_what(row)}" for i, row in private.items())
    lock = store.lock(cid)
    return Protection(router.privacy.history, private_kinds(router), frozenset(private),
                      tuple(row.id for row in rows), locked=lock is True, unlocked=lock is False,
                      reasons=reasons)


def chat_privacy(store: Store, cid: int | None, router: Router) -> ChatPrivacy:
    """The lock as the chat header shows it."""
    if cid is None:
        return ChatPrivacy(False, "", None, "")
    rows = store.messages(cid)
    protection = protection_of(store, cid, router, rows)
    if protection.locked:
        reason = "You locked this chat: only models on this computer answer."
    elif not protection.allows_remote:
        reason = f"Kept on this computer: {'; '.join(protection.reasons)}."
    else:
        reason = ""
    return ChatPrivacy(not protection.allows_remote, reason, store.lock(cid),
                       unlock_warning(router, protection))


def unlock_warning(router: Router, protection: Protection) -> str:
    """What unlocking would send where, for the confirmation."""
    remote = [t for t in router.targets() if not is_local(t)]
    if not protection.protected or not remote:
        return ""
    where = ", ".join(remote)
    what = "; ".join(protection.reasons)
    if protection.policy == "redact":
        how = "with each private value replaced by a placeholder"
    elif protection.policy == "omit":
        how = "without the private messages and the replies to them"
    else:
        how = "in full, private messages included"
    return (f"This chat holds private data ({what}). If you unlock it, later messages may go to "
            f"{where} when the router “{router.name}” picks them, with the whole conversation "
            f"{how}.")


def _what(row: MessageRow) -> str:
    assert row.private is not None
    reason = row.private.reason
    for suffix in (" found",):  # "email address found" → "an email address"
        if reason.endswith(suffix):
            thing = reason.removesuffix(suffix)
            return f"{'an' if thing[:1].lower() in 'aeiou' else 'a'} {thing}"
    return f"private data ({reason})"
