"""Editor for a group: all of / any of / not, holding a row per child condition.

"Not" negates exactly one condition. While a Not group has its one child, both add
buttons are disabled. Switching a group with several children to Not wraps them in a
new "All of these" group first, so nothing the user built is dropped and the result
reads as "not (all of these)"; switching back from Not keeps the one child as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.target_choices import TargetChoice
from app.core.router.conditions import GROUPS
from app.ui import theme
from app.ui.router_editor.conditions.condition_editor import (
    KINDS,
    ConditionEditor,
    ConditionKind,
    Json,
    Problem,
    editor_for,
)

MODE_NAMES: dict[str, str] = {"all": "All of these", "any": "Any of these", "not": "Not"}
MODE_TIPS: dict[str, str] = {
    "all": "Matches when every condition below matches",
    "any": "Matches when at least one condition below matches",
    "not": "Matches when the one condition below does not",
}
_JOINTS: dict[str, str] = {"all": "and", "any": "or", "not": ""}
# "all[2].words" → child 2, "words"; "not.pattern" → the only child, "pattern".
_CHILD_PATH = re.compile(r"(?:(?:all|any)\[(\d+)\]|not)(?:\.(.+))?")
_NOT_IS_FULL = "“Not” holds exactly one condition; group several in an inner group instead."


class _Row(QWidget):
    """One child in a group: the word joining it to the row above, its kind, its ×."""

    sig_remove_requested = Signal()

    def __init__(self, editor: ConditionEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        is_group = isinstance(editor, GroupEditor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.joint = QLabel(self)
        layout.addWidget(self.joint)
        header = QHBoxLayout()
        self.kind_label = QLabel(editor.kind_name, self)
        font = self.kind_label.font()
        font.setBold(True)
        self.kind_label.setFont(font)
        header.addWidget(self.kind_label)
        header.addStretch(1)
        what = "group" if is_group else f"{editor.kind_name} condition"
        self.remove_button = QToolButton(self)
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setAccessibleName(f"Remove {what}")
        self.remove_button.setToolTip(f"Remove this {what}")
        self.remove_button.clicked.connect(self.sig_remove_requested)
        header.addWidget(self.remove_button)
        layout.addLayout(header)
        layout.addWidget(editor)
        editor.setVisible(True)  # an editor moved here from another group was hidden

    def take_editor(self) -> ConditionEditor:
        editor = self.editor
        layout = self.layout()
        assert layout is not None
        layout.removeWidget(editor)
        editor.setParent(None)
        return editor


class GroupEditor(ConditionEditor):
    kind_name = "Group"

    def __init__(self, data: Json | None = None, targets: Sequence[TargetChoice] = (),
                 parent: QWidget | None = None, *, framed: bool = True) -> None:
        super().__init__(parent)
        self._targets: Sequence[TargetChoice] = targets
        self._framed = framed
        self._rows: list[_Row] = []
        self._mode = "all"

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*((10, 8, 10, 8) if framed else (0, 0, 0, 0)))
        layout.setSpacing(6)

        self.mode_combo = QComboBox(self)
        self.mode_combo.setAccessibleName("Combine conditions")
        for mode in GROUPS:
            self.mode_combo.addItem(MODE_NAMES[mode], mode)
            self.mode_combo.setItemData(self.mode_combo.count() - 1, MODE_TIPS[mode],
                                        Qt.ItemDataRole.ToolTipRole)
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        header = QHBoxLayout()
        header.addWidget(self.mode_combo)
        header.addStretch(1)
        layout.addLayout(header)

        self._rows_layout = QVBoxLayout()
        # Indented under the mode combo, so nested groups read as an outline.
        self._rows_layout.setContentsMargins(16, 0, 0, 0)
        self._rows_layout.setSpacing(6)
        layout.addLayout(self._rows_layout)
        self._empty_label = QLabel("No conditions yet: add one below.", self)
        self._rows_layout.addWidget(self._empty_label)

        self.add_condition_button = QToolButton(self)
        self.add_condition_button.setText("+ Condition")
        self.add_condition_button.setAccessibleName("Add condition")
        self.add_condition_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_condition_button)
        self.add_actions: dict[str, QAction] = {}
        for kind in KINDS:
            action = menu.addAction(kind.name)
            action.triggered.connect(lambda _=False, k=kind: self._add_kind(k))
            self.add_actions[kind.key] = action
        self.add_condition_button.setMenu(menu)
        self.add_group_button = QToolButton(self)
        self.add_group_button.setText("+ Group")
        self.add_group_button.setAccessibleName("Add group")
        self.add_group_button.setToolTip("Add a group of conditions (all of / any of / not)")
        self.add_group_button.clicked.connect(self._add_group)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(16, 0, 0, 0)
        buttons.addWidget(self.add_condition_button)
        buttons.addWidget(self.add_group_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self._error_slot("Group", ""))

        self.set_value(data if data is not None else {"all": []})

    # --- contract ------------------------------------------------------------------

    def mode(self) -> str:
        return self._mode

    def editors(self) -> list[ConditionEditor]:
        return [row.editor for row in self._rows]

    def value(self) -> Json:
        children = [row.editor.value() for row in self._rows]
        if self._mode == "not":
            # Only "not" without its child gets here empty; problem() says so.
            return {"not": children[0] if children else {}}
        return {self._mode: children}

    def problem(self) -> str | None:
        own = self._own_problems()
        if own:
            return own[0][1]
        for row in self._rows:
            problem = row.editor.problem()
            if problem is not None:
                return problem
        return None

    def show_error(self, path: str, message: str) -> bool:
        if path in ("", "all", "any") or (path == "not" and not self._rows):
            return super().show_error("", message)
        match = _CHILD_PATH.fullmatch(path)
        if match is None:
            return False
        index = int(match.group(1)) if match.group(1) is not None else 0
        if index >= len(self._rows):
            return False
        return self._rows[index].editor.show_error(match.group(2) or "", message)

    def clear_errors(self) -> None:
        super().clear_errors()
        for row in self._rows:
            row.editor.clear_errors()

    def set_targets(self, choices: Sequence[TargetChoice]) -> None:
        self._targets = choices
        for row in self._rows:
            row.editor.set_targets(choices)

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = [self.mode_combo]
        for row in self._rows:
            widgets += [row.remove_button, *row.editor.focus_widgets()]
        return [*widgets, self.add_condition_button, self.add_group_button]

    # --- loading -------------------------------------------------------------------

    def _load(self, data: Json) -> None:
        mode = next((g for g in GROUPS if g in data), "all")
        children = [data["not"]] if mode == "not" else list(data.get(mode, []))
        self._mode = mode
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))
        for row in list(self._rows):
            self._drop(row)
        for child in children:
            self._append(editor_for(child, self._targets))
        self._update_controls()
        self._relink_tab_order()

    def _own_problems(self) -> list[Problem]:
        if not self._rows:
            if self._mode == "not":
                return [("", "add the condition that must not match")]
            return [("", "add at least one condition")]
        return []

    def _live_problems(self) -> list[Problem]:
        return self._own_problems()  # each child shows its own

    # --- rows ----------------------------------------------------------------------

    def _append(self, editor: ConditionEditor) -> _Row:
        row = _Row(editor, self)
        row.sig_remove_requested.connect(lambda: self._remove(row))
        editor.sig_changed.connect(self._edited)
        self._rows_layout.addWidget(row)
        self._rows.append(row)
        return row

    def _drop(self, row: _Row) -> None:
        self._rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.hide()
        row.deleteLater()  # may be inside its own × button's clicked handler

    def _add(self, editor: ConditionEditor) -> None:
        row = self._append(editor)
        self._update_controls()
        self._relink_tab_order()
        first = editor.focus_widgets()[:1] or [row.remove_button]
        first[0].setFocus()
        self._edited()

    def _add_kind(self, kind: ConditionKind) -> None:
        if self._is_full():
            return
        self._add(editor_for(kind.default(self._targets), self._targets))

    def _add_group(self) -> None:
        if self._is_full():
            return
        self._add(GroupEditor({"all": []}, self._targets))

    def _remove(self, row: _Row) -> None:
        if row not in self._rows:
            return
        index = self._rows.index(row)
        row.editor.sig_changed.disconnect(self._edited)
        self._drop(row)
        self._update_controls()
        self._relink_tab_order()
        # Focus to where the removed row was, so the keyboard user is not thrown out.
        following = (self._rows[index].remove_button if index < len(self._rows)
                     else self.add_condition_button if self.add_condition_button.isEnabled()
                     else self.mode_combo)
        following.setFocus()
        self._edited()

    def _is_full(self) -> bool:
        return self._mode == "not" and len(self._rows) >= 1

    def _on_mode_changed(self) -> None:
        if self._loading:
            return
        mode = self.mode_combo.currentData()
        if mode == self._mode:
            return
        self._mode = mode
        if mode == "not" and len(self._rows) > 1:
            self._wrap_rows()
        self._update_controls()
        self._relink_tab_order()
        self._edited()

    def _wrap_rows(self) -> None:
        """Move every child into a new inner "all" group, which becomes the only child."""
        inner = GroupEditor({"all": []}, self._targets)
        for row in list(self._rows):
            row.editor.sig_changed.disconnect(self._edited)
            editor = row.take_editor()
            self._drop(row)
            inner._append(editor)
        inner._update_controls()
        inner._refresh()
        self._append(inner)

    def _update_controls(self) -> None:
        joint = _JOINTS[self._mode]
        self._mute_hints()
        for i, row in enumerate(self._rows):
            row.joint.setText(joint)
            row.joint.setVisible(i > 0 and bool(joint))
        self._empty_label.setVisible(not self._rows)
        full = self._is_full()
        for button in (self.add_condition_button, self.add_group_button):
            button.setEnabled(not full)
        self.add_condition_button.setToolTip(
            _NOT_IS_FULL if full else "Add a condition to this group")

    # --- looks ---------------------------------------------------------------------

    def _mute_hints(self) -> None:
        muted = theme.muted_text(self.palette())
        for label in (self._empty_label, *(row.joint for row in self._rows)):
            theme.set_foreground(label, muted)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The muted hue is a blend of the palette: follow light/dark switches.
        if event.type() == QEvent.Type.PaletteChange:
            self._mute_hints()

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._framed:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
