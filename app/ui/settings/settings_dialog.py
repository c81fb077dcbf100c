"""Settings: providers and keys, how local models run, prices, privacy and the local API
server — one window, a tab each. Every page saves through the controller; the window
hears ``sig_changed``, and the pages follow what changed elsewhere through the window's
``ChangeSignals``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QDialogButtonBox, QStyle, QTabWidget, QVBoxLayout, QWidget

from app.ui.change_signals import ChangeSignals
from app.ui.line_icons import line_icon
from app.ui.tool_window import ToolWindow

if TYPE_CHECKING:
    from app.controller.session import Session
    from app.ui.api_server import ApiServerHost

PAGES = ("providers", "local", "chats", "prices", "privacy", "api")


class SettingsDialog(ToolWindow):
    sig_changed = Signal()
    """A page saved something: routers, the status bar and new chats may need to know."""

    def __init__(self, session: Session, set_offline: Callable[[bool], None],
                 parent: QWidget | None = None, changes: ChangeSignals | None = None,
                 api_server: ApiServerHost | None = None) -> None:
        """``changes``: the window's adapter; on its own (tests) the dialog makes one.
        ``api_server``: the window's local API server (likewise)."""
        from app.ui.api_server import ApiServerHost
        from app.ui.settings.api_page import ApiPage
        from app.ui.settings.chats_page import ChatsPage
        from app.ui.settings.local_models_page import LocalModelsPage
        from app.ui.settings.pricing_page import PricingPage
        from app.ui.settings.privacy_page import PrivacyPage
        from app.ui.settings.providers_page import ProvidersPage

        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.resize(860, 580)
        self.providers = ProvidersPage(session.provider_setup)
        self.local = LocalModelsPage(session.preferences, lambda: session.settings.offline, set_offline)
        self.chats = ChatsPage(session.preferences, lambda: session.settings)
        self.prices = PricingPage(session.preferences)
        self.privacy = PrivacyPage(session.saved_settings)
        self.api_server = api_server or ApiServerHost(session, self)
        self.api = ApiPage(session.saved_settings, self.api_server)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.providers, "Providers and keys")
        self.tabs.addTab(self.local, "Local models")
        self.tabs.addTab(self.chats, "Chats")
        self.tabs.addTab(self.prices, "Prices")
        self.tabs.addTab(self.privacy, "Privacy")
        self.tabs.addTab(self.api, "Local API server")
        for page in (self.providers, self.local, self.chats, self.prices, self.privacy, self.api):
            page.sig_changed.connect(self.sig_changed)
        self.changes = changes or ChangeSignals(session.changes, self)
        self.changes.sig_providers_changed.connect(self.providers.follow_saved)
        self.changes.sig_settings_changed.connect(self.local.follow_saved)
        self.changes.sig_local_models_changed.connect(self.local.follow_saved)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        self.close_button = close.button(QDialogButtonBox.StandardButton.Close)
        self._paint_icons()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)

    def show_page(self, name: str) -> None:
        self.tabs.setCurrentIndex(PAGES.index(name))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "close_button"):
            self._paint_icons()

    def _paint_icons(self) -> None:
        # The style's own close icon is a fixed dark cross, lost on a dark button. (A
        # style that puts no icons on dialog buttons gets none here either.)
        wants_icons = self.style().styleHint(QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons)
        if self.close_button is not None and wants_icons:
            self.close_button.setIcon(line_icon("close", self.palette()))
