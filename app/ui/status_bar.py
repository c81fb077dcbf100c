"""The window's bottom line: the local model and whether it is loaded, the last reply's
speed, and offline mode (a switch: offline, nothing leaves this computer)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton, QWidget


class StatusBar(QStatusBar):
    sig_offline_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QLabel("Starting…")
        self.model.setAccessibleName("Local model status")
        self.speed = QLabel("")
        self.speed.setAccessibleName("Speed of the last reply")
        self.offline = QToolButton()
        self.offline.setText("Online")
        self.offline.setCheckable(True)
        self.offline.setAutoRaise(True)
        self.offline.setAccessibleName("Offline mode")
        self.offline.setToolTip("Offline mode: every message stays on this computer")
        self.offline.toggled.connect(self._on_offline)
        self.addPermanentWidget(self.model)
        self.addPermanentWidget(self.speed)
        self.addPermanentWidget(self.offline)

    def set_model(self, name: str | None, state: str) -> None:
        """``state``: "loading", "ready", "missing" (chosen but not installed), or a failure
        in plain words. The window calls it again whenever the session publishes a
        local_models change (a model installed, removed or chosen for chat)."""
        if name is None:
            self.model.setText("No local model installed")
            return
        words = {"loading": "loading…", "ready": "ready",
                 "missing": "not installed (see Models)"}.get(state, state)
        self.model.setText(f"Local model: {name} — {words}")
        self.model.setAccessibleDescription(self.model.text())

    def show_reply(self, tokens_out: int, latency_ms: float, ttft_ms: float | None) -> None:
        # Imported here: the router package is heavy, and the status bar is built before
        # the window shows.
        from app.controller.route_words import tokens_per_second

        speed = tokens_per_second(tokens_out, latency_ms, ttft_ms)
        self.speed.setText(f"Last reply: {speed:.1f} tok/s" if speed is not None else "")

    def set_offline(self, offline: bool) -> None:
        self.offline.blockSignals(True)
        self.offline.setChecked(offline)
        self.offline.blockSignals(False)
        self._show_offline(offline)

    def _on_offline(self, offline: bool) -> None:
        self._show_offline(offline)
        self.sig_offline_toggled.emit(offline)

    def _show_offline(self, offline: bool) -> None:
        self.offline.setText("● Offline" if offline else "Online")
