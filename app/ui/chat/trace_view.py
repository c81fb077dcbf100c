"""A routing trace as a table: ✓/✗, the rule (or what the line is about), and why.

One widget for the reply's route receipt and the router editor's test panel, so both
read the same and both wrap long explanations instead of eliding them. With
``fit_to_rows`` (the route trace dialog) it asks for the height of its rows, up to a
limit, not for the rest of its window.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QHeaderView, QSizePolicy, QTreeWidget, QTreeWidgetItem, QWidget

from app.controller.route_words import trace_lines
from app.core.router import TraceEntry

__all__ = ["TraceView", "trace_lines"]

WHY = 2  # the column that wraps
MAX_HEIGHT = 360  # more rows than fit scroll


class TraceView(QTreeWidget):
    def __init__(self, parent: QWidget | None = None, *, fit_to_rows: bool = False) -> None:
        super().__init__(parent)
        self._fit_to_rows = fit_to_rows
        self.setAccessibleName("Rules checked")
        self.setHeaderLabels(["", "Rule", "Why"])
        self.setRootIsDecorated(False)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        if fit_to_rows:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        # QTreeView sizes rows from one line of text: each row is given its wrapped height.
        header.sectionResized.connect(self._on_section_resized)

    def set_entries(self, entries: Sequence[TraceEntry]) -> None:
        self.clear()
        for entry in entries:
            item = QTreeWidgetItem(["✓" if entry.matched else "✗", entry.title, entry.detail])
            if entry.rule:
                item.setToolTip(1, entry.rule)
            item.setToolTip(WHY, entry.detail)
            self.addTopLevelItem(item)
        self._fit_rows()

    def sizeHint(self) -> QSize:
        if not self._fit_to_rows:
            return super().sizeHint()
        rows = 0
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item is not None:
                rows += max(self.sizeHintForRow(row), item.sizeHint(WHY).height())
        height = self.header().sizeHint().height() + rows + 2 * self.frameWidth() + 4
        return QSize(super().sizeHint().width(), min(height, MAX_HEIGHT))

    def minimumSizeHint(self) -> QSize:
        if not self._fit_to_rows:
            return super().minimumSizeHint()
        return QSize(super().minimumSizeHint().width(), min(self.sizeHint().height(), 120))

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == WHY:
            self._fit_rows()

    def _fit_rows(self) -> None:
        width = self.header().sectionSize(WHY) - 8  # the delegate's text margins
        if width <= 0:
            return
        metrics = self.fontMetrics()
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item is None:
                continue
            text = item.text(WHY)
            height = metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextFlag.TextWordWrap,
                                          text).height()
            item.setSizeHint(WHY, QSize(width, height + 4))
        self.updateGeometry()
