"""The chat header's lock: "Local only" on or off, why, and a link to what left.

The widget only shows a ``ChatPrivacy`` (the controller's words) and says what the user
asked for; the chat pane decides what that means (asking first before a chat holding
private data is unlocked) and calls the controller.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from app.controller.chat_privacy import ChatPrivacy
from app.ui import theme
from app.ui.privacy.lock_icon import lock_icon

__all__ = ["ChatLock", "short_reason"]

KEPT_PREFIX = "Kept on this computer: "
REASON_WIDTH = 300  # px before the short reason is elided (the tooltip has it whole)
OPEN_TIP = ("Off: the router may send this chat's messages to cloud models. "
            "On: only models on this computer answer it.")
NEW_CHAT_TIP = "Only models on this computer will answer this chat, from its first message."
UNLOCKED_TIP = ("You unlocked this chat although it holds private data: the router may send "
                "it to cloud models. Turn this on to keep it on this computer again.")
SHAPED_TIP = ("This chat holds private data. The router sends later messages to cloud models "
              "only as its privacy setting allows (each reply's trace says what left). "
              "Turn this on to keep everything on this computer.")


def short_reason(reason: str) -> str:
    """ "Kept on this computer: message 3 holds an email address." → "message 3 holds an
    email address"; a lock the user set needs no label beside the button."""
    if not reason.startswith(KEPT_PREFIX):
        return ""
    return reason.removeprefix(KEPT_PREFIX).removesuffix(".")


class ChatLock(QWidget):
    sig_lock_requested = Signal(bool)
    """The user turned "Local only" on (True) or off (False); nothing has changed yet."""
    sig_sent_off_requested = Signal()
    """Show what this chat sent off this computer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._closed = False
        self.button = QToolButton()
        self.button.setObjectName("lockButton")
        self.button.setCheckable(True)
        self.button.setText("Local only")
        self.button.setAccessibleName("Local only")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # clicked, not toggled: showing the stored state must not read as a request.
        self.button.clicked.connect(lambda: self.sig_lock_requested.emit(self.button.isChecked()))
        self.reason = QLabel()
        self.reason.setObjectName("lockReason")
        self.reason.setAccessibleName("Why this chat stays on this computer")
        self.reason.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self.reason.hide()
        self.sent_off = QToolButton()
        self.sent_off.setObjectName("sentOffButton")
        self.sent_off.setText("Sent off…")
        self.sent_off.setAccessibleName("Sent off this computer")
        self.sent_off.setToolTip("What this chat sent to cloud models: when, where, how much, "
                                 "and what was kept back (Ctrl+Shift+O)")
        self.sent_off.setAutoRaise(True)
        self.sent_off.clicked.connect(lambda: self.sig_sent_off_requested.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.button)
        layout.addWidget(self.reason)
        layout.addWidget(self.sent_off)
        self._apply_colours()

    # ---- showing -----------------------------------------------------------------------

    def show_privacy(self, privacy: ChatPrivacy) -> None:
        """The open chat's lock as the controller decided it."""
        if privacy.locked:
            tip, note = privacy.reason, short_reason(privacy.reason)
        elif privacy.user_lock is False:
            tip, note = UNLOCKED_TIP, "unlocked by you"
        elif privacy.unlock_warning:
            tip, note = SHAPED_TIP, ""
        else:
            tip, note = OPEN_TIP, ""
        self._show(privacy.locked, tip, note)

    def show_new_chat(self, locked: bool) -> None:
        """A chat not created yet: what it will start with."""
        self._show(locked, NEW_CHAT_TIP if locked else OPEN_TIP, "")

    def set_usable(self, usable: bool, why: str = "") -> None:
        """Off while the chat's router cannot be read (its privacy cannot be known)."""
        self.button.setEnabled(usable)
        if not usable:
            self.button.setToolTip(why)

    def is_locked(self) -> bool:
        return self.button.isChecked()

    def reason_text(self) -> str:
        """The short reason beside the button ("" when none is shown)."""
        return "" if self.reason.isHidden() else self.reason.toolTip()

    def _show(self, locked: bool, tip: str, note: str) -> None:
        self.button.setEnabled(True)
        self.button.setChecked(locked)
        self.button.setToolTip(tip)
        self.button.setAccessibleDescription(tip)
        self._closed = locked
        self._apply_icon()
        metrics = self.reason.fontMetrics()
        self.reason.setText(metrics.elidedText(note, Qt.TextElideMode.ElideRight, REASON_WIDTH))
        self.reason.setToolTip(note)
        self.reason.setAccessibleDescription(note)
        self.reason.setVisible(bool(note))

    # ---- colours -----------------------------------------------------------------------

    def _apply_icon(self) -> None:
        palette = self.palette()
        colour = palette.color(self.button.foregroundRole())
        self.button.setIcon(lock_icon(colour, self._closed, self.devicePixelRatioF() * 2))
        # A pressed-in button alone reads as "being clicked" in many styles: a locked
        # chat's button also takes a tint of the accent colour.
        if self._closed:
            tinted = QPalette(palette)
            tinted.setColor(QPalette.ColorRole.Button, theme.mix(
                palette.color(QPalette.ColorRole.Button), palette.color(QPalette.ColorRole.Highlight),
                0.35 if theme.is_dark(palette) else 0.22))
            self.button.setPalette(tinted)
        else:
            self.button.setPalette(palette)

    def _apply_colours(self) -> None:
        theme.set_foreground(self.reason, theme.muted_text(self.palette()))
        self._apply_icon()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)
