"""Settings page: the local API server. A switch, its port, whether API conversations
are kept, a token (created here, kept in the keyring, shown once with Copy) and the base
URL to give other programs (the OpenAI SDK, Continue, Open WebUI).

Each control saves when it changes, as the privacy page does; the switch and the port
start or restart the server at once, on the window's loop.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QGuiApplication, QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller.saved_settings import SavedSettings
from app.core.settings import SettingsError
from app.ui import theme
from app.ui.api_server import ApiServerHost
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner

__all__ = ["ApiPage"]

ABOUT = ("Other programs on this computer can use Switchboard's routers as if it were "
         "OpenAI's or Anthropic's API: give them the base URL above and, as the model, "
         "“switchboard/<router name>” (or one model, such as local:SmolLM2-135M-Instruct). "
         "Each request is routed, kept private and falls back exactly like a chat message, "
         "and its use shows under Usage as “API reply”.")
TOKEN_NONE = ("No token: any program on this computer may connect (never other computers). "
              "With a token, every request must send it as “Authorization: Bearer …”.")
TOKEN_SET = "A token is set: every request must send it. It is kept in the system keyring."


class ApiPage(QWidget):
    sig_changed = Signal()
    """A setting was saved."""

    def __init__(self, settings: SavedSettings, host: ApiServerHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._host = host
        self._tasks = TaskRunner(self)
        self.enabled = QCheckBox("Local API server")
        self.enabled.setAccessibleName("Local API server")
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setAccessibleName("Port")
        self.port.setKeyboardTracking(False)  # saved when typing ends, not per digit
        self.keep = QCheckBox("Keep API conversations in the chat list")
        self.keep.setAccessibleName("Keep API conversations")
        self.keep.setToolTip("Off: a request leaves only its usage (tokens, cost) behind.")
        self.base_url = QLineEdit()
        self.base_url.setReadOnly(True)
        self.base_url.setAccessibleName("Base URL")
        self.copy_url = QPushButton("Copy base URL")
        self.token_status = QLabel()
        self.token_status.setWordWrap(True)
        self.token_status.setAccessibleName("Token")
        self.token = QLineEdit()  # the new token, shown once
        self.token.setReadOnly(True)
        self.token.setAccessibleName("New token")
        self.token.setVisible(False)
        self.copy_token = QPushButton("Copy token")
        self.copy_token.setVisible(False)
        self.create_token = QPushButton("Create token")
        self.remove_token = QPushButton("Remove token")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Server status")
        self.about = QLabel(ABOUT)
        self.about.setWordWrap(True)
        self.problem = InlineMessage("Problem")

        url_row = QHBoxLayout()
        url_row.addWidget(self.base_url, 1)
        url_row.addWidget(self.copy_url)
        token_buttons = QHBoxLayout()
        token_buttons.addWidget(self.create_token)
        token_buttons.addWidget(self.remove_token)
        token_buttons.addStretch(1)
        new_token = QHBoxLayout()
        new_token.addWidget(self.token, 1)
        new_token.addWidget(self.copy_token)
        form = QFormLayout()
        form.addRow("Port", self.port)
        form.addRow("Base URL", url_row)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addWidget(self.keep)
        layout.addSpacing(8)
        layout.addWidget(self.token_status)
        layout.addLayout(new_token)
        layout.addLayout(token_buttons)
        layout.addSpacing(8)
        layout.addWidget(self.about)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self._apply_colours()
        self.reload()
        self.enabled.toggled.connect(self._switch)
        self.port.valueChanged.connect(self._save_port)
        self.keep.toggled.connect(lambda on: self._save(store_conversations=on))
        self.copy_url.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.base_url.text()))
        self.copy_token.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.token.text()))
        self.create_token.clicked.connect(self._create_token)
        self.remove_token.clicked.connect(self._remove_token)
        host.sig_state_changed.connect(self._show_state)

    def reload(self) -> None:
        api = self._settings.current.api
        for box in (self.enabled, self.port, self.keep):
            box.blockSignals(True)  # showing the saved value is not a change
        self.enabled.setChecked(api.enabled)
        self.port.setValue(api.port)
        self.keep.setChecked(api.store_conversations)
        for box in (self.enabled, self.port, self.keep):
            box.blockSignals(False)
        self._show_state()

    def _show_state(self) -> None:
        self.base_url.setText(self._host.base_url)
        self.status.setText(self._host.status())
        self.token_status.setText(TOKEN_SET if self._host.has_token else TOKEN_NONE)
        self.remove_token.setEnabled(self._host.has_token)
        if self._host.problem:
            self.problem.set_message(self._host.problem, "error")

    def _save(self, **api_values: Any) -> bool:
        self.problem.set_message("")
        api = self._settings.current.api
        try:
            self._settings.update(api=replace(api, **api_values))
        except SettingsError as error:
            self.reload()
            self.problem.set_message(f"Not saved: {error}", "error")
            return False
        self.sig_changed.emit()
        return True

    def _switch(self, on: bool) -> None:
        if self._save(enabled=on):
            self._host.switch(on)

    def _save_port(self, port: int) -> None:
        if self._save(port=port):
            self._show_state()
            if self._host.running or self.enabled.isChecked():
                self._host.switch(True)

    def _create_token(self) -> None:
        def shown(token: str) -> None:
            self.token.setText(token)
            self.token.setVisible(True)
            self.copy_token.setVisible(True)

        self._tasks.run("token", self._host.create_token(), on_success=shown,
                        on_failure=lambda error: self.problem.set_message(str(error), "error"))

    def _remove_token(self) -> None:
        self.token.clear()
        self.token.setVisible(False)
        self.copy_token.setVisible(False)
        self._tasks.run("token", self._host.remove_token(),
                        on_failure=lambda error: self.problem.set_message(str(error), "error"))

    def hideEvent(self, event: QHideEvent) -> None:  # Qt's name
        self.token.clear()  # shown once: gone when the page is left
        self.token.setVisible(False)
        self.copy_token.setVisible(False)
        super().hideEvent(event)

    def _apply_colours(self) -> None:
        for label in (self.status, self.token_status):
            theme.set_foreground(label, theme.muted_text(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)
