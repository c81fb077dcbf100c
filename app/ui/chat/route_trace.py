"""The route receipt opened from a reply's badge: where the message went, and why —
every rule checked, fallback attempts, the classifier's answer, tokens, cost, latency."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.conversations import MessageRow
from app.controller.route_words import (
    Route,
    answered,
    cost_text,
    route_sentence,
    rule_text,
    tokens_per_second,
    trace_lines,
    where,
)
from app.core.router.targets import model_of
from app.ui.chat.trace_view import TraceView


def headline(message: MessageRow) -> str:
    if message.target is None and not message.trace and not message.error:
        return "No routing information was kept."
    return route_sentence(Route.of_message(message))


def receipt_lines(message: MessageRow) -> list[str]:
    """The receipt as plain text (Copy, and what a screen reader can read in one go)."""
    return [headline(message), *trace_lines(message.trace or ())]


class RouteTraceDialog(QDialog):
    def __init__(self, message: MessageRow, parent: QWidget | None = None, *,
                 teach: Sequence[tuple[str, str]] = (),
                 on_teach: Callable[[str], str] | None = None) -> None:
        """``teach``: the router's plain-English rules (id, label) the question could be an
        example of; ``on_teach(rule_id)`` adds it and returns what to tell the user."""
        super().__init__(parent)
        self.message = message
        self.setWindowTitle("Why this model answered")
        self.setAccessibleName("Route trace")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)

        self.headline = QLabel(headline(message))
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        layout.addWidget(self.headline)

        layout.addLayout(self._facts(message))

        self.rules = TraceView(fit_to_rows=True)
        self.rules.set_entries(message.trace or ())
        # An empty table would fill the dialog with nothing: it is shown only with rows,
        # and then only as tall as they are.
        self.rules.setVisible(bool(message.trace))
        layout.addWidget(self.rules)

        self.taught = QLabel()
        self.taught.setWordWrap(True)
        self.taught.setVisible(False)
        layout.addWidget(self.taught)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        if teach and on_teach is not None:
            self.teach_button = self._teach_button(teach, on_teach)
            buttons.addButton(self.teach_button, QDialogButtonBox.ButtonRole.ActionRole)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.setAccessibleName("Copy the route trace")
        copy.clicked.connect(self._copy)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.adjustSize()

    def _teach_button(self, teach: Sequence[tuple[str, str]], on_teach: Callable[[str], str]) -> QPushButton:
        button = QPushButton("Should have gone to…")
        button.setToolTip("Add your message as an example of a plain-English rule, so the "
                          "router sends messages like it there next time")
        menu = QMenu(button)
        for rule_id, label in teach:
            menu.addAction(label, functools.partial(self._teach, on_teach, rule_id))
        button.setMenu(menu)
        return button

    def _teach(self, on_teach: Callable[[str], str], rule_id: str) -> None:
        self.taught.setText(on_teach(rule_id))
        self.taught.setVisible(True)

    @staticmethod
    def _facts(message: MessageRow) -> QFormLayout:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        target = message.target
        route = Route.of_message(message)
        if target and answered(route):
            form.addRow("Answered by", QLabel(f"{model_of(target)} ({where(target)})"))
        elif target:
            form.addRow("Tried", QLabel(f"{model_of(target)} ({where(target)})"))
        if message.trace:
            form.addRow("Rule", QLabel(rule_text(route)))
        if message.tokens_in is not None or message.tokens_out is not None:
            form.addRow("Tokens", QLabel(f"{message.tokens_in or 0} in · {message.tokens_out or 0} out"))
        speed = tokens_per_second(message.tokens_out, message.latency_ms, message.ttft_ms)
        if message.latency_ms is not None:
            timing = f"{message.latency_ms / 1000:.2f} s total"
            if message.ttft_ms is not None:
                timing += f" · first token after {message.ttft_ms:.0f} ms"
            if speed is not None:
                timing += f" · {speed:.1f} tok/s"
            form.addRow("Time", QLabel(timing))
        if target and message.latency_ms is not None:
            form.addRow("Cost", QLabel(cost_text(target, message.cost)))
        if message.error and answered(route):  # a reply that failed says so in the headline
            error = QLabel(message.error)
            error.setWordWrap(True)
            form.addRow("Error", error)
        return form

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(receipt_lines(self.message)))
