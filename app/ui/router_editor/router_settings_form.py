"""A router's own settings: name, description, the fallback chain, stickiness and the
classifier that decides plain-English rules.

Like the rule form, it writes back only the keys it owns and keeps the rest.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.target_choices import TargetChoice
from app.core.router.schema import ClassifierConfig, Privacy
from app.core.router.targets import is_local, model_of
from app.ui.inline_message import InlineMessage
from app.ui.line_icons import line_icon
from app.ui.router_editor.compact_combo import compact
from app.ui.router_editor.error_line import with_error_line
from app.ui.router_editor.field_note import FieldNote
from app.ui.router_editor.target_picker import TargetPicker

_DEFAULT = ClassifierConfig()
_NO_PRIVACY = Privacy()
# "When a chat holds private data, later messages…" (the router's "privacy": {"history"}),
# and the one line that says what each choice means.
HISTORY = {"local": "stay on this computer",
           "redact": "go out with private values replaced by placeholders",
           "omit": "go out without the private messages"}
HISTORY_MEANS = {
    "local": "The whole chat stays with models on this computer, whatever the rules say.",
    "redact": ("Emails, card numbers and keys become placeholders such as [EMAIL_1] before a "
               "cloud model sees the chat; the reply shows the real values."),
    "omit": ("The private messages and the replies to them are left out of what a cloud "
             "model sees; the rest of the chat goes as written."),
}
METHODS = {"loglik": "Score each rule (fast, local models)", "grammar": "Write one rule's name"}
DECIDE_BY = {"auto": "Automatic: examples, else the model",
             "examples": "Compare with the example messages", "llm": "The model reads the rules"}
# What the words in the classifier box mean, said under (or on) the field itself.
THRESHOLD_LABEL, MARGIN_LABEL = "How close it must be", "Lead over the next rule"
THRESHOLD_NOTE = ("0 = unrelated, 1 = same meaning. A message goes to a rule only when it comes "
                  "at least this close to the rule's examples.")
MARGIN_NOTE = ("The closest rule must be ahead of the next one by this much; if two rules are "
               "too close to call, none is chosen and the fallback answers.")
CLASSIFIER_NOTE = ("Plain-English rules are decided together: by comparing the message with "
                   "each rule's example messages, or by a model that reads the rules.")


class RouterSettingsForm(QWidget):
    sig_changed = Signal()

    def __init__(self, targets: Sequence[TargetChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data: dict[str, Any] = {}
        self._targets = list(targets)
        self._loading = False
        self._errors: dict[str, InlineMessage] = {}
        self._threshold_given: object = _DEFAULT.threshold
        self._margin_given: object = _DEFAULT.margin

        self.name = QLineEdit()
        self.name.setAccessibleName("Router name")
        self.description = QPlainTextEdit()
        self.description.setAccessibleName("Router description")
        self.description.setTabChangesFocus(True)
        self.description.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.fallback = FallbackChain(targets)

        self.sticky = QCheckBox("Keep a conversation on the model a rule chose")
        self.sticky_minutes_on = QCheckBox("for")
        self.sticky_minutes = _spin(1, 24 * 60, " min", "Sticky minutes")
        self.sticky_messages_on = QCheckBox("or for")
        self.sticky_messages = _spin(1, 1000, " follow-up messages", "Sticky messages")
        sticky_row = QHBoxLayout()
        for w in (self.sticky_minutes_on, self.sticky_minutes, self.sticky_messages_on, self.sticky_messages):
            sticky_row.addWidget(w)
        sticky_row.addStretch(1)

        self.history = _combo(HISTORY, "When a chat holds private data, later messages")
        self.history_help = QLabel()
        self.history_help.setWordWrap(True)
        self.history_help.setAccessibleName("What this privacy choice means")

        self.classifier_target = TargetPicker(targets)
        self.decide_by = _combo(DECIDE_BY, "Decide plain-English rules by")
        self.method = _combo(METHODS, "How the model is asked")
        self.decide_by.setToolTip("Example messages: fast and private (a small model on this "
                                  "computer compares meanings). The model: reads each rule's "
                                  "description, slower. Automatic uses examples when every "
                                  "plain-English rule has at least three.")
        self.method.setToolTip("Score each rule: the model rates every rule in one quick pass. "
                               "Write one rule's name: the model answers with a rule and "
                               "cannot write anything else.")
        self.timeout = QDoubleSpinBox()
        self.timeout.setAccessibleName("Classifier timeout")
        self.timeout.setToolTip("If the classifier takes longer, no plain-English rule is "
                                "chosen and the fallback answers.")
        self.timeout.setRange(0.1, 60.0)
        self.timeout.setSingleStep(0.5)
        self.timeout.setSuffix(" s")
        self.context_turns = _spin(0, 20, " earlier turns", "Classifier context turns")
        self.context_turns.setToolTip("How many earlier messages and replies of the chat the "
                                      "classifier reads with the new message (0: the new one only).")
        self.max_tokens = _spin(8, 8192, " tokens", "Classifier message limit")
        self.max_tokens.setToolTip("A longer message is cut to this many tokens (a token is "
                                   "about three quarters of a word) before the classifier reads it.")
        self.embedding_model = compact(QComboBox())
        self.embedding_model.setAccessibleName("Model for examples")
        self.embedding_model.setToolTip("The local model that turns messages and examples into vectors "
                                        "(Automatic: all-MiniLM-L6-v2, the sentence encoder that ships "
                                        "with Switchboard, about 10 ms a message). Threshold and margin "
                                        "are tuned to it; another model needs its own.")
        self.threshold = _fraction(-1.0, 1.0, THRESHOLD_LABEL)
        self.threshold.setToolTip("How close a message must come to a rule's examples for the rule to "
                                  "take it (1 = same meaning, 0 = unrelated). Raise it if unrelated "
                                  "messages land on a rule; lower it if messages that belong are missed.")
        self.margin = _fraction(0.0, 1.0, MARGIN_LABEL)
        self.margin.setToolTip("How far the best rule must be ahead of the next one. Raise it if "
                               "messages flip between two similar rules.")
        self.threshold_note = FieldNote(THRESHOLD_NOTE)
        self.margin_note = FieldNote(MARGIN_NOTE)
        self.similarity_help = QLabel(
            "Each message is compared with every rule's examples: a rule scores how close the "
            "message comes to its three most similar examples, from 0 (unrelated) to 1 (same "
            "meaning). The closest rule wins only if its score reaches “how close it must be” "
            "(the threshold) and it leads the next rule by the margin; otherwise no rule is "
            "chosen and the fallback answers (in Automatic, the model above reads the rules "
            "instead). The defaults suit the bundled model for examples.")
        self.similarity_help.setWordWrap(True)
        self.similarity_help.setAccessibleName("What threshold and margin mean")
        self._fill_embedding_models(targets)

        form = QFormLayout()
        form.addRow("Name", self._with_error(self.name, "name"))
        form.addRow("Description", self.description)
        form.addRow(QLabel("If no rule matches, or a rule's model cannot answer, try in order:"))
        form.addRow(self._with_error(self.fallback, "fallback"))
        form.addRow(self.sticky)
        form.addRow(self._with_error(sticky_row, "sticky"))
        privacy = QGroupBox("Private data")
        pform = QFormLayout(privacy)
        pform.addRow(QLabel("When a chat holds private data, later messages…"))
        pform.addRow(self._with_error(self.history, "privacy.history"))
        pform.addRow(self.history_help)
        classifier = QGroupBox("Classifier (for plain-English rules)")
        cform = QFormLayout(classifier)
        self.classifier_note = FieldNote(CLASSIFIER_NOTE)
        cform.addRow(self.classifier_note)
        cform.addRow("Decide by", self.decide_by)
        cform.addRow("Model", self._with_error(self.classifier_target, "classifier.target"))
        cform.addRow("How it asks", self.method)
        cform.addRow("Time limit", self._with_error(self.timeout, "classifier.timeout_s"))
        cform.addRow("Chat history", self.context_turns)
        cform.addRow("Reads at most", self.max_tokens)
        cform.addRow("Model for examples",
                     self._with_error(self.embedding_model, "classifier.embedding_model"))
        cform.addRow(THRESHOLD_LABEL, self._noted(self.threshold, "classifier.threshold",
                                                  self.threshold_note))
        cform.addRow(MARGIN_LABEL, self._noted(self.margin, "classifier.margin", self.margin_note))
        cform.addRow(self.similarity_help)
        self.general_error = InlineMessage("Router problem")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(privacy)
        layout.addWidget(classifier)
        layout.addWidget(self.general_error)
        layout.addStretch(1)

        self.name.textEdited.connect(self._changed)
        self.description.textChanged.connect(self._changed)
        self.fallback.sig_changed.connect(self._changed)
        for box in (self.sticky, self.sticky_minutes_on, self.sticky_messages_on):
            box.toggled.connect(self._on_sticky)
        for spin in (self.sticky_minutes, self.sticky_messages, self.context_turns, self.max_tokens):
            spin.valueChanged.connect(self._changed)
        self.timeout.valueChanged.connect(self._changed)
        self.classifier_target.sig_changed.connect(self._changed)
        self.decide_by.currentIndexChanged.connect(self._changed)
        self.method.currentIndexChanged.connect(self._changed)
        self.embedding_model.currentIndexChanged.connect(self._changed)
        self.threshold.valueChanged.connect(self._changed)
        self.margin.valueChanged.connect(self._changed)
        self.history.currentIndexChanged.connect(self._on_history)

    def _with_error(self, field: QWidget | QHBoxLayout, key: str) -> QWidget:
        box, self._errors[key] = with_error_line(field, f"Problem with {key}")
        return box

    def _noted(self, field: QWidget, key: str, note: FieldNote) -> QWidget:
        """``field`` with its error line, and under them the note saying what it means."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._with_error(field, key))
        layout.addWidget(note)
        field.setAccessibleDescription(note.text())
        return box

    # ---- loading ------------------------------------------------------------------------

    def set_router(self, data: dict[str, Any]) -> None:
        self._loading = True
        self._data = copy.deepcopy(data)
        self.name.setText(str(data.get("name", "")))
        self.description.setPlainText(str(data.get("description", "")))
        fallback = data.get("fallback")
        self.fallback.set_targets([str(t) for t in fallback] if isinstance(fallback, list) else [])
        sticky = data.get("sticky") if isinstance(data.get("sticky"), dict) else None
        self.sticky.setChecked(sticky is not None)
        minutes = (sticky or {}).get("minutes")
        messages = (sticky or {}).get("messages")
        self.sticky_minutes_on.setChecked(isinstance(minutes, int))
        self.sticky_minutes.setValue(minutes if isinstance(minutes, int) else 30)
        self.sticky_messages_on.setChecked(isinstance(messages, int) or sticky is None)
        self.sticky_messages.setValue(messages if isinstance(messages, int) else 3)
        self._enable_sticky()
        privacy = data.get("privacy")
        p: dict[str, Any] = privacy if isinstance(privacy, dict) else {}
        _select(self.history, str(p.get("history", _NO_PRIVACY.history)))
        self._explain_history()
        classifier = data.get("classifier")
        c: dict[str, Any] = classifier if isinstance(classifier, dict) else {}
        self.classifier_target.set_target(str(c.get("target", _DEFAULT.target)))
        _select(self.decide_by, str(c.get("decide_by", _DEFAULT.decide_by)))
        _select(self.method, str(c.get("method", _DEFAULT.method)))
        self.timeout.setValue(float(c.get("timeout_s", _DEFAULT.timeout_s)))
        self.context_turns.setValue(int(c.get("context_turns", _DEFAULT.context_turns)))
        self.max_tokens.setValue(int(c.get("max_message_tokens", _DEFAULT.max_message_tokens)))
        _select(self.embedding_model, str(c.get("embedding_model") or ""))
        threshold, margin = c.get("threshold", _DEFAULT.threshold), c.get("margin", _DEFAULT.margin)
        self._threshold_given, self._margin_given = threshold, margin
        self.threshold.setValue(float(threshold))
        self.margin.setValue(float(margin))
        self.clear_errors()
        self._loading = False

    def set_targets(self, targets: Sequence[TargetChoice]) -> None:
        self.fallback.set_choices(targets)
        self.classifier_target.set_choices(targets)
        self._fill_embedding_models(targets)

    def _fill_embedding_models(self, targets: Sequence[TargetChoice]) -> None:
        """Downloaded local models only: embeddings are made on this computer."""
        current = self.embedding_model.currentData()
        self.embedding_model.blockSignals(True)
        self.embedding_model.clear()
        self.embedding_model.addItem("Automatic", "")
        for choice in targets:
            if is_local(choice.target) and choice.problem is None:
                self.embedding_model.addItem(model_of(choice.target), choice.target)
        _select(self.embedding_model, current)
        self.embedding_model.blockSignals(False)

    # ---- reading ------------------------------------------------------------------------

    def value(self) -> dict[str, Any]:
        """The router's JSON with this form's fields in place (rules untouched)."""
        data = copy.deepcopy(self._data)
        data["name"] = self.name.text().strip()
        description = self.description.toPlainText().strip()
        if description:
            data["description"] = description
        else:
            data.pop("description", None)
        data["fallback"] = self.fallback.targets()
        if self.sticky.isChecked():
            sticky = {}
            if self.sticky_minutes_on.isChecked():
                sticky["minutes"] = self.sticky_minutes.value()
            if self.sticky_messages_on.isChecked():
                sticky["messages"] = self.sticky_messages.value()
            data["sticky"] = sticky
        else:
            data.pop("sticky", None)
        privacy = self._privacy()
        if privacy:
            data["privacy"] = privacy
        else:
            data.pop("privacy", None)
        classifier = self._classifier()
        if classifier:
            data["classifier"] = classifier
        else:
            data.pop("classifier", None)
        return data

    def _privacy(self) -> dict[str, Any]:
        """The privacy choice, written only when it is not the default (as dump_router does)."""
        given = self._data.get("privacy")
        out: dict[str, Any] = copy.deepcopy(given) if isinstance(given, dict) else {}
        history = self.history.currentData()
        if history == _NO_PRIVACY.history:
            out.pop("history", None)
        else:
            out["history"] = history
        return out

    def _classifier(self) -> dict[str, Any]:
        """Only what differs from the defaults, as the file format writes it."""
        given = self._data.get("classifier")
        out: dict[str, Any] = copy.deepcopy(given) if isinstance(given, dict) else {}
        fields: dict[str, Any] = {
            "target": self.classifier_target.target().strip(),
            "decide_by": self.decide_by.currentData(),
            "method": self.method.currentData(),
            "timeout_s": round(self.timeout.value(), 2),
            "context_turns": self.context_turns.value(),
            "max_message_tokens": self.max_tokens.value(),
            "embedding_model": self.embedding_model.currentData() or None,
            # A spin box shows 3 decimals: a value it cannot show is kept until edited.
            "threshold": _kept(self.threshold.value(), self._threshold_given),
            "margin": _kept(self.margin.value(), self._margin_given),
        }
        for key, value in fields.items():
            default = getattr(_DEFAULT, key)
            if value == default and key not in out:
                continue
            if value == default:
                out.pop(key)
            else:
                out[key] = value
        return out

    # ---- errors -------------------------------------------------------------------------

    def show_error(self, path: str, message: str) -> None:
        self.clear_errors()
        key = path.split("[", 1)[0]
        if key not in self._errors and key.startswith("classifier."):
            key = "classifier.target" if key.endswith("target") else key
        if key == "fallback" and self.fallback.show_error(path, message):
            return
        label = self._errors.get(key, self.general_error)
        label.set_message(message if label is not self.general_error or not path else f"{path}: {message}",
                          "error")

    def clear_errors(self) -> None:
        for label in (*self._errors.values(), self.general_error):
            label.set_message("")
        self.fallback.clear_errors()

    def _changed(self) -> None:
        if not self._loading:
            self.sig_changed.emit()

    def _on_history(self) -> None:
        self._explain_history()
        self._changed()

    def _explain_history(self) -> None:
        meaning = HISTORY_MEANS.get(self.history.currentData(), "")
        self.history_help.setText(meaning)
        self.history_help.setVisible(bool(meaning))

    def _on_sticky(self) -> None:
        self._enable_sticky()
        self._changed()

    def _enable_sticky(self) -> None:
        on = self.sticky.isChecked()
        self.sticky_minutes_on.setEnabled(on)
        self.sticky_messages_on.setEnabled(on)
        self.sticky_minutes.setEnabled(on and self.sticky_minutes_on.isChecked())
        self.sticky_messages.setEnabled(on and self.sticky_messages_on.isChecked())


class FallbackChain(QWidget):
    """The fallback targets in order, one picker a row, with up / remove buttons."""

    sig_changed = Signal()

    def __init__(self, targets: Sequence[TargetChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._choices = list(targets)
        self._rows: list[tuple[QWidget, TargetPicker]] = []
        self.rows = QVBoxLayout()
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("+ Add fallback")
        self.add_button.clicked.connect(self._add_clicked)
        self.error = InlineMessage("Problem with fallback")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)

    def set_choices(self, targets: Sequence[TargetChoice]) -> None:
        self._choices = list(targets)
        for _, picker in self._rows:
            picker.set_choices(targets)

    def set_targets(self, targets: list[str]) -> None:
        while self._rows:
            self._take(0)
        for target in targets:
            self._append(target)

    def targets(self) -> list[str]:
        return [picker.target().strip() for _, picker in self._rows]

    def pickers(self) -> list[TargetPicker]:
        return [picker for _, picker in self._rows]

    def show_error(self, path: str, message: str) -> bool:
        self.clear_errors()
        if not path.startswith("fallback["):
            return False
        index = int(path[len("fallback["):].split("]", 1)[0])
        if not 0 <= index < len(self._rows):
            return False
        row, picker = self._rows[index]
        picker.setToolTip(message)
        label = row.findChild(InlineMessage)
        if label is None:
            return False
        label.set_message(message, "error")
        return True

    def clear_errors(self) -> None:
        for row, _ in self._rows:
            label = row.findChild(InlineMessage)
            if label is not None:
                label.set_message("")

    def _append(self, target: str) -> None:
        row = QWidget()
        picker = TargetPicker(self._choices)
        picker.set_target(target)
        picker.setAccessibleName(f"Fallback {len(self._rows) + 1}")
        up = QToolButton()
        up.setIcon(line_icon("up", self.palette()))
        up.setAccessibleName("Try earlier")
        up.setToolTip("Try this one earlier")
        remove = QToolButton()
        remove.setText("×")
        remove.setAccessibleName("Remove fallback")
        remove.setToolTip("Remove from the fallback chain")
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(picker, 1)
        line.addWidget(up)
        line.addWidget(remove)
        box = QVBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(line)
        box.addWidget(InlineMessage("Problem with this fallback"))
        self._rows.append((row, picker))
        self.rows.addWidget(row)
        up.setObjectName("fallbackUp")
        self._update_up_buttons()
        picker.sig_changed.connect(lambda _: self.sig_changed.emit())
        up.clicked.connect(lambda: self._raise(row))
        remove.clicked.connect(lambda: self._remove(row))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light ↔ dark: redraw the arrows
            for row, _ in getattr(self, "_rows", []):
                up = row.findChild(QToolButton, "fallbackUp")
                if up is not None:
                    up.setIcon(line_icon("up", self.palette()))

    def _take(self, index: int) -> None:
        row, _ = self._rows.pop(index)
        self.rows.removeWidget(row)
        row.setParent(None)  # gone from the form now, not when the deferred delete runs
        row.deleteLater()
        self._update_up_buttons()

    def _update_up_buttons(self) -> None:
        for index, (row, _) in enumerate(self._rows):
            up = row.findChild(QToolButton, "fallbackUp")
            if up is not None:
                up.setEnabled(index > 0)  # the first is tried first already

    def _index(self, row: QWidget) -> int:
        return next(i for i, (r, _) in enumerate(self._rows) if r is row)

    def _add_clicked(self) -> None:
        used = set(self.targets())
        free = next((c.target for c in self._choices if c.target not in used), "")
        self._append(free)
        self.sig_changed.emit()

    def _remove(self, row: QWidget) -> None:
        self._take(self._index(row))
        self.sig_changed.emit()

    def _raise(self, row: QWidget) -> None:
        index = self._index(row)
        if index == 0:
            return
        targets = self.targets()
        targets[index - 1], targets[index] = targets[index], targets[index - 1]
        for (_, picker), target in zip(self._rows, targets, strict=True):
            picker.set_target(target)
        self.sig_changed.emit()


def _spin(low: int, high: int, suffix: str, name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setAccessibleName(name)
    return spin


def _combo(items: dict[str, str], name: str) -> QComboBox:
    combo = compact(QComboBox())
    combo.setAccessibleName(name)
    for key, label in items.items():
        combo.addItem(label, key)
    return combo


def _fraction(low: float, high: float, name: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(3)
    spin.setSingleStep(0.005)
    spin.setAccessibleName(name)
    return spin


def _kept(shown: float, given: object) -> float:
    # Within half a step of what the box shows: the box rounded it, the user did not edit.
    if isinstance(given, (int, float)) and abs(float(given) - shown) <= 0.0005 + 1e-9:
        return float(given)
    return shown


def _select(combo: QComboBox, key: str) -> None:
    index = combo.findData(key)
    if index < 0:  # a value this form does not offer (a newer Switchboard's, a model
        combo.addItem(key, key)  # not downloaded here): show it rather than change it
        index = combo.count() - 1
    combo.setCurrentIndex(index)
