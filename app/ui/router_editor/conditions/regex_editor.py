"""Editor for a regular-expression condition, checked as it is typed and tried on a
sample line, both by the core's own compiler."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.core.router.conditions.pattern import FLAGS, TIMEOUT_S, PatternError, compile_pattern
from app.ui.router_editor.conditions.condition_editor import Json, LeafEditor, Problem

FLAG_NAMES: dict[str, tuple[str, str]] = {
    "ignorecase": ("Ignore case", "Letters match in upper or lower case"),
    "multiline": ("Multiline", "^ and $ match at the start and end of every line"),
    "dotall": ("Dot matches newline", ". matches line breaks too"),
}
_EXCERPT = 40


class RegexEditor(LeafEditor):
    kind_name = "Pattern"

    def _build(self) -> None:
        self._loaded_flags: list[str] = []
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.pattern_edit = QLineEdit(self)
        self.pattern_edit.setFont(mono)
        self.pattern_edit.setAccessibleName("Pattern")
        self.pattern_edit.setPlaceholderText(r"for example  \binv-\d{4}\b")
        self.pattern_edit.textChanged.connect(self._edited)
        self._layout.addWidget(self.pattern_edit)
        self._layout.addWidget(self._error_slot("Pattern", "pattern"))

        self.flag_boxes: dict[str, QCheckBox] = {}
        flags_row = QHBoxLayout()
        for flag in FLAGS:
            label, tip = FLAG_NAMES.get(flag, (flag, ""))
            box = QCheckBox(label, self)
            box.setAccessibleName(label)
            box.setToolTip(tip)
            box.toggled.connect(self._edited)
            flags_row.addWidget(box)
            self.flag_boxes[flag] = box
        flags_row.addStretch(1)
        self._layout.addLayout(flags_row)
        self._layout.addWidget(self._error_slot("Pattern options", "flags"))

        sample_row = QHBoxLayout()
        sample_label = QLabel("Try it on:", self)
        self.sample_edit = QLineEdit(self)
        self.sample_edit.setAccessibleName("Sample text")
        self.sample_edit.setPlaceholderText("a line of text to test the pattern on")
        sample_label.setBuddy(self.sample_edit)
        self.sample_edit.textChanged.connect(self._update_preview)
        sample_row.addWidget(sample_label)
        sample_row.addWidget(self.sample_edit, 1)
        self._layout.addLayout(sample_row)
        self.preview = QLabel(self)
        self.preview.setAccessibleName("Sample result")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setVisible(False)
        self._layout.addWidget(self.preview)

    def _load(self, data: Json) -> None:
        self.pattern_edit.setText(str(data.get("pattern", "")))
        self._loaded_flags = [str(f) for f in data.get("flags", [])]
        for flag, box in self.flag_boxes.items():
            box.setChecked(flag in self._loaded_flags)

    def flags(self) -> list[str]:
        ticked = [flag for flag, box in self.flag_boxes.items() if box.isChecked()]
        # The core keeps the flags in the order written, and compares them in that order.
        if set(ticked) == set(self._loaded_flags):
            return list(self._loaded_flags)
        return ticked

    def value(self) -> Json:
        out: Json = {"type": "regex", "pattern": self.pattern_edit.text()}
        flags = self.flags()
        if flags:
            out["flags"] = flags
        return out

    def _own_problems(self) -> list[Problem]:
        if not self.pattern_edit.text().strip():
            return [("pattern", "write a pattern")]
        try:
            compile_pattern(self.pattern_edit.text(), tuple(self.flags()))
        except PatternError as exc:
            return [("pattern", str(exc))]
        return []

    def _refresh(self) -> None:
        super()._refresh()
        self._update_preview()

    def _update_preview(self) -> None:
        sample, pattern = self.sample_edit.text(), self.pattern_edit.text()
        if not sample or not pattern.strip():
            self._set_preview("")
            return
        try:
            found = compile_pattern(pattern, tuple(self.flags())).search(sample, timeout=TIMEOUT_S)
        except PatternError as exc:
            self._set_preview(str(exc))
            return
        except TimeoutError:
            self._set_preview(f"gave up after {TIMEOUT_S * 1000:.0f} ms: the pattern is too slow")
            return
        if found is None:
            self._set_preview("no match")
        else:
            text = found.group(0)
            shown = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
            self._set_preview(f"matches “{shown}”")

    def _set_preview(self, text: str) -> None:
        self.preview.setText(text)
        self.preview.setVisible(bool(text))

    def focus_widgets(self) -> list[QWidget]:
        return [self.pattern_edit, *self.flag_boxes.values(), self.sample_edit]
