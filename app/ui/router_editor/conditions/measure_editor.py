"""Editor for a size condition: which quantity, how it compares, and the bound(s)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from app.core.router.conditions.measure import OPS, QUANTITIES
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor
from app.ui.router_editor.field_note import FieldNote

QUANTITY_NAMES: dict[str, str] = {
    "message_tokens": "Tokens in the message",
    "conversation_tokens": "Tokens in the whole chat",
    "message_count": "Messages in the chat",
    "message_chars": "Characters in the message",
}
OP_NAMES: dict[str, str] = {
    "<": "less than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
    "between": "between",
}
MAXIMUM = 2_000_000_000
# "Tokens" is the models' unit, not the user's: said under the field whenever it is chosen.
TOKENS_NOTE = "A token is a piece of a word: 1,000 tokens are about 750 English words."


class MeasureEditor(LeafEditor):
    kind_name = "Size"

    def _build(self) -> None:
        # A loaded bound the spin boxes cannot show (1.5, or above MAXIMUM) is written
        # back as it was until the user changes that box.
        self._exact: dict[QSpinBox, float] = {}
        row = QHBoxLayout()
        self.quantity_combo = QComboBox(self)
        self.quantity_combo.setAccessibleName("Quantity")
        self.quantity_combo.setToolTip(TOKENS_NOTE)
        for quantity in QUANTITIES:
            self.quantity_combo.addItem(QUANTITY_NAMES.get(quantity, quantity), quantity)
        self.op_combo = QComboBox(self)
        self.op_combo.setAccessibleName("Comparison")
        for op in OPS:
            self.op_combo.addItem(OP_NAMES.get(op, op), op)
        self.low_spin = self._spin("Value")
        self.and_label = QLabel("and", self)
        self.high_spin = self._spin("Upper value")
        for widget in (self.quantity_combo, self.op_combo, self.low_spin, self.and_label,
                       self.high_spin):
            row.addWidget(widget)
        row.addStretch(1)
        self._layout.addLayout(row)
        self.tokens_note = FieldNote(TOKENS_NOTE, self)
        self._layout.addWidget(self.tokens_note)
        self._layout.addWidget(self._error_slot("Size", "value", "type", "op"))
        self.quantity_combo.currentIndexChanged.connect(self._show_note)
        self.quantity_combo.currentIndexChanged.connect(self._edited)
        self.op_combo.currentIndexChanged.connect(self._on_op_changed)

    def _spin(self, name: str) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(0, MAXIMUM)
        spin.setGroupSeparatorShown(True)
        spin.setAccessibleName(name)
        spin.valueChanged.connect(lambda _: self._on_spin_edited(spin))
        return spin

    def _load(self, data: Json) -> None:
        self.quantity_combo.setCurrentIndex(max(0, self.quantity_combo.findData(data.get("type"))))
        op = data.get("op", ">")
        self.op_combo.setCurrentIndex(max(0, self.op_combo.findData(op)))
        raw = data.get("value", 0)
        low, high = (raw[0], raw[1]) if op == "between" and isinstance(raw, list) else (raw, 0)
        self._exact = {}
        for spin, number in ((self.low_spin, low), (self.high_spin, high)):
            number = number if isinstance(number, (int, float)) else 0
            spin.setValue(int(min(max(round(number), 0), MAXIMUM)))
            if spin.value() != number:
                self._exact[spin] = number
        self._show_upper()
        self._show_note()

    def value(self) -> Json:
        low = self._number(self.low_spin)
        op = self.op_combo.currentData()
        bound: object = [low, self._number(self.high_spin)] if op == "between" else low
        return {"type": self.quantity_combo.currentData(), "op": op, "value": bound}

    def _number(self, spin: QSpinBox) -> int | float:
        exact = self._exact.get(spin)
        return spin.value() if exact is None else exact

    def _on_spin_edited(self, spin: QSpinBox) -> None:
        if not self._loading:
            self._exact.pop(spin, None)
            self._edited()

    def _on_op_changed(self) -> None:
        if self._loading:
            return
        if self.op_combo.currentData() == "between" and self.high_spin.value() < self.low_spin.value():
            # A range that starts out empty would greet the user with an error.
            with self._loading_guard():
                self.high_spin.setValue(min(self.low_spin.value() * 2 or 1000, MAXIMUM))
            self._exact.pop(self.high_spin, None)
        self._show_upper()
        self._edited()

    def _show_note(self) -> None:
        self.tokens_note.setVisible(str(self.quantity_combo.currentData()).endswith("_tokens"))

    def _show_upper(self) -> None:
        between = self.op_combo.currentData() == "between"
        self.and_label.setVisible(between)
        self.high_spin.setVisible(between)

    def focus_widgets(self) -> list[QWidget]:
        return [self.quantity_combo, self.op_combo, self.low_spin, self.high_spin]
