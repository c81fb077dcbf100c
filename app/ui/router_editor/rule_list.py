"""The router's rules in priority order: drag to reorder (or Move up/down from the
keyboard), tick to enable, one line of plain words per rule, a mark on a rule with a
problem."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.line_icons import Kind, line_icon
from app.ui.router_editor.rule_summary import rule_summary

INDEX_ROLE = Qt.ItemDataRole.UserRole  # the rule's index in the draft when listed
ENABLED_ROLE = Qt.ItemDataRole.UserRole + 1  # the shown tick, to tell a toggle from other changes


class RuleList(QWidget):
    sig_selected = Signal(int)  # a rule's index, -1 when none
    sig_reordered = Signal(list)  # the new order, as the old indices
    sig_toggled = Signal(int, bool)
    sig_add = Signal(str)  # "calculated" or "classified"
    sig_remove = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Rules")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setSpacing(2)
        self.list.currentRowChanged.connect(self._on_current)
        self.list.itemChanged.connect(self._on_item_changed)
        # rowsMoved fires mid-drop, before the view settles; read the order after it.
        self.list.model().rowsMoved.connect(lambda *_: QTimer.singleShot(0, self._on_moved))

        self.add_button = QToolButton()
        self.add_button.setText("+ Rule")
        self.add_button.setAccessibleName("Add rule")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        menu.addAction("Conditions (keywords, regex, size, time…)", lambda: self.sig_add.emit("calculated"))
        menu.addAction("Plain English (decided by the classifier)", lambda: self.sig_add.emit("classified"))
        self.add_button.setMenu(menu)

        self.up_action = self._action("Move up", "Alt+Up", -1)
        self.down_action = self._action("Move down", "Alt+Down", +1)
        self.remove_action = QAction("Delete rule", self)
        self.remove_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(lambda: self.sig_remove.emit(self.current()))
        self.list.addAction(self.remove_action)

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        for action in (self.up_action, self.down_action, self.remove_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAccessibleName(action.text())
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self._paint_icons()
        self._update_actions()

    def _action(self, text: str, keys: str, step: int) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda: self._move(step))
        self.list.addAction(action)
        return action

    # ---- showing ------------------------------------------------------------------------

    def _paint_icons(self) -> None:
        icons: tuple[tuple[QAction, Kind], ...] = (
            (self.up_action, "up"), (self.down_action, "down"), (self.remove_action, "delete"))
        for action, kind in icons:
            action.setIcon(line_icon(kind, self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Light ↔ dark: the icons are drawn in the palette's colours (the event may come
        # while the widget is still being built).
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "remove_action"):
            self._paint_icons()

    def set_rules(self, rules: list[dict[str, Any]], select: int | None = None) -> None:
        """Show ``rules``; keeps the selected row unless ``select`` says otherwise."""
        keep = self.current() if select is None else select
        self.list.blockSignals(True)
        self.list.clear()
        for index, rule in enumerate(rules):
            item = QListWidgetItem()
            item.setData(INDEX_ROLE, index)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            self._fill(item, rule)
            self.list.addItem(item)
        self.list.blockSignals(False)
        row = min(keep, self.list.count() - 1)
        self.list.setCurrentRow(row)
        self._update_actions()

    def update_rule(self, index: int, rule: dict[str, Any]) -> None:
        item = self.list.item(index)
        if item is not None:
            self.list.blockSignals(True)
            self._fill(item, rule)
            self.list.blockSignals(False)

    def _fill(self, item: QListWidgetItem, rule: dict[str, Any]) -> None:
        title = str(rule.get("title") or rule.get("id") or "Untitled rule")
        enabled = rule.get("enabled", True) is not False
        item.setText(f"{title}\n{rule_summary(rule)}")
        item.setToolTip(rule_summary(rule))
        item.setData(ENABLED_ROLE, enabled)
        item.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
        group = QPalette.ColorGroup.Active if enabled else QPalette.ColorGroup.Disabled
        item.setForeground(self.palette().brush(group, QPalette.ColorRole.Text))

    def mark_problem(self, index: int | None, problem: str | None) -> None:
        """A warning icon on the rule the router's first problem is in (only that one)."""
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.list.blockSignals(True)  # an icon is item data too: it must not read as a toggle
        for row in range(self.list.count()):
            item = self.list.item(row)
            bad = row == index and problem is not None
            item.setIcon(warning if bad else QIcon())
            if bad:
                item.setToolTip(str(problem))
        self.list.blockSignals(False)

    # ---- reading ------------------------------------------------------------------------

    def current(self) -> int:
        return self.list.currentRow()

    def select(self, index: int) -> None:
        self.list.setCurrentRow(index)

    def _on_current(self, row: int) -> None:
        self._update_actions()
        self.sig_selected.emit(row)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        enabled = item.checkState() == Qt.CheckState.Checked
        if enabled != item.data(ENABLED_ROLE):
            item.setData(ENABLED_ROLE, enabled)
            self.sig_toggled.emit(self.list.row(item), enabled)

    def _on_moved(self) -> None:
        order = [int(self.list.item(row).data(INDEX_ROLE)) for row in range(self.list.count())]
        if order != sorted(order):
            self.sig_reordered.emit(order)

    def _move(self, step: int) -> None:
        row = self.current()
        other = row + step
        if row < 0 or not 0 <= other < self.list.count():
            return
        order = list(range(self.list.count()))
        order[row], order[other] = order[other], order[row]
        self.sig_reordered.emit(order)

    def _update_actions(self) -> None:
        row, count = self.current(), self.list.count()
        self.up_action.setEnabled(row > 0)
        self.down_action.setEnabled(0 <= row < count - 1)
        self.remove_action.setEnabled(row >= 0)


def moved_index(order: list[int], old: int) -> int:
    """Where the rule that was at ``old`` is after reordering by ``order``."""
    return order.index(old) if old in order else -1

