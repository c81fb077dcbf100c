"""“Deleted your message and its reply — Undo”, under the chat for a few seconds after a
message is deleted, as the chat list does for a whole chat.

The messages are already gone from the store (nothing that reads the chat meanwhile,
such as the next request to a model, sees them); Undo puts them back as they were."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.controller.conversations import DeletedMessages

UNDO_MS = 8000  # as long as the chat list's Undo of a deleted chat


def deleted_words(role: str, count: int, versions: int = 1) -> str:
    """What deleting a message of ``role`` took (``count`` messages, the first with
    ``versions`` versions), in the words the bar shows."""
    if role == "user":
        return "Deleted your message and its reply." if count > 1 else "Deleted your message."
    others = versions - 1
    if others > 0:
        return f"Deleted the reply and its {others} other version{'s' if others > 1 else ''}."
    return "Deleted the reply."


class DeletedMessageBar(QFrame):
    sig_undo_requested = Signal(object)
    """Undo was pressed. Argument: the controller's ``DeletedMessages`` to put back."""
    sig_undo_available_changed = Signal(bool)
    """A deletion can be undone now (True), or no longer (False)."""

    def __init__(self, parent: QWidget | None = None, undo_ms: int = UNDO_MS) -> None:
        super().__init__(parent)
        self.setObjectName("deletedMessageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self._deleted: DeletedMessages | None = None
        self.label = QLabel(self)
        self.label.setObjectName("deletedMessageLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton("Undo", self)
        self.button.setObjectName("undoDeleteMessageButton")
        self.button.setAccessibleName("Undo delete")
        self.button.setToolTip("Bring the deleted message back")
        self.button.clicked.connect(self.undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self._timer = QTimer(self, singleShot=True, interval=undo_ms)
        self._timer.timeout.connect(self.dismiss)
        self.hide()

    def show_for(self, deleted: DeletedMessages, words: str) -> None:
        """Offer Undo for ``deleted`` (one deletion at a time: a new one ends the last)."""
        self._deleted = deleted
        self.label.setText(words)
        self.setAccessibleName(words)
        self.show()
        self._timer.start()
        self.sig_undo_available_changed.emit(True)

    def can_undo(self) -> bool:
        return self._deleted is not None

    def undo(self) -> None:
        deleted = self._deleted
        self.dismiss()
        if deleted is not None:
            self.sig_undo_requested.emit(deleted)

    def dismiss(self) -> None:
        """The undo window closed (timed out, used, or another chat opened)."""
        self._timer.stop()
        self.hide()
        if self._deleted is not None:
            self._deleted = None
            self.sig_undo_available_changed.emit(False)
