"""Ask for one provider's API key and put it in the OS keyring.

The key is masked unless the user presses Reveal, and it goes straight to the keyring
(off the event loop): it is never written to settings, the database or a log. When the
keyring cannot keep it, the dialog says so and the key still works for this session.
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.secrets import SecretsError, SecretStore
from app.ui.chat.error_actions import provider_label


class KeyDialog(QDialog):
    sig_saved = Signal(str)
    """The provider id whose key is now usable."""

    def __init__(self, secrets: SecretStore, provider_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._secrets = secrets
        self.provider_id = provider_id
        label = provider_label(provider_id)
        self.setWindowTitle(f"API key for {label}")
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName(f"API key for {label}")
        self.key.setPlaceholderText("Paste the key")
        self.reveal = QToolButton(text="Reveal", checkable=True)
        self.reveal.setAccessibleName("Reveal the key")
        self.reveal.toggled.connect(self._on_reveal)
        row = QHBoxLayout()
        row.addWidget(self.key, 1)
        row.addWidget(self.reveal)
        where = (f"Kept in the system keyring ({secrets.backend_name})." if secrets.secure
                 else secrets.warning or "No secure keyring: the key is kept for this session only.")
        self.where = QLabel(where)
        self.where.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{label} needs an API key to answer."))
        layout.addLayout(row)
        layout.addWidget(self.where)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._task: asyncio.Task[None] | None = None

    def _on_reveal(self, shown: bool) -> None:
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def _save(self) -> None:
        if not self.key.text().strip():
            self._show_problem("Paste a key first.")
            return
        self.buttons.setEnabled(False)
        self._task = asyncio.ensure_future(self._store_key(self.key.text()))

    async def _store_key(self, key: str) -> None:
        try:
            await self._secrets.set(self.provider_id, key)
        except SecretsError as error:  # kept for this session: say so, and let it be used
            self._show_problem(str(error))
            self.buttons.setEnabled(True)
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Use for now")
            self.buttons.accepted.disconnect()
            self.buttons.accepted.connect(self._accept_saved)
            return
        self._accept_saved()

    def _accept_saved(self) -> None:
        self.key.clear()  # the widget must not keep the key around
        self.sig_saved.emit(self.provider_id)
        self.accept()

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
