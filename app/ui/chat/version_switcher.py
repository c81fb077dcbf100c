"""‹ 2/3 › under a reply that was regenerated: which of its versions is shown, and the
way to the others. Hidden while a reply has one version."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget


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

    def version(self) -> int:
        return self._version

    def count(self) -> int:
        return self._count

    def _step(self, step: int) -> None:
        wanted = self._version + step
        if 1 <= wanted <= self._count:
            self.sig_version_requested.emit(wanted)
