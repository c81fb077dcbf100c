"""The chat header's context meter: "3.1k of 4k tokens" and a thin bar, for the model
that would answer the next message, with what the policy leaves out in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from app.controller.context_use import ContextUse
from app.core.chat_settings import ContextPolicy
from app.ui import theme

POLICY_NAMES = {ContextPolicy.ROLLING: "Rolling", ContextPolicy.SUMMARIZE: "Summarize",
                ContextPolicy.STOP: "Stop"}


def meter_tooltip(use: ContextUse) -> str:
    """What the meter means, in sentences."""
    if use.target is None:
        return "No model can answer this chat now, so its context cannot be measured."
    lines = [f"The next message would send about {use.used:,} of the {use.window:,} tokens "
             f"{use.target} can hold."]
    if use.left_out:
        older = f"{use.left_out} older message{'s' if use.left_out != 1 else ''}"
        if use.summarized:
            lines.append(f"{older} are sent as a summary written on this computer.")
        else:
            lines.append(f"{older} {'is' if use.left_out == 1 else 'are'} not sent (still in the chat).")
    lines.append(f"Long chats: {POLICY_NAMES[use.policy]}. Change it in Chat settings.")
    return "\n".join(lines)


def meter_text(use: ContextUse) -> str:
    """ "3.1k of 4k tokens · 28 not sent" """
    if not use.left_out:
        return use.label()
    return f"{use.label()} · {use.left_out} {'summarized' if use.summarized else 'not sent'}"


class ContextMeter(QWidget):
    sig_clicked = Signal()
    """The person wants Chat settings (where the policy is chosen)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Context used")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(64, 6)
        self.bar.setAccessibleName("Context used")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.label)
        theme.set_foreground(self.label, theme.muted_text(self.palette()))
        self.hide()

    def show_use(self, use: ContextUse | None) -> None:
        if use is None or use.target is None or not use.window:
            self.hide()
            return
        self.label.setText(meter_text(use))
        self.bar.setValue(round(use.fraction * 1000))
        tip = meter_tooltip(use)
        self.setToolTip(tip)
        self.setAccessibleDescription(tip)
        self.show()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit()
        super().mouseReleaseEvent(event)
