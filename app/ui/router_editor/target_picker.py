"""A combo box for a ``provider:model`` target: the set-up's targets to pick from, any
other target typed in, and a warning on each one that could not answer right now."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.controller.target_choices import TargetChoice

# What a target typed in (or loaded) that this set-up does not list is flagged with.
UNKNOWN_TARGET = "not among this set-up's targets"
_PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1


class _LabelDelegate(QStyledItemDelegate):
    """Shows "target — problem" in the popup while the item's text stays the bare target,
    which is what the line edit shows and what ``target()`` returns."""

    def initStyleOption(self, option: QStyleOptionViewItem,
                        index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        problem = index.data(_PROBLEM_ROLE)
        if problem:
            option.text = f"{option.text} — {problem}"


class TargetPicker(QComboBox):
    sig_changed = Signal(str)
    """The target text, after the user typed or picked one (never after ``set_target``)."""

    def __init__(self, choices: Sequence[TargetChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self.setEditable(True)
        # Enter must not append what was typed to the list: the list is the set-up's.
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setItemDelegate(_LabelDelegate(self))
        self.setAccessibleName("Target")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(24)
        line = self.lineEdit()
        assert line is not None  # editable
        line.setPlaceholderText("provider:model")
        line.setAccessibleName("Target")
        self.currentTextChanged.connect(self._on_text_changed)
        self._fill(choices)
        self._install_completer()

    def target(self) -> str:
        return self.currentText().strip()

    def set_target(self, target: str) -> None:
        self._loading = True
        try:
            self._show(target)
        finally:
            self._loading = False

    def set_choices(self, choices: Sequence[TargetChoice]) -> None:
        text = self.currentText()
        self._loading = True
        try:
            self.clear()
            self._fill(choices)
            self._show(text)
        finally:
            self._loading = False

    def problem_of(self, target: str) -> str | None:
        """Why the listed ``target`` could not answer now; None when it can or is not listed."""
        i = self.findText(target, Qt.MatchFlag.MatchFixedString | Qt.MatchFlag.MatchCaseSensitive)
        return None if i < 0 else self.itemData(i, _PROBLEM_ROLE) or None

    def _fill(self, choices: Sequence[TargetChoice]) -> None:
        for choice in choices:
            self._add(choice.target, choice.problem)

    def _add(self, target: str, problem: str | None) -> None:
        self.addItem(target)
        i = self.count() - 1
        self.setItemData(i, problem, _PROBLEM_ROLE)
        if problem:
            self.setItemIcon(i, self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
            self.setItemData(i, problem, Qt.ItemDataRole.ToolTipRole)

    def _show(self, target: str) -> None:
        i = self.findText(target, Qt.MatchFlag.MatchFixedString | Qt.MatchFlag.MatchCaseSensitive)
        if i < 0 and target.strip():
            self._add(target, UNKNOWN_TARGET)
            i = self.count() - 1
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            self.setCurrentIndex(-1)
        self.setEditText(target)
        self._update_tooltip()

    def _install_completer(self) -> None:
        # Over the combo's own model, which clear() empties but keeps, so set_choices needs
        # no new one. QComboBox's default completer is case-sensitive and prefix-only.
        completer = QCompleter(self.model(), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setCompleter(completer)

    def _update_tooltip(self) -> None:
        problem = self.problem_of(self.target())
        text = f"{self.target()}: {problem}" if problem else ""
        self.setToolTip(text)
        self.setAccessibleDescription(problem or "")

    def _on_text_changed(self, text: str) -> None:
        self._update_tooltip()
        if not self._loading:
            self.sig_changed.emit(text.strip())
