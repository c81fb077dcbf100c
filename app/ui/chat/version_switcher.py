"""‹ 2/3 › under a reply that was regenerated: which of its versions is shown, and the
way to the others. Hidden while a reply has one version."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.ui import theme

_ARROW_SCALE = 1.35  # the arrows are the targets: bigger than the small text beside them


class VersionSwitcher(QWidget):
    sig_version_requested = Signal(int)
    """Show another version. Argument: its number, from 1. (The message widget shows the
    switcher only while there is more than one version and nothing streams.)"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionSwitcher")
        self._version, self._count = 1, 1
        self.previous = self._arrow("‹", "previousVersionButton", "Previous version", -1)
        self.label = QLabel()
        self.label.setObjectName("versionLabel")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.next = self._arrow("›", "nextVersionButton", "Next version", 1)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.previous)
        row.addWidget(self.label)
        row.addWidget(self.next)
        self.hide()

    def _arrow(self, text: str, name: str, accessible_name: str, step: int) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(name)
        button.setAutoRaise(True)
        button.setAccessibleName(accessible_name)
        button.setToolTip(f"{accessible_name} of this reply")
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * _ARROW_SCALE)
        button.setFont(font)
        button.clicked.connect(lambda: self._step(step))
        return button

    def set_versions(self, version: int, count: int) -> None:
        """Version ``version`` of ``count`` is shown; one version shows nothing."""
        self._version, self._count = version, count
        self.label.setText(f"{version}/{count}")
        self.setAccessibleName(f"Version {version} of {count}")
        self.label.setAccessibleName(f"Version {version} of {count}")
        self.previous.setEnabled(version > 1)
        self.next.setEnabled(version < count)

    def set_text_colour(self, colour: QColor, background: QColor) -> None:
        """Quiet text like the rest of the footer; an arrow with nowhere to go is fainter
        still (towards ``background``), so the way that is open shows: a palette colour
        set for every state would paint both alike."""
        faint = theme.mix(colour, background, 0.6)
        theme.set_foreground(self.label, colour)
        for arrow in (self.previous, self.next):
            theme.set_foreground(arrow, colour)
            palette = arrow.palette()
            palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, faint)
            arrow.setPalette(palette)

    def version(self) -> int:
        return self._version

    def count(self) -> int:
        return self._count

    def _step(self, step: int) -> None:
        wanted = self._version + step
        if 1 <= wanted <= self._count:
            self.sig_version_requested.emit(wanted)
