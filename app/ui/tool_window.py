"""A window of tools (settings, models): a dialog where Enter never presses a button.

QDialog turns Enter in any text field into a click on its default button, and every
QPushButton in a dialog is a candidate. In a window full of forms that means Enter in a
search box could press "Import…" or "Remove". Here Enter stays with the field that has
focus (searching, committing an edit); Esc still closes the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class ToolWindow(QDialog):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ENTER_KEYS:
            event.accept()
            return
        super().keyPressEvent(event)
