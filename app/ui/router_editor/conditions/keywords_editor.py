"""Editor for a keywords condition: words as chips, any/all/none, case and whole words."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QWidget

from app.core.router.conditions.keywords import MODES
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor, Problem
from app.ui.router_editor.conditions.word_chips import WordChips

MODE_NAMES: dict[str, str] = {
    "any": "contains any of",
    "all": "contains all of",
    "none": "contains none of",
}


class KeywordsEditor(LeafEditor):
    kind_name = "Keywords"

    def _build(self) -> None:
        self.mode_combo = QComboBox(self)
        self.mode_combo.setAccessibleName("Keyword match")
        for mode in MODES:
            self.mode_combo.addItem(f"Message {MODE_NAMES[mode]}", mode)
        self.mode_combo.currentIndexChanged.connect(self._edited)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode_combo)
        mode_row.addStretch(1)
        self._layout.addLayout(mode_row)
        self._layout.addWidget(self._error_slot("Keyword match", "match"))

        self.chips = WordChips(self)
        self.chips.setAccessibleName("Words")
        self.chips.sig_changed.connect(self._edited)
        self.chips.sig_chips_changed.connect(self._relink_tab_order)
        self._layout.addWidget(self.chips)
        self._layout.addWidget(self._error_slot("Words", "words"))

        self.case_box = QCheckBox("Match case", self)
        self.case_box.setAccessibleName("Match case")
        self.case_box.setToolTip("“Invoice” does not match “invoice”")
        self.whole_box = QCheckBox("Whole words only", self)
        self.whole_box.setAccessibleName("Whole words only")
        self.whole_box.setToolTip("“cat” does not match inside “category”")
        options = QHBoxLayout()
        for box in (self.case_box, self.whole_box):
            box.toggled.connect(self._edited)
            options.addWidget(box)
        options.addStretch(1)
        self._layout.addLayout(options)
        self._layout.addWidget(
            self._error_slot("Keyword options", "case_sensitive", "whole_word"))

    def _load(self, data: Json) -> None:
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(data.get("match", "any"))))
        self.chips.set_words([str(w) for w in data.get("words", [])])
        self.case_box.setChecked(bool(data.get("case_sensitive", False)))
        self.whole_box.setChecked(bool(data.get("whole_word", False)))
        self._relink_tab_order()

    def value(self) -> Json:
        out: Json = {"type": "keywords", "match": self.mode_combo.currentData(),
                     "words": self.chips.words()}
        if self.case_box.isChecked():
            out["case_sensitive"] = True
        if self.whole_box.isChecked():
            out["whole_word"] = True
        return out

    def _own_problems(self) -> list[Problem]:
        if not self.chips.words():
            return [("words", "add at least one word or phrase")]
        return []

    def focus_widgets(self) -> list[QWidget]:
        return [self.mode_combo, *self.chips.focus_widgets(), self.case_box, self.whole_box]
