"""Settings page: chats. What a chat does when it outgrows the answering model's window
(for chats that do not choose in their own Chat settings), how long a cloud model may
stay silent before the next target answers instead, and how long a reply may grow.

Saved as soon as a value changes, like the privacy switch; a failed save puts the
saved values back and says why.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller.preferences import Preferences
from app.core.chat_settings import MAX_REPLY_TOKENS, ContextPolicy
from app.core.settings import Settings, SettingsError
from app.ui.chat.chat_settings_dialog import POLICY_WORDS
from app.ui.inline_message import InlineMessage

__all__ = ["ChatsPage"]

ABOUT = ("Nothing is ever deleted from a chat: these choices decide only what is sent to the model "
         "that answers. Each chat can choose for itself in its Chat settings.")
TIMEOUT_TIP = ("A cloud model that has not started to answer in this many seconds is left for the "
               "router's next target. Local models are never cut off this way: reading a long chat "
               "takes them a while, and they show their progress.")
REPLY_LIMIT_TIP = ("A reply that reaches this many tokens is cut off, and says so, so that no model "
                   "can write for ever. A chat's own Chat settings can set another length.")


class ChatsPage(QWidget):
    sig_changed = Signal()
    """A setting was saved."""

    def __init__(self, preferences: Preferences, current: Callable[[], Settings], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._preferences = preferences
        self._current = current  # the session's saved settings, now
        self.policy = QComboBox()
        self.policy.setAccessibleName("When a chat outgrows the model's context")
        for policy, words in POLICY_WORDS.items():
            self.policy.addItem(words, policy.value)
        self.timeout = QDoubleSpinBox()
        self.timeout.setAccessibleName("Seconds a cloud model may take to start answering")
        self.timeout.setToolTip(TIMEOUT_TIP)
        self.timeout.setRange(1, 600)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(" s")
        self.timeout.setMaximumWidth(self.timeout.fontMetrics().horizontalAdvance("600 s") + 60)
        self.reply_limit = QSpinBox()
        self.reply_limit.setAccessibleName("Longest reply in tokens")
        self.reply_limit.setToolTip(REPLY_LIMIT_TIP)
        self.reply_limit.setRange(1, MAX_REPLY_TOKENS)
        self.reply_limit.setSingleStep(256)
        self.reply_limit.setGroupSeparatorShown(True)
        self.reply_limit.setSuffix(" tokens")
        form = QFormLayout()
        form.addRow("Long chats:", self.policy)
        form.addRow("Cloud answer starts within:", self.timeout)
        form.addRow("Longest reply:", self.reply_limit)
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setAccessibleName("About chats")
        timeout_help = QLabel(TIMEOUT_TIP)
        timeout_help.setWordWrap(True)
        limit_help = QLabel(REPLY_LIMIT_TIP)
        limit_help.setWordWrap(True)
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.problem = InlineMessage("Problem")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(about)
        layout.addWidget(timeout_help)
        layout.addWidget(limit_help)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self.reload()
        self.policy.currentIndexChanged.connect(self._save)
        self.timeout.editingFinished.connect(self._save)
        self.reply_limit.editingFinished.connect(self._save)

    def reload(self) -> None:
        settings = self._current()
        boxes = (self.policy, self.timeout, self.reply_limit)
        for box in boxes:
            box.blockSignals(True)  # showing the saved values is not a change
        self.policy.setCurrentIndex(self.policy.findData(settings.context_policy.value))
        self.timeout.setValue(settings.first_token_timeout_s)
        self.reply_limit.setValue(settings.reply_limit_tokens)
        for box in boxes:
            box.blockSignals(False)

    def _save(self) -> None:
        self.problem.set_message("")
        policy = ContextPolicy(self.policy.currentData())
        try:
            self._preferences.save_chat_defaults(policy, float(self.timeout.value()),
                                                 self.reply_limit.value())
        except SettingsError as error:
            self.reload()
            self.status.clear()
            self.problem.set_message(f"Not saved: {error}", "error")
            return
        self.status.setText("Saved.")
        self.sig_changed.emit()
