"""Ask for one provider's API key and put it in the OS keyring.

The key is masked unless the user presses Reveal, and it goes to the keyring through
``ProviderSetup.set_key`` (off the event loop; it publishes the providers change): it is
never written to settings, the database or a log. When the keyring cannot keep it, the
dialog says so and the key still works for this session.
"""

from __future__ import annotations

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

from app.controller.provider_setup import ProviderSaved, ProviderSetup
from app.ui.chat.error_actions import provider_label
from app.ui.error_presenter import error_text
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner


class KeyDialog(QDialog):
    sig_saved = Signal(str)
    """The provider id whose key is now usable."""

    def __init__(self, setup: ProviderSetup, provider_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup = setup
        self._runner = TaskRunner(self)
        self._runner.sig_busy_changed.connect(self._on_busy)
        self.provider_id = provider_id
        label = provider_label(provider_id)
        self.setWindowTitle(f"API key for {label}")
        self.setMinimumWidth(440)  # room for the keyring's warning to wrap into two lines
        self.key = QLineEdit()
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.key.setAccessibleName(f"API key for {label}")
        self.key.setPlaceholderText("Paste the key")
        self.reveal = QToolButton()
        self.reveal.setText("Reveal")
        self.reveal.setCheckable(True)
        self.reveal.setAccessibleName("Reveal the key")
        self.reveal.toggled.connect(self._on_reveal)
        row = QHBoxLayout()
        row.addWidget(self.key, 1)
        row.addWidget(self.reveal)
        self.where = QLabel(setup.keyring_status.words)
        self.where.setWordWrap(True)
        self.problem = InlineMessage("Problem with the key")
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

    def _on_busy(self, _key: str, busy: bool) -> None:
        self.buttons.setEnabled(not busy)

    def _on_reveal(self, shown: bool) -> None:
        self.key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)

    def busy(self) -> bool:
        return self._runner.busy()

    def _save(self) -> None:
        if not self.key.text().strip():
            self._show_problem("Paste a key first.")
            return
        self._runner.run("save", self._setup.set_key(self.provider_id, self.key.text()),
                         on_success=self._on_stored, on_failure=self._on_failed)

    def _on_stored(self, saved: ProviderSaved) -> None:
        if saved.warning and self._setup.keyring_status.secure:
            # The keyring refused it; it is kept for this session: say so, let it be used.
            self._show_problem(saved.warning)
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Use for now")
            self.buttons.accepted.disconnect()
            self.buttons.accepted.connect(self._accept_saved)
            return
        self._accept_saved()

    def _on_failed(self, error: BaseException) -> None:
        text = error_text(error)
        if text is not None:
            self._show_problem(text)

    def _accept_saved(self) -> None:
        self.key.clear()  # the widget must not keep the key around
        self.sig_saved.emit(self.provider_id)
        self.accept()

    def _show_problem(self, text: str) -> None:
        self.problem.set_message(text, "error")
        self.adjustSize()  # a shown dialog does not grow by itself for the new line

    def done(self, result: int) -> None:  # Save, Cancel, Esc or closing: nothing runs on
        self._runner.cancel_all()
        super().done(result)
