"""Editor for a private-data condition: which kinds of private data to look for."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from app.core.router.private_data import PRIVATE_KINDS
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor, Problem

KIND_NAMES: dict[str, str] = {
    "email": "Email address",
    "phone": "Phone number",
    "card": "Card number",
    "iban": "IBAN",
    "secret": "Secret or API key",
}


class PrivateDataEditor(LeafEditor):
    kind_name = "Private data"

    def _build(self) -> None:
        row = QHBoxLayout()
        self.kind_boxes: dict[str, QCheckBox] = {}
        for kind in PRIVATE_KINDS:
            name = KIND_NAMES.get(kind, kind)
            box = QCheckBox(name, self)
            box.setAccessibleName(name)
            box.toggled.connect(self._edited)
            row.addWidget(box)
            self.kind_boxes[kind] = box
        row.addStretch(1)
        self._layout.addLayout(row)
        self._layout.addWidget(self._error_slot("Private data", "kinds"))

    def _load(self, data: Json) -> None:
        kinds = data.get("kinds", PRIVATE_KINDS)
        for kind, box in self.kind_boxes.items():
            box.setChecked(kind in kinds)

    def value(self) -> Json:
        return {"type": "pii",
                "kinds": [kind for kind, box in self.kind_boxes.items() if box.isChecked()]}

    def _own_problems(self) -> list[Problem]:
        if not any(box.isChecked() for box in self.kind_boxes.values()):
            return [("kinds", "tick at least one kind of private data")]
        return []

    def focus_widgets(self) -> list[QWidget]:
        return list(self.kind_boxes.values())
