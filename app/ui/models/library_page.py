"""Model manager → Library: the GGUF models installed on this computer.

Shows what ``ModelManager.library()`` returns and forwards intent (import, remove, use for
chat) to the manager; copying a file in runs off the UI thread. The small helpers the other
pages share (a tinted inline message, byte sizes in words, a task starter) live here too.

Layout::

    ┌────────────────────────────────────────────────────────────────────┐
    │ Name │ Architecture │ Quant │ Context │ Template │ Size │ Where    │
    │ …    │ …            │ …     │ …       │ yes      │ 94 MB│ Bundled  │
    ├────────────────────────────────────────────────────────────────────┤
    │ [message]                                                          │
    │ [Import GGUF…] [Remove…] [Show in folder]             [Use for chat]│
    └────────────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.controller.model_library import LibraryEntry, LibraryError
from app.core.byte_size import format_bytes
from app.ui import theme
from app.ui.inline_message import InlineMessage, Tone

if TYPE_CHECKING:
    from app.controller.session import Session

log = logging.getLogger(__name__)

__all__ = ["COLUMNS", "InlineMessage", "LibraryPage", "TaskOwner", "human_size"]

COLUMNS = ("Name", "Architecture", "Quantization", "Context", "Chat template", "Size", "Where")



def human_size(n: int | None) -> str:
    """``94.0 MB`` (core's one format_bytes), or words for a size the hub did not give."""
    return "unknown size" if n is None else format_bytes(n)


class TaskOwner:
    """Keeps references to the asyncio tasks a page starts, so none is collected early."""

    def __init__(self, on_done: Callable[[], None] = lambda: None) -> None:
        self._tasks: set[asyncio.Future[None]] = set()
        self._on_done = on_done

    def start(self, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        self._on_done()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)


def button(text: str, name: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setAccessibleName(name)
    b.setToolTip(tip)
    return b


def read_only_table(columns: tuple[str, ...], name: str, tip: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.setAccessibleName(name)
    table.setToolTip(tip)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def cell(text: str, tip: str | None = None, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tip or text)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class LibraryPage(QWidget):
    sig_changed = Signal()
    """A model was imported or removed: ``session.local_models`` is already current."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._entries: list[LibraryEntry] = []
        self._tasks = TaskOwner(on_done=self._update_buttons)
        self.setAccessibleName("Installed models")

        self.table = read_only_table(COLUMNS, "Installed models",
                                     "The GGUF models on this computer that local chat can use")
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.message = InlineMessage("Library message")
        self.import_button = button("Import GGUF…", "Import GGUF file",
                                    "Copy a .gguf file from this computer into the models folder")
        self.import_button.clicked.connect(self._on_import)
        self.remove_button = button("Remove…", "Remove model",
                                    "Delete the selected model file (the bundled model stays)")
        self.remove_button.clicked.connect(self._on_remove)
        self.folder_button = button("Show in folder", "Show in folder",
                                    "Open the folder that holds the selected model")
        self.folder_button.clicked.connect(self._on_show_folder)
        self.use_button = button("Use for chat", "Use for chat",
                                 "Make the selected model the default local model for chat")
        self.use_button.clicked.connect(self._on_use)

        buttons = QHBoxLayout()
        for b in (self.import_button, self.remove_button, self.folder_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.refresh()

    # ---- showing ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the library again, keeping the selected model selected."""
        selected = self.selected_entry()
        self._entries = self._session.models.library()
        default = self._session.settings.default_local_model
        self.table.setRowCount(0)
        self.table.clearSpans()
        self.table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            name = entry.name + ("  (default)" if entry.name == default else "")
            where = "Bundled with Switchboard" if entry.bundled else str(entry.path.parent)
            items = [cell(name, str(entry.path)), *(cell("") for _ in range(4)),
                     cell(human_size(entry.size), f"{entry.size:,} bytes", align_right=True),
                     cell("Bundled" if entry.bundled else "Models folder", where)]
            if entry.info is not None:
                info = entry.info
                context = f"{info.context_length:,}" if info.context_length else "unknown"
                items[1:5] = [cell(info.architecture), cell(info.quantization or "unknown"),
                              cell(context, align_right=True),
                              cell("yes" if info.chat_template else "no",
                                   "The file carries its own chat template" if info.chat_template
                                   else "No chat template in the file: replies may be poor")]
            for column, item in enumerate(items):
                self.table.setItem(row, column, item)
            if entry.problem is not None:
                problem = cell(f"Cannot be used: {entry.problem}", entry.problem)
                self.table.setItem(row, 1, problem)
                self.table.setSpan(row, 1, 1, 4)
                for column in range(len(COLUMNS)):
                    item = self.table.item(row, column)
                    if item is not None:
                        item.setBackground(theme.error_background(self.palette()))
            if selected is not None and entry.name == selected.name:
                self.table.selectRow(row)
        self._update_buttons()

    def entries(self) -> list[LibraryEntry]:
        return list(self._entries)

    def selected_entry(self) -> LibraryEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not 0 <= rows[0].row() < len(self._entries):
            return None
        return self._entries[rows[0].row()]

    def select(self, name: str) -> None:
        for row, entry in enumerate(self._entries):
            if entry.name == name:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        busy = self._tasks.busy
        self.import_button.setEnabled(not busy)
        self.remove_button.setEnabled(entry is not None and not entry.bundled and not busy)
        self.remove_button.setToolTip(
            "The bundled model ships with Switchboard and cannot be removed"
            if entry is not None and entry.bundled
            else "Delete the selected model file (the bundled model stays)")
        self.folder_button.setEnabled(entry is not None)
        self.use_button.setEnabled(entry is not None and entry.problem is None and not busy)

    # ---- intent ----------------------------------------------------------------------

    def choose_file(self) -> Path | None:
        """Ask for a .gguf file; tests replace this."""
        path, _ = QFileDialog.getOpenFileName(self, "Import a GGUF model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        return Path(path) if path else None

    def confirm_remove(self, entry: LibraryEntry) -> bool:
        """Ask before deleting; tests replace this."""
        answer = QMessageBox.question(
            self, "Remove model",
            f"Delete {entry.path.name} ({human_size(entry.size)}) from this computer?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def open_url(self, url: QUrl) -> bool:
        """Open a folder in the system's file manager; tests replace this."""
        return QDesktopServices.openUrl(url)

    def _on_import(self) -> None:
        path = self.choose_file()
        if path is None:
            return
        self.message.set_message(f"Copying {path.name} into the models folder…")
        self._tasks.start(self._import(path))
        self._update_buttons()

    async def _import(self, path: Path) -> None:
        try:
            # A model is hundreds of MB: copy it off the UI thread.
            entry = await asyncio.to_thread(self._session.models.import_file, path)
        except LibraryError as error:
            self._finish(str(error), "error")
            return
        except Exception as error:  # a task's exception would otherwise be lost
            log.exception("importing %s failed", path)
            self._finish(f"Could not import {path.name}: {error}", "error")
            return
        self._finish(f"Imported {entry.name}; it can be used for chat now.", "ok")
        self.refresh()
        self.select(entry.name)
        self.sig_changed.emit()

    def _on_remove(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.bundled or not self.confirm_remove(entry):
            return
        try:
            path = self._session.models.remove(entry.name)
        except LibraryError as error:
            self.message.set_message(str(error), "error")
            return
        self.message.set_message(f"Removed {path.name}; {human_size(entry.size)} freed.", "ok")
        self.refresh()
        self.sig_changed.emit()

    def _on_show_folder(self) -> None:
        entry = self.selected_entry()
        if entry is None:
            return
        if not self.open_url(QUrl.fromLocalFile(str(entry.path.parent))):
            self.message.set_message(f"Could not open {entry.path.parent}.", "error")

    def _on_use(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.problem is not None:
            return
        self._tasks.start(self._use(entry.name))
        self._update_buttons()

    async def _use(self, name: str) -> None:
        preferences = self._session.preferences
        try:
            await preferences.save_local(preferences.local, name)
        except Exception as error:  # SettingsError or OSError: say so, keep the task's error
            log.exception("saving the default local model failed")
            self._finish(f"Could not save the setting: {error}", "error")
            return
        self._finish(f"{name} is now the default local model for chat.", "ok")
        self.refresh()

    def _finish(self, text: str, tone: Tone) -> None:
        self.message.set_message(text, tone)
