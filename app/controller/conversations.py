"""The chat list and each chat's messages, as the window shows and edits them.

The window goes through here rather than to the store, so the UI never depends on how
conversations are kept. Each change is published on the session's ``ChangeHub``.
"""

from __future__ import annotations

import builtins

from app.controller.changes import ChangeHub, Changes
from app.core.chat_settings import ChatSettings
from app.core.store import ConversationRow, DeletedMessages, MessageRow, Store, StoreError

# The rows (and the store's error) are part of this surface: the UI reads them from here,
# never from the store.
__all__ = ["ChatSettings", "ConversationRow", "Conversations", "DeletedMessages", "MessageRow",
           "StoreError"]


class Conversations:
    def __init__(self, store: Store, changes: ChangeHub | None = None) -> None:
        self._store = store
        self._changes = changes or ChangeHub()  # a list on its own (tests) tells nobody

    def list(self, search: str | None = None) -> list[ConversationRow]:
        """Most recently active first; ``search`` matches titles and message text."""
        return self._store.conversations(search)

    def get(self, cid: int) -> ConversationRow | None:
        return self._store.conversation(cid)

    def messages(self, cid: int) -> builtins.list[MessageRow]:  # "list" is the method above
        return self._store.messages(cid)

    def message(self, mid: int) -> MessageRow | None:
        return self._store.message(mid)

    def choose_version(self, mid: int, number: int) -> MessageRow:
        """Show version ``number`` of a reply from now on; returns the reply as it is now."""
        row = self._store.choose_version(mid, number)
        self._forget_summary(row.conversation_id, mid)
        self._changes.publish(Changes(messages=frozenset({row.conversation_id})))
        return row

    def delete_message(self, mid: int) -> DeletedMessages | None:
        """Delete one message, with every version of it. Your message goes with the
        replies to it (those right after it): a reply without its question would be
        answered from nothing. Returns what went, for ``restore``; None if it is gone."""
        row = self._store.message(mid)
        if row is None:
            return None
        ids = [mid]
        if row.role == "user":
            later = [m for m in self._store.messages(row.conversation_id) if m.id > mid]
            ids += [m.id for m in _leading(later, "assistant")]
        deleted = self._store.delete_messages(row.conversation_id, ids)
        self._forget_summary(row.conversation_id, min(ids))
        self._changes.publish(Changes(conversations=True, messages=frozenset({row.conversation_id})))
        return deleted

    def restore(self, deleted: DeletedMessages) -> None:
        """Undo a ``delete_message``: the messages come back where they were."""
        self._store.restore_messages(deleted)
        self._forget_summary(deleted.conversation_id, min(deleted.ids, default=0))
        self._changes.publish(Changes(conversations=True, messages=frozenset({deleted.conversation_id})))

    def _forget_summary(self, cid: int, mid: int) -> None:
        """A summary of older turns that read message ``mid`` no longer says what the chat
        holds (another version, or a deleted message, which must not be sent on in it):
        the summarize policy writes a new one when it needs one."""
        summary = self._store.summary(cid)
        if summary is not None and mid <= summary.through:
            self._store.set_summary(cid, None)

    def rename(self, cid: int, title: str) -> None:
        self._store.rename_conversation(cid, " ".join(title.split()) or "New chat")
        self._changes.publish(Changes(conversations=True))

    def delete(self, cid: int) -> None:
        self._store.delete_conversation(cid)
        self._changes.publish(Changes(conversations=True, messages=frozenset({cid})))

    def set_router(self, cid: int, router: str | None) -> None:
        self._store.set_conversation_router(cid, router)
        self._changes.publish(Changes(conversations=True))

    def chat_settings(self, cid: int) -> ChatSettings:
        """The chat's own settings: system prompt, sampling, reply length, context policy,
        one model instead of its router (defaults where nothing was set)."""
        return self._store.chat_settings(cid)

    def set_chat_settings(self, cid: int, settings: ChatSettings) -> None:
        self._store.set_chat_settings(cid, settings)
        self._changes.publish(Changes(conversations=True))


def _leading(rows: builtins.list[MessageRow], role: str) -> builtins.list[MessageRow]:
    """The rows of ``role`` at the start of ``rows``, up to the first of another role."""
    run: builtins.list[MessageRow] = []
    for row in rows:
        if row.role != role:
            break
        run.append(row)
    return run
