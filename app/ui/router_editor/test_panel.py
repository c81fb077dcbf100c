"""The router editor's test panel: type a message, see where the draft router sends it.

The panel only gathers inputs and shows what ``RoutePreview`` decides, so what it
shows is what the engine does at chat time (and what ``python -m app route`` prints).
Calculated rules are decided on every edit (debounced: one decision per pause in
typing), and so are plain-English rules decided by their examples (milliseconds with the
bundled encoder); rules left to a classifier model wait for "Run classifier", because
asking a model costs real time and CPU.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.route_preview import PreviewInput, RoutePreview, parse_history
from app.controller.route_words import Route, RouteKind, decided_by
from app.core.router import Decision, Router
from app.core.router.classifier import TIMED_OUT, ClassifierAnswer
from app.core.router.example_classifier import decides_by_examples
from app.core.router.targets import model_of
from app.ui import theme
from app.ui.chat.trace_view import TraceView
from app.ui.error_presenter import error_text, show_error
from app.ui.inline_message import InlineMessage
from app.ui.task_runner import TaskRunner

DEBOUNCE_MS = 120
CLASSIFY = "classify"
PLACEHOLDER = "Type a message to see where it goes"


class TestPanel(QWidget):
    __test__ = False  # a widget, not a pytest test class

    sig_add_example = Signal(str, str)  # rule id, message
    sig_decision_changed = Signal(object)  # the Decision now shown, or None

    def __init__(self, preview: RoutePreview, offline: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Test the router")
        self._preview = preview
        self._router: Router | None = None
        self._decision: Decision | None = None
        # A classifier answer for older inputs is dropped: a new edit supersedes the ask.
        self._runner = TaskRunner(self)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._recompute)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_inputs(offline))
        self.problem = InlineMessage("Router problem")
        layout.addWidget(self.problem)
        self._output = self._build_output()
        layout.addWidget(self._output, 1)
        self._show_decision(None)

    # ---- building ------------------------------------------------------------------------

    def _build_inputs(self, offline: bool) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)

        self.message = QPlainTextEdit()
        self.message.setPlaceholderText(PLACEHOLDER)
        self.message.setAccessibleName("Test message")
        self.message.setTabChangesFocus(True)
        self.message.setMaximumHeight(self.message.fontMetrics().lineSpacing() * 6)
        self.message.textChanged.connect(self._schedule)
        layout.addWidget(self.message)

        options = QHBoxLayout()
        self.image = QCheckBox("Image attached")
        self.offline = QCheckBox("Offline")
        self.offline.setChecked(offline)
        self.offline.setToolTip("Treat every cloud target as unreachable")
        self.pretend = QCheckBox("Pretend it is")
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setAccessibleName("Pretend time")
        self.when.setDisplayFormat("ddd yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setEnabled(False)
        self.pretend.toggled.connect(self.when.setEnabled)
        for check in (self.image, self.offline, self.pretend):
            check.toggled.connect(self._schedule)
        self.when.dateTimeChanged.connect(self._schedule)
        for widget in (self.image, self.offline):
            options.addWidget(widget)
        options.addStretch(1)
        layout.addLayout(options)
        pretend = QHBoxLayout()  # a row of its own: the panel stays narrow beside the form
        pretend.addWidget(self.pretend)
        pretend.addWidget(self.when)
        pretend.addStretch(1)
        layout.addLayout(pretend)

        self.history_toggle = QToolButton()
        self.history_toggle.setText("Earlier messages")
        self.history_toggle.setCheckable(True)
        self.history_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.history_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.history_toggle.setAutoRaise(True)
        self.history_toggle.toggled.connect(self._toggle_history)
        layout.addWidget(self.history_toggle)
        self.history = QPlainTextEdit()
        self.history.setAccessibleName("Earlier messages")
        self.history.setPlaceholderText("One message per line; start a reply with \"assistant:\"")
        self.history.setTabChangesFocus(True)
        self.history.setMaximumHeight(self.history.fontMetrics().lineSpacing() * 5)
        self.history.setVisible(False)
        self.history.textChanged.connect(self._schedule)
        layout.addWidget(self.history)
        return box

    def _build_output(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)

        self.headline = QLabel()
        self.headline.setAccessibleName("Routed to")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.headline.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.headline.setFont(font)
        layout.addWidget(self.headline)

        self.rule_label = QLabel()
        self.rule_label.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_foreground(self.rule_label, theme.muted_text(self.palette()))
        layout.addWidget(self.rule_label)

        self.reason = QLabel()
        self.reason.setAccessibleName("Why")
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.reason)

        buttons = QHBoxLayout()
        self.classify_button = QPushButton("Run classifier")
        self.classify_button.setToolTip("Ask the router's classifier model about the plain-English rules")
        self.classify_button.clicked.connect(self.run_classifier)
        buttons.addWidget(self.classify_button)
        self.example_button = QToolButton()
        self.example_button.setText("Add as example of…")
        self.example_button.setToolTip("Keep this message as an example for a plain-English rule")
        self.example_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.example_menu = QMenu(self.example_button)
        self.example_button.setMenu(self.example_menu)
        buttons.addWidget(self.example_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.classifier_status = QLabel()
        self.classifier_status.setAccessibleName("Classifier")
        self.classifier_status.setTextFormat(Qt.TextFormat.PlainText)
        self.classifier_status.setWordWrap(True)
        layout.addWidget(self.classifier_status)

        self.trace = TraceView()
        # Here the trace fills the panel's column (its rows scroll), rather than being only
        # as tall as its rows, as in the trace dialog: else the labels above drift apart.
        self.trace.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout.addWidget(self.trace, 1)
        return box

    # ---- API -----------------------------------------------------------------------------

    def set_router(self, router: Router | None, problem: str | None = None) -> None:
        """The editor's current draft; None (with the validation problem) while it is broken."""
        self._router = router
        if router is None:
            self._timer.stop()
            self._runner.cancel(CLASSIFY)
            self.problem.set_message(f"Fix the router to test it: {problem}" if problem else "", "error")
            self._show_decision(None)
            return
        self.problem.set_message("")
        self._schedule()

    def decision(self) -> Decision | None:
        return self._decision

    def preview_input(self) -> PreviewInput:
        now = None
        if self.pretend.isChecked():
            local = self.when.dateTime().toPython()  # naive, in local time
            assert isinstance(local, datetime)
            now = local.astimezone()
        return PreviewInput(self.message.toPlainText(), self.image.isChecked(), now,
                            self.offline.isChecked(), parse_history(self.history.toPlainText()))

    def is_pending(self) -> bool:
        """True while an edit waits for its debounced decision."""
        return self._timer.isActive()

    def is_asking(self) -> bool:
        """True while a classifier call started here has not come back."""
        return self._runner.busy(CLASSIFY)

    def run_classifier(self) -> None:
        decision, router = self._decision, self._router
        if decision is None or router is None or not decision.needs_classifier:
            return
        self.classify_button.setEnabled(False)
        self.classifier_status.setText("Comparing with the rules' examples…"
                                       if self._decides_live(router, decision)
                                       else f"Asking {model_of(router.classifier.target)}…")
        self._runner.run(CLASSIFY, self._preview.classify(router, decision, self.preview_input()),
                         on_success=self._show_answer, on_failure=self._classifier_failed)

    # ---- deciding ------------------------------------------------------------------------

    def _schedule(self) -> None:
        self._runner.cancel(CLASSIFY)  # what it would answer no longer matches the inputs
        if self._router is not None:
            self._timer.start()

    def _recompute(self) -> None:
        if self._router is None:
            return
        self._runner.cancel(CLASSIFY)
        try:
            decision = self._preview.decide(self._router, self.preview_input())
        except Exception as exc:  # noqa: BLE001 - a bug in a condition must not take the editor down
            show_error(self.problem, exc, "Could not route the message:")
            self._show_decision(None)
            return
        self._show_decision(decision)

    @staticmethod
    def _decides_live(router: Router, decision: Decision) -> bool:
        rules = [router.rule(rule_id) for rule_id in decision.needs_classifier]
        return decides_by_examples(rules, router.classifier)

    def _show_answer(self, result: tuple[Decision, ClassifierAnswer]) -> None:
        answered, answer = result
        self._show_decision(answered, answered=True)
        if self._router is not None:
            self.classifier_status.setText(_answer_line(answer, self._router))

    def _classifier_failed(self, exc: BaseException) -> None:
        # The calculated decision stays; the words say what went wrong.
        self.classifier_status.setText(error_text(exc, "The classifier failed:") or "")
        self.classify_button.setEnabled(True)

    # ---- showing -------------------------------------------------------------------------

    def _show_decision(self, decision: Decision | None, answered: bool = False) -> None:
        self._decision = decision
        router = self._router
        self._output.setVisible(decision is not None)
        self.classifier_status.clear()
        self.trace.clear()
        if decision is None or router is None:
            self.headline.clear()
            self.rule_label.clear()
            self.reason.clear()
            self.classify_button.setVisible(False)
            self.example_button.setVisible(False)
            self.sig_decision_changed.emit(decision)
            return

        self.headline.setText(f"→ {decision.target}" if decision.target else "No target is available")
        self.rule_label.setText(_rule_line(decision, router))
        self.reason.setText(decision.reason)
        self.trace.set_entries(decision.trace)

        waiting = bool(decision.needs_classifier) and not answered
        self.classify_button.setVisible(waiting)
        self.classify_button.setEnabled(True)
        if waiting and self._decides_live(router, decision):
            self.run_classifier()  # by examples it takes milliseconds: no button to press
        classified = [r for r in router.rules if r.classified]
        self.example_menu.clear()
        for rule in classified:
            action = self.example_menu.addAction(rule.label)
            action.triggered.connect(lambda _=False, rule_id=rule.id: self._add_example(rule_id))
        self.example_button.setVisible(bool(classified) and bool(self.message.toPlainText().strip()))
        self.sig_decision_changed.emit(decision)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Light ↔ dark: re-derive the muted text (the event may come before the label exists).
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "rule_label"):
            theme.set_foreground(self.rule_label, theme.muted_text(self.palette()))

    def _add_example(self, rule_id: str) -> None:
        self.sig_add_example.emit(rule_id, self.message.toPlainText().strip())

    def _toggle_history(self, shown: bool) -> None:
        self.history.setVisible(shown)
        self.history_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


def _rule_line(decision: Decision, router: Router) -> str:
    """Which rule decided, in the chat badge's words (route_words): titles, never ids."""
    kind = Route.of_decision(decision).kind
    if kind is RouteKind.FAILED:
        return "No model can take it"
    if (decided := decided_by(kind, _title(router, decision.rule))) is not None:
        return decided[0].upper() + decided[1:]
    if not router.rules:
        return "The router has no rules: its fallback list decides"
    return "No rule matched: the fallback list decides"


def _title(router: Router, rule_id: str | None) -> str:
    rule = next((r for r in router.rules if r.id == rule_id), None)
    # Not in this draft (a sticky choice made by an earlier one): its id is all there is.
    return rule.label if rule is not None else rule_id or ""


def _answer_line(answer: ClassifierAnswer, router: Router) -> str:
    took = f"{answer.latency_ms:.0f} ms"
    who = f"The classifier ({model_of(answer.model)})"
    if answer.error:  # "gave no answer within 2 s", or what went wrong
        said = answer.error if answer.error.startswith(TIMED_OUT) else f"failed: {answer.error}"
        return f"{who} {said} ({took})"
    if answer.answer is None:
        return f"{who} chose none of the plain-English rules ({took})"
    return f"{who} chose “{_title(router, answer.answer)}” in {took}"

