"""A line of plain words on a tint: an error, a warning, an all-clear — shown in place,
next to what it is about, never in a modal. Hidden while empty."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QWidget

from app.ui import theme

Tone = Literal["ok", "error", "warning"] | None
# Mixed into the palette's base colour the way theme mixes its error and warning hues,
# so the tint follows light and dark themes.
_OK_HUE = QColor(46, 160, 67)


def tone_background(palette: QPalette, tone: Tone) -> QColor:
    if tone == "error":
        return theme.error_background(palette)
    if tone == "warning":
        return theme.warning_background(palette)
    if tone == "ok":
        base = palette.color(QPalette.ColorRole.Base)
        return theme.mix(base, _OK_HUE, 0.22 if theme.is_dark(palette) else 0.12)
    return QColor(Qt.GlobalColor.transparent)


class InlineMessage(QLabel):
    def __init__(self, name: str = "Message", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tone: Tone = None
        self.setAccessibleName(name)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # server and file errors are not markup
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMargin(6)
        self.setVisible(False)

    @property
    def tone(self) -> Tone:
        return self._tone

    def set_message(self, text: str, tone: Tone = None) -> None:
        self._tone = tone
        self.setText(text)
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        theme.paint_panel(self, tone_background(self.palette(), self._tone), radius=6.0)
        super().paintEvent(event)
