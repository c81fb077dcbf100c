"""Settings page: chats. What a chat does when it outgrows the answering model's window
(for chats that do not choose in their own Chat settings), and how long a cloud model
may stay silent before the next target answers instead.

Saved as soon as a value changes, like the privacy switch; a failed save puts the
saved values back and says why.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from app.controller.preferences import Preferences
from app.core.chat_settings import ContextPolicy
from app.core.settings import Settings, SettingsError
from app.ui.chat.chat_settings_dialog import POLICY_WORDS
from app.ui.inline_message import InlineMessage

__all__ = ["ChatsPage"]

ABOUT = ("Nothing is ever deleted from a chat: these choices decide only what is sent to the model "
         "that answers. Each chat can choose for itself in its Chat settings.")
TIMEOUT_TIP = ("A cloud model that has not started to answer in this many seconds is left for the "
               "router's next target. Local models are never cut off this way: reading a long chat "
               "takes them a while, and they show their progress.")


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
        form = QFormLayout()
        form.addRow("Long chats:", self.policy)
        form.addRow("Cloud answer starts within:", self.timeout)
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setAccessibleName("About chats")
        timeout_help = QLabel(TIMEOUT_TIP)
        timeout_help.setWordWrap(True)
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.problem = InlineMessage("Problem")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(about)
        layout.addWidget(timeout_help)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self.reload()
        self.policy.currentIndexChanged.connect(self._save)
        self.timeout.editingFinished.connect(self._save)

    def reload(self) -> None:
        settings = self._current()
        for box in (self.policy, self.timeout):
            box.blockSignals(True)  # showing the saved values is not a change
        self.policy.setCurrentIndex(self.policy.findData(settings.context_policy.value))
        self.timeout.setValue(settings.first_token_timeout_s)
        for box in (self.policy, self.timeout):
            box.blockSignals(False)

    def _save(self) -> None:
        self.problem.set_message("")
        policy = ContextPolicy(self.policy.currentData())
        try:
            self._preferences.save_chat_defaults(policy, float(self.timeout.value()))
        except SettingsError as error:
            self.reload()
            self.status.clear()
            self.problem.set_message(f"Not saved: {error}", "error")
            return
        self.status.setText("Saved.")
        self.sig_changed.emit()
