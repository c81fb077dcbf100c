"""The chat's router picker: a combo box that says when its list closes.

After picking a router (Ctrl+K, arrows, Enter) or leaving the list with Esc, the next
thing typed is a message; left on the picker, its letters would pick routers instead.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QComboBox, QWidget


class RouterPicker(QComboBox):
    sig_popup_closed = Signal()
    """The list of routers closed, whether a router was picked or not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The list's own window: it hides on Enter, on a click and on Esc alike, while
        # hidePopup() is called for the first two only.
        self._popup = self.view().window()
        self._popup.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._popup and event.type() == QEvent.Type.Hide:
            self.sig_popup_closed.emit()
        return super().eventFilter(watched, event)
