"""The main window: the chat list beside the chat, menus, shortcuts and the status bar.

It shows before anything heavy happens. ``start()`` then opens the session (settings,
database, keyring) off the event loop and ``attach()`` builds the parts that need it; the
local model loads in the background while the user types.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QByteArray, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.router.targets import LOCAL_PROVIDER
from app.ui.change_signals import ChangeSignals
from app.ui.error_presenter import error_text
from app.ui.garbage_collector import MainThreadGarbageCollector
from app.ui.router_offer_notice import RouterOfferNotice
from app.ui.status_bar import StatusBar
from app.ui.task_runner import TaskRunner
from app.ui.window_undo import WindowUndo

if TYPE_CHECKING:
    from app.controller.fixes import Fix
    from app.controller.session import DatabaseDamaged, Session
    from app.ui.chat.chat_pane import ChatPane
    from app.ui.damaged_database import DamagedDatabasePanel
    from app.ui.sidebar.conversation_list import ConversationList

log = logging.getLogger(__name__)
SIDEBAR_WIDTH = 270


def _warm_tokenizer() -> None:
    """Load the token counter's vocabulary (~0.3 s) before the first message needs it,
    on a thread: on the event loop it would freeze the window."""
    from app.core.tokens import default_counter

    default_counter()


class MainWindow(QMainWindow):
    sig_ready = Signal()
    """The session is open and the chat can be used."""
    sig_closed = Signal()
    """The window closed and the session is shut down."""

    def __init__(self) -> None:
        super().__init__()
        self.session: Session | None = None
        self.chat: ChatPane | None = None
        self.sidebar: ConversationList | None = None
        self.tasks = TaskRunner(self)  # the window's background work, by key ("load_model")
        self.changes: ChangeSignals | None = None  # built with the session, in attach
        self._closing: asyncio.Future[None] | None = None
        self.settings_dialog: Any = None  # built on first use
        self.api_server: Any = None  # the local API server's holder, once a session is attached
        self.usage_dialog: QDialog | None = None
        self.usage_view: Any = None
        self.models_window: Any = None
        self.router_editor: Any = None
        self.damaged_panel: DamagedDatabasePanel | None = None  # the start's choice, when shown
        self._window_undo: WindowUndo | None = None  # Ctrl+Z for a deletion, once attached
        self._undoable: list[str] = []  # "chat", "message": what Undo brings back, newest last
        self._start_state: QWidget | None = None  # what the start shows until attach()
        self.setWindowTitle("Switchboard")
        self.setAccessibleName("Switchboard")
        self.resize(1180, 780)
        self.setMinimumSize(640, 420)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        starting = QLabel("Starting Switchboard…")
        starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.splitter.addWidget(starting)
        self.router_offer_notice = RouterOfferNotice()
        self.router_offer_notice.sig_accepted.connect(self._accept_router_offer)
        self.router_offer_notice.sig_declined.connect(self._decline_router_offer)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.router_offer_notice)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self._build_menus()
        self._set_session_actions_enabled(False)

    # ---- start-up ------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the session (off the event loop where it blocks) and attach it."""
        try:
            # Importing the controller pulls in llama.cpp, httpx and the router (about a
            # second here): done on a thread so the window paints and answers meanwhile.
            module = await asyncio.to_thread(importlib.import_module, "app.controller.session")
            session = await module.Session.open()
        except Exception as error:  # a start that fails must say why, not vanish
            # Looked up, not imported: the import itself may be what failed.
            controller = sys.modules.get("app.controller.session")
            if controller is not None and isinstance(error, controller.DatabaseDamaged):
                self._offer_new_database(error)  # not a bug: the user chooses what to do
                return
            log.exception("start-up failed")
            self._show_start_failure(error)
            return
        self.attach(session)

    def attach(self, session: Session) -> None:
        from app.ui.chat.chat_pane import ChatPane
        from app.ui.sidebar.conversation_list import ConversationList

        self.session = session
        self.sidebar = ConversationList(session.conversations)
        self.sidebar.sig_selected.connect(self._open_conversation)
        self.sidebar.sig_new_requested.connect(self.new_chat)
        self.sidebar.sig_deleted.connect(self._on_deleted)
        self.sidebar.sig_undo_available_changed.connect(lambda on: self._undo_available("chat", on))
        self.chat = ChatPane(session)
        self.chat.sig_undo_available_changed.connect(lambda on: self._undo_available("message", on))
        self._window_undo = WindowUndo(self, lambda: bool(self._undoable), self.undo_delete)
        self.chat.sig_conversations_changed.connect(self._on_conversation_changed)
        self.chat.sig_reply_finished.connect(self._on_reply_finished)
        self.chat.sig_busy_changed.connect(self._on_busy)
        self.chat.sig_action_requested.connect(self.run_action)
        placeholder = self.splitter.widget(0)
        assert placeholder is not None  # the start-up label, until now
        placeholder.setParent(None)  # out of the splitter now, or it keeps a share of the sizes
        placeholder.deleteLater()
        self._start_state = None
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.chat)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.sidebar.setMinimumWidth(180)
        self.splitter.setSizes([SIDEBAR_WIDTH, max(400, self.width() - SIDEBAR_WIDTH)])
        self.status.set_offline(session.settings.offline)
        self.status.sig_offline_toggled.connect(self.set_offline)
        # The one adapter from the session's Changes to signals; tool windows get it too.
        self.changes = ChangeSignals(session.changes, self)
        self.changes.sig_local_models_changed.connect(self._preload_local_model)
        self.changes.sig_settings_changed.connect(self._follow_offline)
        self.changes.sig_conversations_changed.connect(self._follow_title)
        self.changes.sig_settings_changed.connect(self._show_router_offer)
        self.offline_action.blockSignals(True)  # showing the saved state is not a change
        self.offline_action.setChecked(session.settings.offline)
        self.offline_action.blockSignals(False)
        MainThreadGarbageCollector.freeze_start_up("session")  # before any chat: its widgets come and go
        self._restore_state()
        if session.settings.problem:  # settings.json was unreadable or partly reset: say so once
            self.chat.show_problem(session.settings.problem, "warning")
        self._set_session_actions_enabled(True)
        self._preload_local_model()
        self.tasks.run("tokenizer", asyncio.to_thread(_warm_tokenizer),
                       on_success=lambda _: MainThreadGarbageCollector.freeze_start_up("tokenizer"))
        self._prepare_router(session.default_router_name())
        self._show_router_offer()
        self._start_api_server()
        self.sig_ready.emit()

    def _show_start_failure(self, error: Exception) -> None:
        message = QLabel(f"Switchboard could not start: {error}\n\n"
                         "Your chats and settings were not changed.")
        message.setWordWrap(True)
        message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._show_in_place_of_chat(message)
        self.status.showMessage("Start-up failed")

    def _show_in_place_of_chat(self, widget: QWidget) -> None:
        """Until a session is attached, the splitter holds one widget: the start's state."""
        old = self.splitter.widget(0)
        self.splitter.replaceWidget(0, widget)
        # Held here too: PySide's replaceWidget does not hand the widget to the splitter,
        # so it would be deleted with its last Python reference (and vanish from the window).
        self._start_state = widget
        if old is not None:
            old.deleteLater()

    def _offer_new_database(self, error: DatabaseDamaged) -> None:
        from app.ui.damaged_database import DamagedDatabasePanel

        log.warning("start-up: %s", error)
        self.damaged_panel = DamagedDatabasePanel(error.path, error.why)
        self.damaged_panel.sig_set_aside_requested.connect(self._set_aside_database)
        self.damaged_panel.sig_quit_requested.connect(self.close)
        self._show_in_place_of_chat(self.damaged_panel)
        self.status.showMessage("The chat database is damaged")
        self.status.model.setText("")  # no "Starting…": nothing starts until the user chooses

    def _set_aside_database(self) -> None:
        """Rename the damaged file (never delete it) and start again with a new one."""
        from app.controller.session import Session

        try:
            kept = Session.set_aside_database()
        except OSError as error:
            words = error_text(error, "The database could not be moved aside:")
            if self.damaged_panel is not None and words:
                self.damaged_panel.show_problem(words)
            return
        log.warning("start-up: the damaged chat database was moved to %s", kept)
        self.damaged_panel = None
        self.status.clearMessage()
        starting = QLabel("Starting Switchboard with a new chat database…")
        starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._show_in_place_of_chat(starting)
        self.tasks.run("start", self._start_again(kept))

    async def _start_again(self, kept: Path) -> None:
        await self.start()
        if self.chat is not None:  # said where the user looks first, until they send
            self.chat.show_problem(f"Started with a new, empty chat database. The damaged one "
                                   f"is kept as {kept}.", kind="info")

    def _start_api_server(self) -> None:
        """The local API server lives with the window (Settings → Local API server); its
        modules (~0.1 s) are imported only when it is on, or when Settings is opened."""
        assert self.session is not None
        if self.session.settings.api.enabled:
            from app.ui.api_server import ApiServerHost

            self.api_server = ApiServerHost(self.session, self)
            self.api_server.start_if_enabled()

    def _preload_local_model(self) -> None:
        """Load the chat's local model now, so the first local reply starts quickly; again
        when a model is installed, removed or chosen for chat (a local_models change). A
        newer load supersedes an older one; the status bar says how it went."""
        assert self.session is not None
        installed = self.session.installed
        name = installed.chat_model
        if not installed.names():
            self.tasks.cancel("load_model")
            self.status.set_model(None, "")
            return
        if name not in installed:
            self.tasks.cancel("load_model")
            self.status.set_model(name, "missing")
            return
        self.status.set_model(name, "loading")
        self.tasks.run("load_model", installed.load_chat_model(),
                       on_success=lambda _: self._model_ready(name),
                       on_failure=lambda error: self.status.set_model(
                           name, f"could not load: {error_text(error) or 'stopped'}"))

    def _model_ready(self, name: str) -> None:
        assert self.session is not None
        self.status.set_model(name, "ready")
        # What loading made (its vocabulary, its template) lives as long as the model.
        MainThreadGarbageCollector.freeze_start_up("model")
        # The first routing decision reads the model file's trained context, and with it
        # its header's whole vocabulary (~20 ms): on a thread now, not on the loop then.
        self.tasks.run("model_facts", asyncio.to_thread(self.session.facts.window, f"{LOCAL_PROVIDER}:{name}"),
                       on_failure=lambda error: log.info("could not read %s's facts: %s", name, error))

    def _follow_offline(self) -> None:
        """Settings were saved (here, in Settings, by a fix): show offline mode as it is."""
        assert self.session is not None
        offline = self.session.settings.offline
        self.status.set_offline(offline)
        self.offline_action.blockSignals(True)
        self.offline_action.setChecked(offline)
        self.offline_action.blockSignals(False)

    def _prepare_router(self, name: str) -> None:
        """Embed a router's example messages in the background (see ChatController.prepare)."""
        assert self.session is not None
        router = self.session.router_or_none(name)
        if router is not None:  # a broken one: the chat pane says what is wrong when it is used
            self.tasks.run(f"prepare:{name}", self.session.chat.prepare(router))

    # ---- remembered state ----------------------------------------------------------------

    def _restore_state(self) -> None:
        assert self.session is not None and self.sidebar is not None and self.chat is not None
        geometry = self.session.recall("window.geometry")
        if isinstance(geometry, str):
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        sizes = self.session.recall("window.splitter")
        if isinstance(sizes, list) and len(sizes) == 2:
            self.splitter.setSizes([int(s) for s in sizes])
        last = self.session.recall("last_conversation")
        chosen = last if isinstance(last, int) and self.session.conversations.get(last) else None
        self.sidebar.refresh(select=chosen)
        self.chat.open_conversation(chosen)

    def _save_state(self) -> None:
        if self.session is None or self.chat is None:
            return
        self.session.remember("window.geometry", bytes(self.saveGeometry().toBase64().data()).decode("ascii"))
        self.session.remember("window.splitter", self.splitter.sizes())
        self.session.remember("last_conversation", self.chat.conversation_id)

    # ---- menus -----------------------------------------------------------------------------

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.new_action = self._action(file, "&New chat", self.new_chat, QKeySequence.StandardKey.New)
        self.rename_action = self._action(file, "&Rename chat", self.rename_chat, "F2")
        self.delete_action = self._action(file, "&Delete chat", self.delete_chat,
                                          QKeySequence("Ctrl+Shift+Backspace"))
        file.addSeparator()
        self.export_action = self._action(file, "&Export chat…", self.export_chat,
                                          "Ctrl+Shift+E")
        file.addSeparator()
        self.settings_action = self._action(file, "&Settings…", self.open_settings)
        self.settings_action.setShortcuts(settings_keys())
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        # Enabled only while a deleted chat can come back, so Ctrl+Z is the text fields'
        # otherwise (WindowUndo hands it over when the focused field has nothing to undo).
        self.undo_delete_action = self._action(edit, "&Undo delete chat", self.undo_delete,
                                               QKeySequence.StandardKey.Undo)
        self.undo_delete_action.setEnabled(False)
        self.copy_reply_action = self._action(edit, "&Copy last reply", self.copy_last_reply,
                                              COPY_REPLY_KEY)
        edit.addSeparator()
        self.stop_action = self._action(edit, "&Stop reply", self.stop_reply, "Esc")
        self.stop_action.setEnabled(False)  # enabled while a reply streams: Esc is the composer's otherwise
        self.regenerate_action = self._action(edit, "&Regenerate reply", self.regenerate, "Ctrl+R")
        self.edit_last_action = self._action(edit, "&Edit last message", self.edit_last, "Ctrl+Up")
        edit.addSeparator()
        self.search_action = self._action(edit, "&Search chats", self.search_chats, QKeySequence.StandardKey.Find)

        view = bar.addMenu("&View")
        self.router_action = self._action(view, "Choose &router…", self.choose_router, "Ctrl+K")
        self.sidebar_action = self._action(view, "Show &chat list", self._show_sidebar, "Ctrl+B", True)
        self.sidebar_action.setChecked(True)
        self.offline_action = self._action(view, "&Offline mode", self.set_offline, None, True)
        view.addSeparator()
        self.router_editor_action = self._action(view, "Router &editor…", self.open_router_editor,
                                                 "Ctrl+Shift+R")
        self.models_action = self._action(view, "&Models…", self.open_models, "Ctrl+Shift+M")
        self.usage_action = self._action(view, "&Usage and savings…", self.open_usage, "Ctrl+Shift+U")
        self.sent_off_action = self._action(view, "Sen&t off this computer…", self.open_sent_off,
                                            "Ctrl+Shift+O")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Open &data folder", self.open_data_folder)
        self._action(help_menu, "&About Switchboard", self.about)

    def _set_session_actions_enabled(self, enabled: bool) -> None:
        for action in (self.new_action, self.rename_action, self.delete_action, self.export_action,
                       self.regenerate_action, self.edit_last_action, self.search_action,
                       self.router_action, self.offline_action, self.settings_action, self.usage_action,
                       self.models_action, self.copy_reply_action):
            action.setEnabled(enabled)

    # ---- actions ---------------------------------------------------------------------------

    def new_chat(self) -> None:
        if self.chat is not None and self.sidebar is not None:
            self.chat.new_chat()
            self.sidebar.refresh(select=None)

    def rename_chat(self) -> None:
        if self.sidebar is not None and self.chat is not None and self.chat.conversation_id is not None:
            self.sidebar.start_rename(self.chat.conversation_id)

    def delete_chat(self) -> None:
        if self.sidebar is not None and self.chat is not None and self.chat.conversation_id is not None:
            cid = self.chat.conversation_id
            self.sidebar.delete(cid)  # opens the chat below it, if there is one
            if self.chat.conversation_id == cid:
                self.chat.new_chat()

    def _undo_available(self, what: str, available: bool) -> None:
        """A deleted chat or message can come back (or no longer): Undo brings back the
        one deleted last."""
        self._undoable = [w for w in self._undoable if w != what] + ([what] if available else [])
        self.undo_delete_action.setEnabled(bool(self._undoable))
        newest = self._undoable[-1] if self._undoable else "chat"
        self.undo_delete_action.setText(f"&Undo delete {newest}")

    def undo_delete(self) -> None:
        if not self._undoable:
            return
        if self._undoable[-1] == "message" and self.chat is not None:
            self.chat.undo_delete()
        elif self.sidebar is not None:
            self.sidebar.undo_delete()

    def copy_last_reply(self) -> None:
        """The open chat's newest reply with text, as stored (Markdown), to the clipboard."""
        if self.session is None or self.chat is None:
            return
        cid = self.chat.conversation_id
        rows = self.session.conversations.messages(cid) if cid is not None else []
        reply = next((r for r in reversed(rows) if r.role == "assistant" and r.content.strip()), None)
        if reply is None:
            self.status.showMessage("There is no reply to copy yet.", 4000)
            return
        QGuiApplication.clipboard().setText(reply.content)
        self.status.showMessage("Copied the last reply.", 4000)

    def focus_composer(self, *_: object) -> None:
        """Back to the message box after a picker, dialog or tool window closes, so what
        the user types next is a message (connected to each one's ``finished``)."""
        if self.chat is not None and shiboken6.isValid(self.chat):
            self.chat.composer.focus_input()

    def stop_reply(self) -> None:
        if self.chat is not None:
            self.chat.stop()

    def regenerate(self) -> None:
        if self.chat is not None:
            self.chat.regenerate()

    def edit_last(self) -> None:
        if self.chat is not None:
            self.chat.edit_last()

    def search_chats(self) -> None:
        if self.sidebar is not None:
            self.sidebar_action.setChecked(True)
            self.sidebar.focus_search()

    def choose_router(self) -> None:
        if self.chat is not None:
            self.chat.focus_router_picker()

    def _show_sidebar(self, shown: bool) -> None:
        if self.sidebar is not None:
            self.sidebar.setVisible(shown)

    def set_offline(self, offline: bool) -> None:
        if self.session is None:
            return
        words = ("Offline: every message stays on this computer." if offline
                 else "Online: rules may send messages to cloud models.")
        try:
            self.session.set_offline(offline)  # holds for this session even if unsaved
        except Exception as error:  # noqa: BLE001 - worded by the one presenter, keep going
            words = f"{words} {error_text(error, 'Not saved for the next start:') or ''}"
        self._follow_offline()
        self.status.showMessage(words, 8000)

    def export_chat(self) -> None:
        if self.session is None or self.chat is None or self.chat.conversation_id is None:
            return
        row = self.session.conversations.get(self.chat.conversation_id)
        if row is None:
            return
        from app.controller.export import suggested_file_name

        path, _ = QFileDialog.getSaveFileName(self, "Export chat", suggested_file_name(row, "md"),
                                              "Markdown (*.md);;JSON (*.json)")
        if path:
            self.write_export(Path(path), row.id)

    def write_export(self, path: Path, cid: int) -> None:
        """The chat as ``python -m app export`` writes it: JSON for a .json file, else
        Markdown, with each reply's route in its badge's words."""
        assert self.session is not None
        from app.controller.export import ExportError, Format, export_conversation, write_export
        from app.controller.route_words import Route, badge_text

        fmt: Format = "json" if path.suffix.lower() == ".json" else "md"
        try:
            write_export(path, export_conversation(
                self.session.conversations, cid, fmt,
                lambda m: badge_text(Route.of_message(m))))
        except (ExportError, OSError) as error:
            words = error.strerror if isinstance(error, OSError) else None
            self.status.showMessage(f"Could not export the chat: {words or error}", 8000)
            return
        self.status.showMessage(f"Exported to {path}", 5000)

    def open_settings(self, page: str = "providers") -> None:
        if self.session is None:
            return
        if self.settings_dialog is None:
            from app.ui.settings.settings_dialog import SettingsDialog

            self.settings_dialog = SettingsDialog(self.session, self.set_offline, self, self.changes,
                                                  api_server=self.api_server)
            self.api_server = self.settings_dialog.api_server  # made there if it was off
            self.settings_dialog.sig_changed.connect(self._on_settings_changed)
            self.settings_dialog.finished.connect(self.focus_composer)
        self.settings_dialog.show_page(page if isinstance(page, str) else "providers")
        self.settings_dialog.show()
        self.settings_dialog.raise_()

    def _on_settings_changed(self) -> None:
        if self.chat is not None:
            self.chat.reload_routers()
        if self.session is not None:
            self.status.set_offline(self.session.settings.offline)

    def open_models(self) -> None:
        if self.session is None:
            return
        if self.models_window is None:
            from app.ui.models.model_manager_window import ModelManagerWindow

            self.models_window = ModelManagerWindow(self.session, self, self.changes)
            self.models_window.finished.connect(self.focus_composer)
        self.models_window.show()
        self.models_window.raise_()

    def open_usage(self) -> None:
        if self.session is None:
            return
        if self.usage_dialog is None:
            from app.ui.usage.usage_view import UsageView

            self.usage_dialog = QDialog(self)
            self.usage_dialog.setWindowTitle("Usage and savings")
            self.usage_dialog.resize(900, 640)
            self.usage_view = UsageView(self.session.usage)
            layout = QVBoxLayout(self.usage_dialog)
            layout.addWidget(self.usage_view)
            self.usage_dialog.finished.connect(self.focus_composer)
        self.usage_view.refresh()
        self.usage_dialog.show()
        self.usage_dialog.raise_()

    def open_sent_off(self) -> None:
        if self.chat is not None:
            self.chat.open_sent_off()

    def open_data_folder(self) -> None:
        from app.core.paths import data_dir

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir())))

    def about(self) -> None:
        QMessageBox.about(self, "About Switchboard", about_text(self.session))

    def run_action(self, action: Fix | str) -> None:
        """A fix offered beside an error (a ``Fix``), or a link of the empty state."""
        from app.controller.fixes import Fix

        if isinstance(action, Fix):
            self.run_fix(action)
        elif action == "open_models":
            self.open_models()
        elif action == "open_router_editor":
            self.open_router_editor()

    def run_fix(self, fix: Fix) -> None:
        from app.controller.fixes import FixKind

        if fix.kind is FixKind.GO_ONLINE:
            self.set_offline(False)
        elif fix.kind is FixKind.LOCAL_MODELS:
            self.open_models()
        elif fix.kind is FixKind.SET_UP_PROVIDER:
            self.open_settings()
        elif fix.kind is FixKind.ADD_KEY and fix.provider and self.session is not None:
            from app.ui.key_dialog import KeyDialog

            dialog = KeyDialog(self.session.provider_setup, fix.provider, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self.focus_composer)
            dialog.sig_saved.connect(lambda provider: self.status.showMessage(
                "Key saved. Press Retry to send the message again.", 8000))
            dialog.open()

    def open_router_editor(self) -> None:
        if self.session is None:
            return
        if self.router_editor is None:
            from app.ui.router_editor.router_editor_window import RouterEditorWindow

            self.router_editor = RouterEditorWindow(self.session, self)
            self.router_editor.sig_routers_changed.connect(self._on_routers_changed)
            self.router_editor.sig_saved.connect(self._prepare_router)
            self.router_editor.sig_use.connect(self._use_router)
            self.router_editor.finished.connect(self.focus_composer)
        self.router_editor.show()
        self.router_editor.raise_()

    def _on_routers_changed(self) -> None:
        if self.chat is not None:
            self.chat.reload_routers()

    def _use_router(self, name: str) -> None:
        if self.chat is not None:
            self.chat.use_router(name)
            self.status.showMessage(f"This chat now uses “{name}”.", 6000)

    # ---- reactions -------------------------------------------------------------------------

    def _open_conversation(self, cid: int) -> None:
        if self.chat is not None and cid != self.chat.conversation_id:
            self.chat.open_conversation(cid)

    def _on_conversation_changed(self, cid: int) -> None:
        if self.sidebar is not None:
            self.sidebar.refresh(select=cid)

    def _show_router_offer(self) -> None:
        """The notice offering a cloud-aware router for new chats, while it is unanswered."""
        if self.session is None:
            return
        from app.controller.default_router import offer_words

        if self.chat is not None:  # a provider may have come or gone: the first run's words follow
            self.chat.empty_state.show_router(self.chat.router_name(), bool(self.session.settings.providers))
        offered = self.session.router_offer.pending()
        if offered is None:
            self.router_offer_notice.hide()
            return
        current = self.session.default_router_name()
        self.router_offer_notice.offer(offered, current, offer_words(offered, current))

    def _accept_router_offer(self, offered: str) -> None:
        assert self.session is not None
        try:
            self.session.router_offer.accept()
        except Exception as error:  # noqa: BLE001 - the settings file refused: say so, keep going
            self.status.showMessage(error_text(error, "Not saved:") or "Not saved.", 8000)
            return
        if self.chat is not None and self.chat.conversation_id is None:
            self.chat.use_router(offered)  # the new chat on screen is one of the new chats
        self.status.showMessage(f"New chats use “{offered}”; each chat can still pick its "
                                "own router at the top.", 8000)
        self.focus_composer()

    def _decline_router_offer(self) -> None:
        assert self.session is not None
        try:
            self.session.router_offer.decline()
        except Exception as error:  # noqa: BLE001 - as above
            self.status.showMessage(error_text(error, "Not saved:") or "Not saved.", 8000)
            return
        self.status.showMessage(f"New chats keep “{self.session.default_router_name()}”.", 6000)
        self.focus_composer()

    def _follow_title(self) -> None:
        """The header shows the chat's title as stored: after a rename (F2), at once."""
        if self.session is None or self.chat is None or self.chat.conversation_id is None:
            return
        row = self.session.conversations.get(self.chat.conversation_id)
        if row is not None and self.chat.title.text() != row.title:
            self.chat.title.setText(row.title)

    def _on_deleted(self, cid: int) -> None:
        if self.chat is not None and self.chat.conversation_id == cid:
            self.chat.new_chat()

    def _on_reply_finished(self, done: Any) -> None:
        self.status.show_reply(done.tokens_out, done.latency_ms, done.ttft_ms)
        if self.usage_dialog is not None and self.usage_dialog.isVisible():
            self.usage_view.refresh()  # an open usage window counts the reply just made

    def _on_busy(self, busy: bool) -> None:
        self.stop_action.setEnabled(busy)

    # ---- closing ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt's name
        if self.router_editor is not None and self.router_editor.isVisible() \
                and not self.router_editor.close():  # unsaved router changes: the user cancelled
            event.ignore()
            return
        if self.chat is not None:
            self.chat.stop()
        if self.sidebar is not None:
            self.sidebar.commit_pending_deletes()
        self._save_state()
        super().closeEvent(event)
        self._closing = asyncio.ensure_future(self._shutdown())

    async def _shutdown(self) -> None:
        self.tasks.cancel_all()
        if self.api_server is not None:  # its answers stop first: they use the session
            await self.api_server.stop()
        if self.session is not None:
            try:
                await self.session.aclose()
            except Exception:  # closing must finish even if a provider misbehaves
                log.exception("closing the session failed")
        if shiboken6.isValid(self):  # Qt may already have deleted the window itself
            self.sig_closed.emit()


COPY_REPLY_KEY = "Ctrl+Shift+C"


def settings_keys() -> list[QKeySequence]:
    """Ctrl+, everywhere, and the platform's own Preferences key where it has one (none on
    Linux, where QKeySequence.Preferences is empty)."""
    keys = [QKeySequence("Ctrl+,")]
    keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
             if not k.isEmpty() and k not in keys]
    return keys


def about_text(session: Session | None) -> str:
    """Help → About: the version, and what this llama.cpp build can use (for bug reports)."""
    text = (f"<b>Switchboard {__version__}</b><p>Each message goes to the right model — local "
            "or cloud — and every reply says why.</p>")
    if session is None:
        return text
    build = session.preferences.llama_build()
    gpu = "yes" if build.gpu_offload else "no (a CPU build; see the README to build with CUDA, Vulkan or Metal)"
    return text + (f"<p>llama.cpp (llama-cpp-python {build.version})<br>"
                   f"CPU features: {', '.join(build.cpu_features) or 'none reported'}<br>"
                   f"GPU offload: {gpu}</p>")
