"""What a new chat shows before its first message: what a router is and what the chat's
router does, in two sentences, and where to shape it (the router editor, models)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.router.library import LOCAL_ONLY
from app.ui import theme

WHAT_A_ROUTER_IS = (
    "A router decides, message by message, which model answers: one running on this "
    "computer (private and free) or a cloud model, where one of its rules asks for it."
)


def router_sentence(router: str, has_providers: bool = False) -> str:
    """The second sentence: what the chat's own router does (and, for "Local only", how
    to reach further: a provider first, then another router)."""
    if router == LOCAL_ONLY:
        further = ("pick another router above to use your cloud models" if has_providers
                   else "add a cloud provider in Settings for routers that use cloud models")
        return f"This chat uses “{LOCAL_ONLY}”, which keeps every message on this computer; {further}."
    return (f"This chat uses “{router}”: its rules choose the model, and every reply says "
            "which rule chose it.")


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
        self.intro = QLabel(f"{WHAT_A_ROUTER_IS} {router_sentence(LOCAL_ONLY)}")
        self.intro.setObjectName("routerIntro")
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.intro.setMaximumWidth(560)
        # A wrapped label aligned inside a layout gets a one-line height: centre it with
        # stretches instead.
        centred = QHBoxLayout()
        centred.addStretch(1)
        centred.addWidget(self.intro, 100)
        centred.addStretch(1)
        muted = theme.muted_text(self.palette()).name()
        self.links = QLabel(
            f'<span style="color:{muted}">See how each router decides, or make your own, in the </span>'
            '<a href="open_router_editor">router editor</a>'
            f'<span style="color:{muted}">; add models in the </span>'
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

    def show_router(self, router: str, has_providers: bool = False) -> None:
        """Explain the router the new chat will use."""
        self.intro.setText(f"{WHAT_A_ROUTER_IS} {router_sentence(router, has_providers)}")
