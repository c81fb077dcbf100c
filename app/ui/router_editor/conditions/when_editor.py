"""The whole ``when`` of a rule: always shown as a group, written back in the shape it
was read in.

A rule whose condition is one bare test (``{"type": "pii"}``) is shown as "All of
these" with that one row, and written back bare for as long as it stays that way; a
rule read as ``{"all": [x]}`` is written back as ``{"all": [x]}``. A new rule starts
with no condition: ``value()`` is None and ``problem()`` asks for one.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.controller.target_choices import TargetChoice
from app.core.router.conditions import GROUPS
from app.ui.router_editor.conditions.condition_editor import ConditionEditor, Json
from app.ui.router_editor.conditions.group_editor import GroupEditor

NO_CONDITION = "add at least one condition"


class WhenEditor(QWidget):
    sig_changed = Signal()
    """The user changed the condition (never emitted by ``set_value``)."""

    def __init__(self, targets: Sequence[TargetChoice] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Conditions")
        # True when a single child of the top "all" group is written without the group.
        self._bare = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.group = GroupEditor({"all": []}, targets, self, framed=False)
        self.group.sig_changed.connect(self.sig_changed)
        layout.addWidget(self.group)
        layout.addStretch(1)  # spare height goes below the conditions, not into them

    def set_value(self, data: Json | None) -> None:
        """Load a rule's ``when`` (None for a new rule) without emitting sig_changed."""
        is_group = data is not None and any(g in data for g in GROUPS)
        self._bare = not is_group
        if data is None:
            self.group.set_value({"all": []})
        elif is_group:
            self.group.set_value(data)
        else:
            self.group.set_value({"all": [data]})

    def value(self) -> Json | None:
        only = self._bare_child()
        if only is not None:
            return only.value()
        if not self.group.editors():
            return None
        return self.group.value()

    def problem(self) -> str | None:
        if not self.group.editors():
            return NO_CONDITION
        return self.group.problem()

    def show_error(self, path: str, message: str) -> bool:
        """``path`` is relative to the rule's ``when`` ("" for the whole condition)."""
        only = self._bare_child()
        if only is not None:
            return only.show_error(path, message)
        return self.group.show_error(path, message)

    def clear_errors(self) -> None:
        self.group.clear_errors()

    def set_targets(self, choices: Sequence[TargetChoice]) -> None:
        self.group.set_targets(choices)

    def focus_widgets(self) -> list[QWidget]:
        return self.group.focus_widgets()

    def _bare_child(self) -> ConditionEditor | None:
        editors = self.group.editors()
        if self._bare and self.group.mode() == "all" and len(editors) == 1:
            return editors[0]
        return None
