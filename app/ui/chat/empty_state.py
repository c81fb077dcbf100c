"""What a new chat shows before its first message: what Switchboard does, in two lines,
and where to shape it (routers, models)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.ui import theme

INTRO = (
    "Each message goes to the model that fits it: a model running on this computer — private "
    "and free — or a cloud model where one of your router's rules asks for it. "
    "Every reply says which model answered, and why."
)


class EmptyState(QWidget):
    sig_action_requested = Signal(str)
    """"open_router_editor" or "open_models"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Welcome")
        title = QLabel("Ask anything")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro.setMaximumWidth(560)
        # A wrapped label aligned inside a layout gets a one-line height: centre it with
        # stretches instead.
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(intro, 100)
        centred.addStretch(1)
        muted = theme.muted_text(self.palette()).name()
        self.links = QLabel(
            f'<span style="color:{muted}">Shape where messages go in the </span>'
            '<a href="open_router_editor">router editor</a>'
            f'<span style="color:{muted}">, or add models in the </span>'
            '<a href="open_models">model manager</a>'
            f'<span style="color:{muted}">.</span>')
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.links.setAccessibleName("Router editor and model manager links")
        self.links.linkActivated.connect(self.sig_action_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addLayout(centred)
        layout.addSpacing(12)
        layout.addWidget(self.links)
        layout.addStretch(3)
