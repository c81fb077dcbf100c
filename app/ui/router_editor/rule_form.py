"""One rule's form: title, target, and either conditions or a plain-English
description with example messages.

The rule's id (how files, traces and examples refer to it) is not shown: a new rule's
id is made from its title and follows it while the title is edited; a saved rule keeps
the id it has, so what refers to it still does.

The form edits a copy of the rule's JSON and writes back only the keys it owns, so a
field from a newer Switchboard survives a round trip through this editor.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.controller.target_choices import TargetChoice
from app.ui.inline_message import InlineMessage
from app.ui.router_editor.compact_combo import compact
from app.ui.router_editor.conditions.when_editor import WhenEditor
from app.ui.router_editor.error_line import with_error_line
from app.ui.router_editor.target_picker import TargetPicker

CALCULATED, CLASSIFIED = 0, 1
_OWNED = ("id", "title", "type", "enabled", "when", "description", "examples", "route_to", "private")
PRIVATE_TIP = ("A message this rule matches is marked private, as one holding an email address "
               "or a card number is: it never goes to a cloud model, and the rest of its chat "
               "follows the router's choice for private data (Router settings).")


class RuleForm(QWidget):
    sig_changed = Signal()

    def __init__(self, targets: Sequence[TargetChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rule: dict[str, Any] = {}
        self._unique_id: Callable[[str], str] = lambda wanted: wanted
        self._id_follows_title = False
        self._loading = False
        self._errors: dict[str, InlineMessage] = {}

        self._rule_id = ""
        self.title = QLineEdit()
        self.title.setAccessibleName("Rule title")
        self.title.setPlaceholderText("What this rule is for, e.g. “Contracts go to Claude”")
        self.title.setToolTip("The rule's name in the list, in the test panel and in each "
                              "reply's routing note")
        self.enabled = QCheckBox("Use this rule")
        self.enabled.setAccessibleName("Use this rule")
        self.enabled.setToolTip("Untick to keep the rule but skip it for now (the tick in "
                                "the rule list does the same)")
        self.private = QCheckBox("Messages this rule matches are private")
        self.private.setAccessibleName("Messages this rule matches are private")
        self.private.setToolTip(PRIVATE_TIP)
        self.private.setAccessibleDescription(PRIVATE_TIP)
        self.target = TargetPicker(targets)
        self.kind = compact(QComboBox())
        self.kind.setAccessibleName("Decided by")
        self.kind.addItems(["Conditions (checked on every message, instantly)",
                            "Plain English (the classifier model reads the message)"])

        self.when = WhenEditor(targets)
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Description")
        self.description.setPlaceholderText("Describe the messages this rule is for, e.g. "
                                            "“Multi-step math, proofs or tricky logic puzzles”")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.examples = ExampleList()
        plain = QWidget()
        plain_layout = QVBoxLayout(plain)
        plain_layout.setContentsMargins(0, 0, 0, 0)
        plain_layout.addWidget(self.description)
        plain_layout.addWidget(self._error_label("description"))
        examples_label = QLabel("Example messages: the more there are, the better the router "
                                "recognises messages like them.")
        examples_label.setWordWrap(True)
        plain_layout.addWidget(examples_label)
        plain_layout.addWidget(self.examples, 1)
        plain_layout.addWidget(self._error_label("examples"))
        self.body = QStackedWidget()
        self.body.addWidget(self._with_error(self.when, "when"))
        self.body.addWidget(plain)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.enabled)
        form.addRow("Title", self._with_error(title_row, "title"))
        # The id comes from the title, so a problem with it is shown there.
        self._errors["id"] = self._errors["title"]
        form.addRow("Send to", self._with_error(self.target, "route_to"))
        form.addRow("Decided by", self.kind)
        form.addRow("", self.private)
        self.rule_error = InlineMessage("Rule problem")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.rule_error)
        layout.addWidget(self.body, 1)

        self.title.textEdited.connect(self._on_title)
        self.enabled.toggled.connect(self._changed)
        self.private.toggled.connect(self._changed)
        self.target.sig_changed.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.when.sig_changed.connect(self._changed)
        self.description.textChanged.connect(self._changed)
        self.examples.sig_changed.connect(self._changed)

    def _error_label(self, key: str) -> InlineMessage:
        label = InlineMessage(f"Problem with {key}")
        self._errors[key] = label
        return label

    def _with_error(self, field: QWidget | QHBoxLayout, key: str) -> QWidget:
        box, self._errors[key] = with_error_line(field, f"Problem with {key}")
        return box

    # ---- loading ------------------------------------------------------------------------

    def set_rule(self, rule: dict[str, Any], unique_id: Callable[[str], str], saved: bool = False) -> None:
        """Show ``rule``; ``saved``: it is in the router's file, so its id stays as it is."""
        self._loading = True
        self._rule = copy.deepcopy(rule)
        self._unique_id = unique_id
        self.title.setText(str(rule.get("title", "")))
        self._rule_id = str(rule.get("id", ""))
        self._id_follows_title = not saved and self._rule_id == unique_id(str(rule.get("title", "")))
        self.enabled.setChecked(rule.get("enabled", True) is not False)
        self.private.setChecked(rule.get("private") is True)
        self.target.set_target(str(rule.get("route_to", "")))
        classified = rule.get("type") == "classified"
        self.kind.setCurrentIndex(CLASSIFIED if classified else CALCULATED)
        self.body.setCurrentIndex(CLASSIFIED if classified else CALCULATED)
        when = rule.get("when")
        self.when.set_value(when if isinstance(when, dict) else None)
        self.description.setPlainText(str(rule.get("description", "")))
        examples = rule.get("examples")
        self.examples.set_examples([str(e) for e in examples] if isinstance(examples, list) else [])
        self.clear_errors()
        self._loading = False

    def set_targets(self, targets: Sequence[TargetChoice]) -> None:
        self.target.set_choices(targets)
        self.when.set_targets(targets)

    # ---- reading ------------------------------------------------------------------------

    def value(self) -> dict[str, Any]:
        out = {k: v for k, v in self._rule.items() if k not in _OWNED}
        rule: dict[str, Any] = {"id": self._rule_id}
        if self.title.text().strip():
            rule["title"] = self.title.text().strip()
        classified = self.kind.currentIndex() == CLASSIFIED
        if classified:
            rule["type"] = "classified"
        if not self.enabled.isChecked():
            rule["enabled"] = False
        if self.private.isChecked():
            rule["private"] = True
        if classified:
            rule["description"] = self.description.toPlainText().strip()
            examples = self.examples.examples()
            if examples:
                rule["examples"] = examples
        else:
            when = self.when.value()
            if when is not None:
                rule["when"] = when
            if self._rule.get("description"):  # a calculated rule's note, kept as it was
                rule["description"] = self._rule["description"]
        rule["route_to"] = self.target.target().strip()
        return {**rule, **out}

    def problem(self) -> str | None:
        """What the form itself knows is wrong before the core is asked (a regex that
        does not compile yet, a condition group still empty)."""
        return self.when.problem() if self.kind.currentIndex() == CALCULATED else None

    # ---- errors -------------------------------------------------------------------------

    def show_error(self, path: str, message: str) -> None:
        """The core's error at ``path`` (relative to the rule), next to its field."""
        self.clear_errors()
        key = path.partition(".")[0].split("[", 1)[0]
        if key == "when" and self.when.show_error(path[len("when"):].lstrip("."), message):
            return
        label = self._errors.get(key)
        if label is None or (key == "when" and self.kind.currentIndex() != CALCULATED):
            label = self.rule_error
        label.set_message(message, "error")

    def clear_errors(self) -> None:
        for label in (*self._errors.values(), self.rule_error):
            label.set_message("")
        self.when.clear_errors()

    # ---- reactions ----------------------------------------------------------------------

    def _changed(self) -> None:
        if not self._loading:
            self.sig_changed.emit()

    def rule_id(self) -> str:
        """The id the rule is saved with (never shown: see the module's docstring)."""
        return self._rule_id

    def _on_title(self, title: str) -> None:
        if self._id_follows_title:
            self._rule_id = self._unique_id(title)
        self._changed()

    def _on_kind(self, index: int) -> None:
        self.body.setCurrentIndex(index)
        self._changed()


class ExampleList(QWidget):
    """Example messages of a plain-English rule: add, edit in place, remove."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Example messages")
        self.list.setWordWrap(True)
        self.list.itemChanged.connect(lambda _: self.sig_changed.emit())
        self.entry = QLineEdit()
        self.entry.setAccessibleName("New example")
        self.entry.setPlaceholderText("Type an example message and press Enter")
        self.entry.returnPressed.connect(self._add)
        add = QPushButton("Add")
        add.clicked.connect(self._add)
        remove = QPushButton("Remove")
        remove.setAccessibleName("Remove example")
        remove.clicked.connect(self._remove)
        row = QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(add)
        row.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)

    def set_examples(self, examples: list[str]) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for text in examples:
            self._append(text)
        self.list.blockSignals(False)

    def examples(self) -> list[str]:
        texts = (self.list.item(i).text().strip() for i in range(self.list.count()))
        return [t for t in texts if t]

    def add_example(self, text: str) -> None:
        if text.strip() and text.strip() not in self.examples():
            self._append(text.strip())
            self.sig_changed.emit()

    def _append(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.list.addItem(item)

    def _add(self) -> None:
        text = self.entry.text()
        self.entry.clear()
        self.add_example(text)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.sig_changed.emit()
