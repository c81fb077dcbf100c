"""The notice across the top of the window when the first cloud provider is added: new
chats still use "Local only"; use the cloud-aware router for them, or keep it as it is.

Nothing changes until the user answers, so the default router never changes on its own.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QPaintEvent, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.ui import theme

_HUE = QColor(52, 120, 246)  # information, neither good nor bad news


class RouterOfferNotice(QFrame):
    sig_accepted = Signal(str)
    """Use the offered router (its name) for new chats."""
    sig_declined = Signal()
    """Keep the router new chats have."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("routerOffer")
        self.setAccessibleName("Router for new chats")
        self._offered = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.use_button = QPushButton()
        self.use_button.setObjectName("useOfferedRouter")
        self.keep_button = QPushButton()
        self.keep_button.setObjectName("keepRouter")
        self.use_button.clicked.connect(lambda: self.sig_accepted.emit(self._offered))
        self.keep_button.clicked.connect(self.sig_declined)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 10, 8)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.use_button)
        layout.addWidget(self.keep_button)
        self.hide()

    def offer(self, offered: str, current: str, words: str) -> None:
        self._offered = offered
        self.label.setText(words)
        self.use_button.setText(f"Use “{offered}” for new chats")
        self.keep_button.setText(f"Keep {current}")
        self.setAccessibleDescription(words)
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        base = self.palette().color(QPalette.ColorRole.Base)
        tint = theme.mix(base, _HUE, 0.24 if theme.is_dark(self.palette()) else 0.12)
        theme.paint_panel(self, tint, radius=0.0)
        super().paintEvent(event)
