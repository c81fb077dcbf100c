"""The routers column: every router once, which is the default, which are templates;
New (blank or from a template), Duplicate, Rename, Delete, Set as default, Import, Export."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.router_folders import RouterEntry
from app.core.router import Router

NAME_ROLE = Qt.ItemDataRole.UserRole
# The More menu: (command, label), a separator where None.
_MORE_ACTIONS: tuple[tuple[str, str] | None, ...] = (
    ("use", "Use in this chat"), ("default", "Set as default"), ("duplicate", "Duplicate"),
    ("rename", "Rename…"), ("delete", "Delete…"), None,
    ("import", "Import from file…"), ("export", "Export to file…"))
_ORIGIN_WORDS = {"template": "template", "yours": "", "changed template": "changed template"}


class RouterList(QWidget):
    sig_open = Signal(str)  # a router's name
    sig_new_blank = Signal()
    sig_new_from = Signal(str)  # a template's name
    sig_command = Signal(str)  # duplicate, rename, delete, default, import, export, use

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[RouterEntry] = []
        self._default = ""
        title = QLabel("Routers")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        self.list = QListWidget()
        self.list.setAccessibleName("Routers")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setSpacing(3)
        self.list.currentItemChanged.connect(self._on_current)

        self.new_button = QToolButton()
        self.new_button.setText("+ New")
        self.new_button.setAccessibleName("New router")
        self.new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.new_menu = QMenu(self.new_button)
        self.new_button.setMenu(self.new_menu)

        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setAccessibleName("Router actions")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_menu = QMenu(self.more_button)
        self.actions_by_name: dict[str, QAction] = {}
        for entry in _MORE_ACTIONS:
            if entry is None:
                self.more_menu.addSeparator()
                continue
            command, text = entry
            self.actions_by_name[command] = self.more_menu.addAction(
                text, partial(self.sig_command.emit, command))
        self.more_button.setMenu(self.more_menu)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(
            lambda pos: self.more_menu.exec(self.list.viewport().mapToGlobal(pos)))

        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.more_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

    def set_templates(self, templates: Sequence[Router]) -> None:
        self.new_menu.clear()
        self.new_menu.addAction("Blank router", self.sig_new_blank.emit)
        self.new_menu.addSeparator()
        for template in templates:
            action = self.new_menu.addAction(f"From template: {template.name}",
                                             partial(self.sig_new_from.emit, template.name))
            action.setToolTip(template.description)

    def set_entries(self, entries: Sequence[RouterEntry], default: str, current: str | None) -> None:
        self._entries = list(entries)
        self._default = default
        self.list.blockSignals(True)
        self.list.clear()
        for entry in entries:
            item = QListWidgetItem(self._text(entry, entry.name))
            item.setData(NAME_ROLE, entry.name)
            item.setToolTip(entry.problem or entry.description)
            if entry.problem:
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            if entry.name == default:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.select(current)

    def show_name(self, name: str | None, shown: str) -> None:
        """Show router ``name`` as ``shown``, the name being typed for it, until it is
        saved under that name (the list then rebuilds from the files)."""
        entry = self.entry(name)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if entry is not None and item.data(NAME_ROLE) == name:
                text = self._text(entry, shown.strip() or entry.name)
                if item.text() != text:
                    item.setText(text)

    def _text(self, entry: RouterEntry, name: str) -> str:
        notes = [w for w in (_ORIGIN_WORDS[entry.origin], "default" if entry.name == self._default else "")
                 if w]
        return name + (f"\n{' · '.join(notes)}" if notes else "")

    def select(self, name: str | None) -> None:
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self._update_actions()

    def entry(self, name: str | None) -> RouterEntry | None:
        return next((e for e in self._entries if e.name == name), None)

    def current_name(self) -> str | None:
        item = self.list.currentItem()
        return str(item.data(NAME_ROLE)) if item is not None else None

    def _on_current(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        self._update_actions()
        if item is not None:
            self.sig_open.emit(str(item.data(NAME_ROLE)))

    def _update_actions(self) -> None:
        entry = self.entry(self.current_name())
        mine = entry is not None and entry.path is not None
        self.actions_by_name["delete"].setEnabled(mine)
        self.actions_by_name["delete"].setText(
            "Reset to template…" if entry is not None and entry.origin == "changed template" else "Delete…")
        for command in ("use", "default", "duplicate", "rename", "export"):
            self.actions_by_name[command].setEnabled(entry is not None and entry.problem is None)
