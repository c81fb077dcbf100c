"""The chat list and each chat's messages, as the window shows and edits them.

The window goes through here rather than to the store, so the UI never depends on how
conversations are kept. Each change is published on the session's ``ChangeHub``.
"""

from __future__ import annotations

import builtins

from app.controller.changes import ChangeHub, Changes
from app.core.chat_settings import ChatSettings
from app.core.store import ConversationRow, MessageRow, Store

# The rows are part of this surface: the UI reads them from here, never from the store.
__all__ = ["ChatSettings", "ConversationRow", "Conversations", "MessageRow"]


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
