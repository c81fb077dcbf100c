"""Editors for the conditions with little or nothing to set: an image attached, code in
the message, a target being available."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from app.controller.target_choices import TargetChoice
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor, Problem
from app.ui.router_editor.target_picker import TargetPicker

DEFAULT_MIN_LINES = 2  # CodePresent's default, which to_dict leaves out


class ImageEditor(LeafEditor):
    kind_name = "Image attached"

    def _build(self) -> None:
        self._layout.addWidget(QLabel("Matches when an image is attached to the message.", self))

    def _load(self, data: Json) -> None:
        pass

    def value(self) -> Json:
        return {"type": "image"}


class CodeEditor(LeafEditor):
    kind_name = "Code present"

    def _build(self) -> None:
        row = QHBoxLayout()
        self.lines_spin = QSpinBox(self)
        self.lines_spin.setRange(1, 1_000_000)
        self.lines_spin.setAccessibleName("Lines of code")
        self.lines_spin.valueChanged.connect(self._edited)
        before = QLabel("At least", self)
        before.setBuddy(self.lines_spin)
        row.addWidget(before)
        row.addWidget(self.lines_spin)
        row.addWidget(QLabel("lines of code", self))
        row.addStretch(1)
        self._layout.addLayout(row)
        self._layout.addWidget(self._error_slot("Lines of code", "min_lines"))

    def _load(self, data: Json) -> None:
        lines = data.get("min_lines", DEFAULT_MIN_LINES)
        self.lines_spin.setValue(lines if isinstance(lines, int) else DEFAULT_MIN_LINES)

    def value(self) -> Json:
        out: Json = {"type": "code"}
        if self.lines_spin.value() != DEFAULT_MIN_LINES:
            out["min_lines"] = self.lines_spin.value()
        return out

    def focus_widgets(self) -> list[QWidget]:
        return [self.lines_spin]


class AvailableEditor(LeafEditor):
    kind_name = "Target available"

    def __init__(self, data: Json, targets: Sequence[TargetChoice],
                 parent: QWidget | None = None) -> None:
        self._targets = targets  # read by _build, which the base constructor calls
        super().__init__(data, parent)

    def _build(self) -> None:
        row = QHBoxLayout()
        self.picker = TargetPicker(self._targets, self)
        self.picker.sig_changed.connect(self._edited)
        row.addWidget(self.picker, 1)
        row.addWidget(QLabel("is available", self))
        self._layout.addLayout(row)
        self._layout.addWidget(self._error_slot("Target", "target"))

    def _load(self, data: Json) -> None:
        self.picker.set_target(str(data.get("target", "")))

    def value(self) -> Json:
        return {"type": "available", "target": self.picker.target()}

    def _own_problems(self) -> list[Problem]:
        return [("target", "pick a target")] if not self.picker.target() else []

    def set_targets(self, choices: Sequence[TargetChoice]) -> None:
        self.picker.set_choices(choices)

    def focus_widgets(self) -> list[QWidget]:
        return [self.picker]
