"""The one bridge from the controller's ``Changes`` to Qt: a signal per part that changed.

Controller operations publish a ``Changes`` on ``session.changes`` after they succeed
(Anki's ``operation_did_execute``); this object hears it and re-emits one signal per
part, so a widget connects to what it shows and never needs to know who changed it.
Built once per session by the window; tool windows receive it.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Signal

from app.controller.changes import ChangeHub, Changes

__all__ = ["ChangeSignals"]


class ChangeSignals(QObject):
    sig_changed = Signal(object)
    """Every published ``Changes`` value, for a view that wants several parts at once."""
    sig_conversations_changed = Signal()
    """Chats were created, renamed, deleted or re-pointed to another router."""
    sig_messages_changed = Signal(int)
    """The messages of this conversation id changed (once per id)."""
    sig_routers_changed = Signal()
    """Router files were saved, renamed or deleted, or the default router changed."""
    sig_settings_changed = Signal()
    """settings.json was saved (offline mode, local model settings, prices, …)."""
    sig_providers_changed = Signal()
    """Providers were added, edited or removed, or their keys set or removed."""
    sig_local_models_changed = Signal()
    """A model was installed, imported or removed, or another one chosen for chat."""
    sig_usage_changed = Signal()
    """Replies or classifier calls were billed."""

    def __init__(self, hub: ChangeHub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = hub.subscribe(self._on_changes)
        self.destroyed.connect(lambda *_, stop=self._unsubscribe: stop())

    def _on_changes(self, changes: Changes) -> None:
        if not shiboken6.isValid(self):  # deleted, and the unsubscribe has not run yet
            return
        self.sig_changed.emit(changes)
        if changes.conversations:
            self.sig_conversations_changed.emit()
        for cid in sorted(changes.messages):
            self.sig_messages_changed.emit(cid)
        if changes.routers:
            self.sig_routers_changed.emit()
        if changes.settings:
            self.sig_settings_changed.emit()
        if changes.providers:
            self.sig_providers_changed.emit()
        if changes.local_models:
            self.sig_local_models_changed.emit()
        if changes.usage:
            self.sig_usage_changed.emit()
