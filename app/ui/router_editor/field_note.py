"""A short, muted line under a field saying what it means, where the field stands.

For the editor's words a new user cannot guess ("threshold", "margin"): a tooltip alone
waits for a hover nobody thinks to make. The colour is derived from the palette again
when it changes, so the note stays readable in light and dark themes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QWidget

from app.ui import theme


class FieldNote(QLabel):
    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName(text)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        self.setFont(font)
        self._follow_palette()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ParentChange):
            self._follow_palette()

    def _follow_palette(self) -> None:
        # From the parent's palette: this label's own text colour is the muted one.
        parent = self.parentWidget()
        muted = theme.muted_text(parent.palette() if parent is not None else QPalette())
        if self.palette().color(QPalette.ColorRole.WindowText) != muted:  # setting it signals again
            theme.set_foreground(self, muted)
