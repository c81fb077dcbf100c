"""Asking before a chat that holds private data is unlocked: the controller's words for
what would be sent where, "Keep local" the default (Enter or Esc keeps it here)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["UnlockConfirmation", "confirm_unlock"]


class UnlockConfirmation(QMessageBox):
    def __init__(self, warning: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Unlock this chat?")
        self.setText("Let this chat leave this computer?")
        self.setInformativeText(warning)
        # QMessageBox wraps its text at about a third of this width: a long warning read
        # as a narrow column. (An object name Qt gives the label; the rule sets no colour.)
        self.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 440px; }")
        self.unlock_button = self.addButton("Unlock", QMessageBox.ButtonRole.AcceptRole)
        self.unlock_button.setAccessibleName("Unlock: cloud models may answer")
        self.keep_button = self.addButton("Keep local", QMessageBox.ButtonRole.RejectRole)
        self.keep_button.setAccessibleName("Keep local: only models on this computer answer")
        self.setDefaultButton(self.keep_button)
        self.setEscapeButton(self.keep_button)

    def unlocked(self) -> bool:
        return self.clickedButton() is self.unlock_button


def confirm_unlock(parent: QWidget | None, warning: str) -> bool:
    """True when the user chose Unlock."""
    box = UnlockConfirmation(warning, parent)
    box.exec()
    answer = box.unlocked()
    box.deleteLater()
    return answer
