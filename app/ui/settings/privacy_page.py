"""Settings page: privacy. Whether new chats start locked to this computer.

One switch, saved the moment it is flipped through the session's one settings owner
(``SavedSettings.update``): there is nothing to combine it with, and a Save button for
one checkbox is a step a user forgets. A failed save puts the box back and says why.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

from app.controller.saved_settings import SavedSettings
from app.core.settings import SettingsError
from app.ui import theme
from app.ui.inline_message import InlineMessage

__all__ = ["PrivacyPage"]

LOCK_TIP = ("Every new chat starts with “Local only” on: only models on this computer answer "
            "it, whatever its router's rules say. Each chat's header can still turn it off.")
ABOUT = ("A chat holding private data (an email address, a card or phone number, an IBAN, a "
         "key or password, or a message a rule marks private) is handled as its router "
         "says: by default it stays on this computer. Router editor → Router settings → "
         "Private data changes that per router.\n\n"
         "View → Sent off this computer (Ctrl+Shift+O) lists every request that went to a "
         "cloud model: when, where, how much, and what was kept back.")


class PrivacyPage(QWidget):
    sig_changed = Signal()
    """The setting was saved."""

    def __init__(self, settings: SavedSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.lock_new_chats = QCheckBox("Lock new chats to this computer")
        self.lock_new_chats.setAccessibleName("Lock new chats to this computer")
        self.lock_new_chats.setToolTip(LOCK_TIP)
        self.lock_new_chats.setAccessibleDescription(LOCK_TIP)
        self.lock_help = QLabel(LOCK_TIP)
        self.lock_help.setWordWrap(True)
        self.about = QLabel(ABOUT)
        self.about.setWordWrap(True)
        self.about.setAccessibleName("About privacy")
        self.status = QLabel()
        self.status.setAccessibleName("Save status")
        self.problem = InlineMessage("Problem")
        layout = QVBoxLayout(self)
        layout.addWidget(self.lock_new_chats)
        layout.addWidget(self.lock_help)
        layout.addSpacing(12)
        layout.addWidget(self.about)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.status)
        self._apply_colours()
        self.reload()
        self.lock_new_chats.toggled.connect(self._save)

    def reload(self) -> None:
        self.lock_new_chats.blockSignals(True)  # showing the saved value is not a change
        self.lock_new_chats.setChecked(self._settings.current.lock_new_chats)
        self.lock_new_chats.blockSignals(False)

    def _save(self, on: bool) -> None:
        self.problem.set_message("")
        try:
            self._settings.update(lock_new_chats=on)
        except SettingsError as error:
            self.reload()
            self.status.clear()
            self.problem.set_message(f"Not saved: {error}", "error")
            return
        self.status.setText("Saved: new chats start locked." if on
                            else "Saved: new chats follow their router.")
        self.sig_changed.emit()

    def _apply_colours(self) -> None:
        for label in (self.lock_help, self.status):
            theme.set_foreground(label, theme.muted_text(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)
