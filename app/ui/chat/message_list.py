"""The scrolling column of messages: lazy for long chats, and it follows a streaming
reply only while the user is at the bottom.

A chat opens with its last BATCH messages built; scrolling to the top builds the batch
before, keeping what is on screen still. So a 1,000-message chat opens as fast as a short
one, and memory grows only with what the user actually scrolls through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from app.controller.conversations import MessageRow

BATCH = 30
MAX_BUILT = 2 * BATCH  # widgets kept at once: layout cost grows with every one of them
CHUNK = 3  # messages built per turn of the event loop while scrolling (~10 ms here)
PREFETCH_SCREENS = 1.5  # start building this many screens before the edge
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
        self._last_built = 0
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

        self._builder = QTimer(self, singleShot=True, interval=0)
        self._builder.timeout.connect(self._build_step)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range_changed)

    # ---- content ---------------------------------------------------------------------
    # Widgets for _rows[_first_built:_last_built] sit at the top of the layout; messages
    # added live (sent, streamed) follow them and are never dropped.

    def show_messages(self, rows: Sequence[MessageRow]) -> None:
        """Replace the content with a chat's messages; build only the newest batch."""
        self.clear()
        self._rows = list(rows)
        self._build_tail()
        self.follow()

    def _build_tail(self) -> None:
        self._last_built = len(self._rows)
        self._first_built = max(0, self._last_built - BATCH)
        for index, message in enumerate(self._rows[self._first_built:]):
            self._insert(index, self._make_widget(message))

    def clear(self) -> None:
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None:
                widget.deleteLater()
        self._builder.stop()
        self._rows = []
        self._first_built = self._last_built = 0

    def append(self, widget: QWidget) -> None:
        """A new message at the bottom (one the user just sent, or the reply to it)."""
        if self._last_built < len(self._rows):  # scrolled far up: the newest were dropped
            self._drop_row_widgets(0, self._last_built - self._first_built)
            self._build_tail()
        self._insert(self._layout.count() - 1, widget)

    def message_widgets(self) -> list[QWidget]:
        items = (self._layout.itemAt(i) for i in range(self._layout.count() - 1))
        return [w for item in items if item is not None and (w := item.widget()) is not None]

    def remove_from(self, widget: QWidget) -> None:
        """Drop ``widget`` and everything after it (regenerate, edit-and-resend)."""
        widgets = self.message_widgets()
        if widget in widgets:
            position = widgets.index(widget)
            for doomed in widgets[position:]:
                self._layout.removeWidget(doomed)
                doomed.deleteLater()
            built_rows = self._last_built - self._first_built
            if position < built_rows:  # a stored message went: so did those after it
                self._rows = self._rows[:self._first_built + position]
                self._last_built = len(self._rows)

    def remove(self, widget: QWidget) -> None:
        """Drop one message (the user deleted it); those after it stay."""
        widgets = self.message_widgets()
        if widget not in widgets:
            return
        position = widgets.index(widget)
        self._layout.removeWidget(widget)
        widget.deleteLater()
        if position < self._last_built - self._first_built:
            del self._rows[self._first_built + position]
            self._last_built -= 1

    def replace_row(self, row: MessageRow) -> None:
        """A stored message changed (another version chosen, continued): a widget built
        for it later shows the new row."""
        self._rows = [row if r.id == row.id else r for r in self._rows]

    def widget_for(self, message_id: int) -> QWidget | None:
        """The widget of a message, if it is built."""
        return next((w for w in self.message_widgets()
                     if getattr(w, "message_id", None) == message_id), None)

    def last_widget(self, role: str) -> QWidget | None:
        """The newest message of ``role`` ("user" or "assistant"), if it is built."""
        return next((w for w in reversed(self.message_widgets())
                     if getattr(w, "role", None) == role), None)

    def built_count(self) -> int:
        return len(self.message_widgets())

    def _insert(self, index: int, widget: QWidget) -> None:
        self._layout.insertWidget(index, widget)

    def _drop_row_widgets(self, start: int, stop: int) -> None:
        for widget in self.message_widgets()[start:stop]:
            self._layout.removeWidget(widget)
            widget.deleteLater()

    def build_earlier(self, count: int = BATCH) -> bool:
        """Build ``count`` messages before the oldest shown one, keeping the view still."""
        if self._first_built == 0:
            return False
        self._hold_view()
        start = max(0, self._first_built - count)
        for index, message in enumerate(self._rows[start:self._first_built]):
            self._insert(index, self._make_widget(message))
        self._first_built = start
        return True

    def build_later(self, count: int = BATCH) -> bool:
        """The mirror of build_earlier, scrolling back down towards the newest."""
        if self._last_built >= len(self._rows):
            return False
        self._release_view()
        stop = min(len(self._rows), self._last_built + count)
        at = self._last_built - self._first_built
        for offset, message in enumerate(self._rows[self._last_built:stop]):
            self._insert(at + offset, self._make_widget(message))
        self._last_built = stop
        return True

    def _trim(self) -> bool:
        """Past MAX_BUILT, drop widgets from the end far from the view (rebuilt if the user
        scrolls back). A step of its own, never with an insertion: together they could
        leave the scroll range unchanged, and the view would not be put back."""
        built = self._last_built - self._first_built
        if built <= MAX_BUILT:
            return False
        widgets = self.message_widgets()[:built]
        below = min(built - MAX_BUILT, self._out_of_reach(reversed(widgets)))
        if below > 0:  # nothing above the view moves
            self._release_view()
            self._drop_row_widgets(built - below, built)
            self._last_built -= below
            return True
        above = min(built - MAX_BUILT, self._out_of_reach(widgets))
        if above > 0:
            self._hold_view()
            self._drop_row_widgets(0, above)
            self._first_built += above
            return True
        return False

    def _out_of_reach(self, widgets: Iterable[QWidget]) -> int:
        """How many of ``widgets``, from the first, lie beyond the prefetch reach of the
        view: only those may be dropped."""
        bar = self.verticalScrollBar()
        reach = int(self.viewport().height() * PREFETCH_SCREENS)
        low, high = bar.value() - reach, bar.value() + self.viewport().height() + reach
        count = 0
        for widget in widgets:
            if low <= widget.y() + widget.height() and widget.y() <= high:
                break
            count += 1
        return count

    def _hold_view(self) -> None:
        """Keep the view's distance from the bottom while content changes above it."""
        bar = self.verticalScrollBar()
        self._bottom_offset = bar.maximum() - bar.value()

    def _release_view(self) -> None:
        """Content changes below the view: it stays where it is by itself."""
        self._bottom_offset = None

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
        at_bottom = value >= bar.maximum() - FOLLOW_SLACK_PX
        self._following = at_bottom and self._last_built >= len(self._rows)
        if self._near_an_unbuilt_edge():
            self._builder.start()

    def _near_an_unbuilt_edge(self) -> int:
        """-1 near the top with older messages unbuilt, 1 near the bottom with newer ones."""
        bar = self.verticalScrollBar()
        reach = int(self.viewport().height() * PREFETCH_SCREENS)
        if bar.value() <= bar.minimum() + reach and self._first_built > 0:
            return -1
        if bar.value() >= bar.maximum() - reach and self._last_built < len(self._rows):
            return 1
        return 0

    def _build_step(self) -> None:
        """A few messages per turn of the event loop, before the user reaches the edge:
        building a whole batch at once froze the window for a few hundred ms."""
        if self._trim():
            self._builder.start()
            return
        edge = self._near_an_unbuilt_edge()
        if edge < 0:
            self.build_earlier(CHUNK)
        elif edge > 0:
            self.build_later(CHUNK)
        if edge:
            self._builder.start()

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._following:
            self._scroll_to(maximum)
        elif self._bottom_offset is not None:
            # Kept until the user scrolls: wrapped text settles its height in steps.
            self._scroll_to(maximum - self._bottom_offset)
