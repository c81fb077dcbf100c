"""Model manager → Library: the GGUF models installed on this computer.

Shows what ``ModelManager.library()`` returns and forwards intent (import, remove, use for
chat) to the manager and ``Preferences``; copying a file in runs off the UI thread on the
page's ``TaskRunner``. The small helpers the other pages share (a tinted inline message,
byte sizes in words, table cells) live here too.

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

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
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
from app.ui.error_presenter import show_error, show_error_in
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner

if TYPE_CHECKING:
    from app.controller.model_manager import ModelManager
    from app.controller.preferences import Preferences

__all__ = ["COLUMNS", "InlineMessage", "LibraryPage", "human_size"]

COLUMNS = ("Name", "Architecture", "Quantization", "Context", "Chat template", "Size", "Where")



def human_size(n: int | None) -> str:
    """``94.0 MB`` (core's one format_bytes), or words for a size the hub did not give."""
    return "unknown size" if n is None else format_bytes(n)


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
    # An import or removal publishes Changes(local_models=True) on the session (the
    # controller's LocalModels): views hear it through ChangeSignals, not from this page.

    def __init__(self, models: ModelManager, preferences: Preferences,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models = models
        self._preferences = preferences
        self._entries: list[LibraryEntry] = []
        self._runner = TaskRunner(self)  # keys "import", "use"
        self._runner.sig_busy_changed.connect(lambda _key, _busy: self._update_buttons())
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
        self._entries = self._models.library()
        default = self._preferences.default_local_model
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
                used = entry.chat_context or self._preferences.local.n_ctx
                items[1:5] = [cell(info.architecture), cell(info.quantization or "unknown"),
                              context_cell(used, info.context_length),
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
                    shown = self.table.item(row, column)
                    if shown is not None:
                        shown.setBackground(theme.error_background(self.palette()))
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
        busy = self._runner.busy()
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
        self._runner.run("import", self._models.import_file(path),
                         on_success=self._imported, on_failure=show_error_in(self.message))

    def _imported(self, entry: LibraryEntry) -> None:
        self.message.set_message(f"Imported {entry.name}; it can be used for chat now.", "ok")
        self.refresh()
        self.select(entry.name)

    def _on_remove(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.bundled or not self.confirm_remove(entry):
            return
        try:
            path = self._models.remove(entry.name)
        except LibraryError as error:
            show_error(self.message, error)
            return
        self.message.set_message(f"Removed {path.name}; {human_size(entry.size)} freed.", "ok")
        self.refresh()

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
        name = entry.name
        self._runner.run("use", self._preferences.choose_chat_model(name),
                         on_success=lambda _: self._chosen(name),
                         on_failure=show_error_in(self.message, "Could not save the setting."))

    def _chosen(self, name: str) -> None:
        self.message.set_message(f"{name} is now the default local model for chat.", "ok")
        self.refresh()


def context_cell(used: int, maximum: int | None) -> QTableWidgetItem:
    """The context chats load the model with, first, and the model's own maximum beside it
    when that is more: "4,096 (model max 8,192)". ``used`` comes from the controller's
    context plan, so this is the number a chat that fills up will meet."""
    where = "Settings → Local models → Context length"
    if not maximum:
        return cell(f"{used:,}", f"Chats use {used:,} tokens ({where}); the file does not say "
                    "how long a context the model can hold.", align_right=True)
    if used >= maximum:
        return cell(f"{used:,}", f"Chats use {used:,} tokens, all the model can hold.", align_right=True)
    return cell(f"{used:,} (model max {maximum:,})",
                f"Chats use {used:,} tokens ({where}); the model can hold up to {maximum:,}. "
                "A longer context needs more memory.", align_right=True)
