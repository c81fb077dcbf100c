"""The scrolling column of messages: lazy for long chats, and it follows a streaming
reply only while the user is at the bottom.

A chat opens with its last BATCH messages built; scrolling to the top builds the batch
before, keeping what is on screen still. So a 1,000-message chat opens as fast as a short
one, and memory grows only with what the user actually scrolls through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from app.core.store import MessageRow

BATCH = 40
COLUMN_MAX_WIDTH = 880  # long lines are hard to read; centre a column like chat apps do
FOLLOW_SLACK_PX = 24


class MessageList(QScrollArea):
    def __init__(self, make_widget: Callable[[MessageRow], QWidget],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_widget = make_widget
        self._rows: list[MessageRow] = []
        self._first_built = 0  # index in _rows of the oldest message with a widget
        self._following = True
        self._bottom_offset: int | None = None  # keep this distance from the bottom on growth
        self._programmatic = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Messages")

        outer = QWidget()
        row = QHBoxLayout(outer)
        row.setContentsMargins(16, 12, 16, 12)
        self._column = QWidget()
        self._column.setMaximumWidth(COLUMN_MAX_WIDTH)
        self._layout = QVBoxLayout(self._column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(14)
        self._layout.addStretch(1)
        row.addStretch(0)
        row.addWidget(self._column, 1)
        row.addStretch(0)
        self.setWidget(outer)

        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

    # ---- content ---------------------------------------------------------------------

    def show_messages(self, rows: Sequence[MessageRow]) -> None:
        """Replace the content with a chat's messages; build only the newest batch."""
        self.clear()
        self._rows = list(rows)
        self._first_built = max(0, len(self._rows) - BATCH)
        for message in self._rows[self._first_built:]:
            self._insert(self._layout.count() - 1, self._make_widget(message))
        self.follow()

    def clear(self) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None:
                widget.deleteLater()
        self._rows = []
        self._first_built = 0

    def append(self, widget: QWidget) -> None:
        """A new message at the bottom (one the user just sent, or the reply to it)."""
        self._insert(self._layout.count() - 1, widget)

    def message_widgets(self) -> list[QWidget]:
        return [w for i in range(self._layout.count() - 1)
                if (w := self._layout.itemAt(i).widget()) is not None]

    def remove_from(self, widget: QWidget) -> None:
        """Drop ``widget`` and everything after it (regenerate, edit-and-resend)."""
        widgets = self.message_widgets()
        if widget in widgets:
            for doomed in widgets[widgets.index(widget):]:
                self._layout.removeWidget(doomed)
                doomed.deleteLater()

    def built_count(self) -> int:
        return len(self.message_widgets())

    def _insert(self, index: int, widget: QWidget) -> None:
        self._layout.insertWidget(index, widget)

    def build_earlier(self) -> bool:
        """Build the batch before the oldest shown message, keeping the view still."""
        if self._first_built == 0:
            return False
        start = max(0, self._first_built - BATCH)
        bar = self.verticalScrollBar()
        self._bottom_offset = bar.maximum() - bar.value()
        for index, message in enumerate(self._rows[start:self._first_built]):
            self._insert(index, self._make_widget(message))
        self._first_built = start
        return True

    # ---- following the bottom ----------------------------------------------------------

    def follow(self) -> None:
        """Stick to the bottom again (the user sent a message, or pressed End)."""
        self._following = True
        self._bottom_offset = None
        self._scroll_to(self.verticalScrollBar().maximum())

    def is_following(self) -> bool:
        return self._following

    def _scroll_to(self, value: int) -> None:
        self._programmatic = True
        try:
            self.verticalScrollBar().setValue(value)
        finally:
            self._programmatic = False

    def _on_scrolled(self, value: int) -> None:
        if self._programmatic:
            return
        bar = self.verticalScrollBar()
        self._bottom_offset = None  # the user moved: stop holding the old position
        self._following = value >= bar.maximum() - FOLLOW_SLACK_PX
        if value == bar.minimum() and self._first_built > 0:
            self.build_earlier()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._following:
            self._scroll_to(maximum)
        elif self._bottom_offset is not None:
            # Kept until the user scrolls: wrapped text settles its height in steps.
            self._scroll_to(maximum - self._bottom_offset)
