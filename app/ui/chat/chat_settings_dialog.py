"""Chat settings: this chat's system prompt, sampling, reply length, context policy, and
one model instead of its router. Opened from the chat header; stored with the chat.

Every field can be left "as the model decides" (or, for the policy, "as Settings say"),
which stores nothing for it: the person sees what they changed, and the rest follows the
app's defaults when those change.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.controller.target_choices import TargetChoice
from app.core.chat_settings import ChatSettings, ChatSettingsError, ContextPolicy

MODEL_DEFAULT = "Model default"
POLICY_WORDS = {
    ContextPolicy.ROLLING: "Rolling: send the system prompt and as many recent messages as fit",
    ContextPolicy.SUMMARIZE: "Summarize: older messages summarized on this computer, recent ones in full",
    ContextPolicy.STOP: "Stop: send everything, or ask me when it no longer fits",
}
ROUTER_DECIDES = "The router decides"


class ChatSettingsDialog(QDialog):
    def __init__(self, settings: ChatSettings, default_policy: ContextPolicy,
                 targets: Sequence[TargetChoice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Chat settings")
        self.setAccessibleName("Chat settings")
        self.setMinimumWidth(520)
        self._result: ChatSettings | None = None

        self.system_prompt = QPlainTextEdit(settings.system_prompt)
        self.system_prompt.setAccessibleName("System prompt")
        self.system_prompt.setPlaceholderText("How the assistant should behave in this chat, "
                                              "e.g. “Answer in French, briefly.”")
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setFixedHeight(self.system_prompt.fontMetrics().lineSpacing() * 5 + 14)

        self.model = QComboBox()
        self.model.setAccessibleName("Model for this chat")
        self.model.addItem(ROUTER_DECIDES, None)
        for choice in targets:
            self.model.addItem(choice.label, choice.target)
        if settings.target is not None and self.model.findData(settings.target) < 0:
            self.model.addItem(settings.target, settings.target)
        self.model.setCurrentIndex(max(0, self.model.findData(settings.target)))

        self.policy = QComboBox()
        self.policy.setAccessibleName("When the chat outgrows the model's context")
        self.policy.addItem(f"As in Settings ({default_policy.value.capitalize()})", None)
        for policy, words in POLICY_WORDS.items():
            self.policy.addItem(words, policy.value)
        self.policy.setCurrentIndex(max(0, self.policy.findData(
            settings.context_policy.value if settings.context_policy else None)))

        self.temperature = _optional_float(0.0, 2.0, 0.05, settings.temperature, "Temperature")
        self.top_p = _optional_float(0.0, 1.0, 0.05, settings.top_p, "Top-p")
        self.max_tokens = QSpinBox()
        self.max_tokens.setAccessibleName("Longest reply in tokens")
        self.max_tokens.setRange(0, 1_000_000)
        self.max_tokens.setSpecialValueText(MODEL_DEFAULT)
        self.max_tokens.setSingleStep(64)
        self.max_tokens.setValue(settings.max_tokens or 0)
        for box in (self.temperature, self.top_p, self.max_tokens):
            box.setMinimumWidth(box.fontMetrics().horizontalAdvance(MODEL_DEFAULT) + 48)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("System prompt:", self.system_prompt)
        form.addRow("Model:", self.model)
        form.addRow("Long chats:", self.policy)
        form.addRow("Temperature:", self.temperature)
        form.addRow("Top-p:", self.top_p)
        form.addRow("Longest reply:", self.max_tokens)
        hint = QLabel("Lower temperature: steadier answers; higher: more varied. Leave a value at "
                      "“Model default” to let the model decide. These settings belong to this chat "
                      "only and are exported with it.")
        hint.setWordWrap(True)
        hint.setAccessibleName("About chat settings")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problem")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def chosen(self) -> ChatSettings | None:
        """What Save produced; None when cancelled."""
        return self._result

    def _save(self) -> None:
        policy = self.policy.currentData()
        try:
            self._result = ChatSettings(
                system_prompt=self.system_prompt.toPlainText().strip(),
                temperature=_value(self.temperature), top_p=_value(self.top_p),
                max_tokens=self.max_tokens.value() or None,
                context_policy=ContextPolicy(policy) if policy else None,
                target=self.model.currentData(),
            )
        except ChatSettingsError as error:
            self._show_error(str(error))
            return
        self.accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def _optional_float(low: float, high: float, step: float, value: float | None, name: str) -> QDoubleSpinBox:
    """A spin box whose lowest position, one step below ``low``, means "model default"."""
    box = QDoubleSpinBox()
    box.setAccessibleName(name)
    box.setDecimals(2)
    box.setRange(low - step, high)
    box.setSingleStep(step)
    box.setSpecialValueText(MODEL_DEFAULT)
    box.setValue(low - step if value is None else value)
    return box


def _value(box: QDoubleSpinBox) -> float | None:
    return None if box.value() == box.minimum() else round(box.value(), 2)
