"""The scrolling column of messages, virtualised: only what is on screen has widgets.

Each message has a height at the column's width: measured once its widget is built,
estimated from its text before. Scrolling places the few widgets that meet the view (and
a screen beyond each edge) at their offsets, builds the missing ones and drops those far
away, so a chat of 10,000 messages opens and scrolls like a short one. Nothing is laid out
but the widgets themselves: a streaming reply costs its own layout, not the chat's.

Messages added live (sent, streamed) or looked up by the chat pane are pinned: the pane
holds them, so off screen they are hidden, never dropped.

A dropped widget is kept, hidden, as a spare for its role, and the next message of that
role that comes into view is shown in it (``refill``) instead of a new widget: building a
message's widget tree costs ~3.6 ms in the window, refilling one a fraction of that, and
a widget kept is not garbage for the collector to free.

When heights above the view change (a message built taller than estimated), the message
at the top of the view stays put; while following the bottom, the bottom stays in view.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QWidget

from app.controller.conversations import MessageRow

COLUMN_MAX_WIDTH = 880  # long lines are hard to read; centre a column like chat apps do
MARGIN_X, MARGIN_Y = 16, 12
SPACING = 14
OVERSCAN_SCREENS = 1.0  # built ahead of the view, so a wheel step rarely waits for a build
KEEP_SCREENS = 3.0  # built widgets this far from the view are dropped (and rebuilt if needed)
FOLLOW_SLACK_PX = 24
BUILD_BUDGET_S = 0.005  # building per frame: a third of one, so scrolling never freezes
FRAME_S = 0.016  # builds within one frame share its budget, however many passes ask
SPARES_PER_ROLE = 24  # about three screens of messages
DROP_PER_TURN = 3
_SETTLE_PASSES = 4  # building reveals sizes that move the view: a few passes settle it
_CHROME_PX = {"user": 56, "assistant": 64}  # badge, padding and footer, until one is measured


@dataclass(eq=False, slots=True)
class _Entry:
    row: MessageRow | None  # None: a widget added live with no stored row yet
    widget: QWidget | None = None
    height: int | None = None  # measured at the list's width; None: estimated
    estimate: int = 0
    pinned: bool = False
    text_size: tuple[int, int] | None = None  # its text's characters and line breaks

    def size(self) -> int:
        return self.height if self.height is not None else self.estimate

    def role(self) -> str | None:
        if self.widget is not None and (role := getattr(self.widget, "role", None)) is not None:
            return str(role)
        return self.row.role if self.row is not None else None

    def message_id(self) -> int | None:
        if self.widget is not None and (mid := getattr(self.widget, "message_id", None)) is not None:
            return int(mid)
        return self.row.id if self.row is not None else None


class MessageList(QAbstractScrollArea):
    def __init__(self, make_widget: Callable[[MessageRow], QWidget],
                 refill: Callable[[QWidget, MessageRow], None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_widget = make_widget
        self._refill = refill
        self._spares: dict[str, list[QWidget]] = {}  # role → dropped widgets, hidden
        self._frame_started = 0.0
        self._entries: list[_Entry] = []
        self._live: dict[_Entry, None] = {}  # the entries with a widget (an ordered set)
        self._order: dict[_Entry, int] | None = {}  # entry → index; None after a removal
        self._tops: list[int] = []  # content y of each entry; valid below _dirty_from
        self._dirty_from = 0
        self._total = 2 * MARGIN_Y
        self._width = 0  # the column width heights were measured at
        self._chrome = dict(_CHROME_PX)
        self._measured_chrome: set[str] = set()
        self._following = True
        self._programmatic = False
        self._placing = False
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName("Messages")
        # Opaque, so a scroll moves the pixels already painted and repaints only the strip
        # that came into view (Qt scrolls only opaque widgets that way).
        self.viewport().setBackgroundRole(QPalette.ColorRole.Window)
        self.viewport().setAutoFillBackground(True)
        self._placed_at = 0  # the scroll value the widgets were last positioned for
        self.viewport().installEventFilter(self)
        bar = self.verticalScrollBar()
        bar.setSingleStep(40)
        bar.valueChanged.connect(self._on_scrolled)
        # Size changes of the widgets arrive as posted events; one pass answers them all.
        self._pending = QTimer(self, singleShot=True, interval=0)
        self._pending.timeout.connect(self._place)

    # ---- content ---------------------------------------------------------------------

    def show_messages(self, rows: Sequence[MessageRow]) -> None:
        """Replace the content with a chat's messages; only those in view get widgets."""
        self.clear()
        self._entries = [_Entry(row) for row in rows]
        self._order = None
        self._width = 0  # the first placing estimates every height, once
        self._dirty_from = 0
        self._frame_started = 0.0  # a chat opening gets a frame's budget of its own
        self.follow()

    def clear(self) -> None:
        for entry in list(self._live):
            self._drop_widget(entry)
        self._entries = []
        self._live.clear()
        self._order = {}
        self._tops = []
        self._dirty_from = 0
        self._total = 2 * MARGIN_Y
        self._sync_scrollbar()

    def append(self, widget: QWidget) -> None:
        """A new message at the bottom (one the user just sent, or the reply to it)."""
        entry = _Entry(None, pinned=True)
        self._entries.append(entry)
        if self._order is not None:
            self._order[entry] = len(self._entries) - 1
        self._adopt(entry, widget)
        self._dirty_from = min(self._dirty_from, len(self._entries) - 1)
        self._schedule()

    def message_widgets(self) -> list[QWidget]:
        """The widgets built now, in order (those in view, pinned ones, a few beyond)."""
        return [entry.widget for _, entry in self._built() if entry.widget is not None]

    def built_count(self) -> int:
        return len(self._live)

    def message_count(self) -> int:
        return len(self._entries)

    def remove_from(self, widget: QWidget) -> None:
        """Drop ``widget`` and everything after it (regenerate, edit-and-resend)."""
        index = self._index_of(widget)
        if index is not None:
            self._remove(index, len(self._entries))

    def remove(self, widget: QWidget) -> None:
        """Drop one message (the user deleted it); those after it stay."""
        index = self._index_of(widget)
        if index is not None:
            self._remove(index, index + 1)

    def replace_row(self, row: MessageRow) -> None:
        """A stored message changed (another version chosen, continued): a widget built
        for it later shows the new row."""
        for entry in self._entries:
            if entry.message_id() == row.id:
                entry.row = row
                entry.text_size = None
                if entry.widget is None:
                    entry.estimate = self._estimate(entry, self._width)
                    self._dirty(self._index(entry))

    def widget_for(self, message_id: int) -> QWidget | None:
        """The widget of a message, built (and pinned) if it was not."""
        return next((self._pin(entry) for entry in self._entries
                     if entry.message_id() == message_id), None)

    def last_widget(self, role: str) -> QWidget | None:
        """The newest message of ``role`` ("user" or "assistant"), built and pinned."""
        return next((self._pin(entry) for entry in reversed(self._entries)
                     if entry.role() == role), None)

    def _pin(self, entry: _Entry) -> QWidget:
        entry.pinned = True
        if entry.widget is None:
            assert entry.row is not None
            self._adopt(entry, self._widget_for_row(entry.row))
            self._schedule()
        return entry.widget  # type: ignore[return-value]  # _adopt set it

    def _index_of(self, widget: QWidget) -> int | None:
        return next((i for i, entry in enumerate(self._entries) if entry.widget is widget), None)

    def _remove(self, start: int, stop: int) -> None:
        for entry in self._entries[start:stop]:
            self._drop_widget(entry)
        del self._entries[start:stop]
        self._order = None
        self._dirty(start)
        self._schedule()

    def _widget_for_row(self, row: MessageRow) -> QWidget:
        """A spare of the row's role refilled with it, or a new widget."""
        spares = self._spares.get(row.role)
        if spares and self._refill is not None:
            widget = spares.pop()
            self._refill(widget, row)
            return widget
        return self._make_widget(row)

    def _adopt(self, entry: _Entry, widget: QWidget) -> None:
        entry.widget = widget
        entry.height = None
        self._live[entry] = None
        if widget.parent() is not self.viewport():  # a spare is already ours
            widget.setParent(self.viewport())
            widget.installEventFilter(self)

    def _drop_widget(self, entry: _Entry) -> None:
        widget = entry.widget
        if widget is None:
            return
        entry.widget = None  # its measured height stays: the view does not jump
        del self._live[entry]
        role = getattr(widget, "role", None)
        spares = self._spares.setdefault(role, []) if isinstance(role, str) else None
        # A pinned widget is the pane's (it may still be written to): never a spare.
        if self._refill is None or entry.pinned or spares is None or len(spares) >= SPARES_PER_ROLE:
            self._discard(widget)
            return
        widget.hide()
        spares.append(widget)

    def _index(self, entry: _Entry) -> int:
        if self._order is None:
            self._order = {e: i for i, e in enumerate(self._entries)}
        return self._order[entry]

    def _built(self) -> list[tuple[int, _Entry]]:
        """The entries with a widget, with their indices, in order."""
        return sorted((self._index(entry), entry) for entry in self._live)

    def _discard(self, widget: QWidget) -> None:
        widget.removeEventFilter(self)
        widget.hide()  # at once: deleteLater leaves it painted until the loop runs
        widget.deleteLater()

    def _dirty(self, index: int) -> None:
        self._dirty_from = min(self._dirty_from, index)

    # ---- heights ---------------------------------------------------------------------

    def _column_width(self) -> int:
        return max(1, min(COLUMN_MAX_WIDTH, self.viewport().width() - 2 * MARGIN_X))

    def _estimate(self, entry: _Entry, width: int) -> int:
        """A message's height before it is built: its text's lines at ``width``."""
        return self._estimator(width)(entry)

    def _estimator(self, width: int) -> Callable[[_Entry], int]:
        """``_estimate`` at ``width``, with the font's figures read once (a chat of
        10,000 messages is estimated in one go)."""
        metrics = self.fontMetrics()
        per_line = max(8, width // max(1, metrics.averageCharWidth()))
        line_px = metrics.lineSpacing()
        chrome = self._chrome

        def estimate(entry: _Entry) -> int:
            if entry.text_size is None:
                text = entry.row.content if entry.row is not None else ""
                entry.text_size = (len(text), text.count("\n"))  # two passes in C, not a split
            chars, breaks = entry.text_size
            role = entry.row.role if entry.row is not None else entry.role()
            return chrome.get(role or "", 60) + (breaks + 1 + chars // per_line) * line_px

        return estimate

    def _measure(self, index: int, entry: _Entry) -> bool:
        """Measure a built widget at the column's width; True if its height changed."""
        widget = entry.widget
        assert widget is not None
        if widget.hasHeightForWidth():  # asked each time: a reply's first text changes it
            height = widget.heightForWidth(self._width)
        else:
            height = widget.sizeHint().height()
        height = max(height, widget.minimumHeight())
        self._learn_chrome(entry, height)
        if height == entry.height:
            return False
        entry.height = height
        self._dirty(index)
        return True

    def _learn_chrome(self, entry: _Entry, height: int) -> None:
        """The first measured message of each role tunes the estimate of the others."""
        role = entry.role()
        if role is None or role in self._measured_chrome or entry.row is None:
            return
        self._measured_chrome.add(role)
        text_only = self._estimate(entry, self._width) - self._chrome.get(role, 60)
        self._chrome[role] = max(0, height - text_only)

    def _refresh_tops(self) -> None:
        """Offsets from the first changed entry on (a chat of 10,000: once per change, so
        summed in C, not entry by entry)."""
        entries = self._entries
        start = min(self._dirty_from, len(entries))
        del self._tops[start:]
        y = MARGIN_Y if start == 0 else self._tops[start - 1] + entries[start - 1].size() + SPACING
        steps = [(e.height if e.height is not None else e.estimate) + SPACING for e in entries[start:]]
        self._tops.extend(accumulate(steps[:-1], initial=y) if steps else ())
        self._total = (self._tops[-1] + entries[-1].size() if entries else MARGIN_Y) + MARGIN_Y
        self._dirty_from = len(entries)

    def _rewidth(self, width: int) -> None:
        """The column changed width: every height must be found again."""
        self._width = width
        estimate = self._estimator(width)
        for entry in self._entries:
            entry.height = None
            if entry.widget is None:
                entry.estimate = estimate(entry)
        self._dirty_from = 0

    # ---- placing ---------------------------------------------------------------------

    def _schedule(self, delay_s: float = 0.0) -> None:
        """Place again once the loop has run its posted events (or after ``delay_s``); a
        sooner request wins over a later one."""
        delay_ms = max(0, round(delay_s * 1000))
        if self._pending.isActive() and self._pending.remainingTime() <= delay_ms:
            return
        self._pending.start(delay_ms)

    def _place(self) -> None:
        """Build, measure and position what the view shows, keeping the view still."""
        if self._placing or not self.isVisible():  # shown, it is placed at its real width
            return
        self._placing = True
        try:
            if self._column_width() != self._width:
                self._rewidth(self._column_width())
            anchor = self._anchor()  # before anything is measured: heights move it
            now = time.perf_counter()
            if now - self._frame_started >= FRAME_S:
                self._frame_started = now
            deadline = self._frame_started + BUILD_BUDGET_S
            for _ in range(_SETTLE_PASSES):
                changed = self._measure_built()
                self._refresh_tops()
                self._sync_scrollbar()
                self._restore(anchor)
                if not self._build_in_view(deadline) and not changed:
                    break
            self._drop_far()
            self._position()
        finally:
            self._placing = False

    def _anchor(self) -> tuple[int, int] | None:
        """The entry at the top of the view and how far into it the view starts."""
        if self._following or not self._entries:
            return None
        self._refresh_tops()
        value = self.verticalScrollBar().value()
        index = max(0, bisect_right(self._tops, value) - 1)
        return index, value - self._tops[index]

    def _restore(self, anchor: tuple[int, int] | None) -> None:
        bar = self.verticalScrollBar()
        if self._following:
            self._scroll_to(bar.maximum())
        elif anchor is not None and anchor[0] < len(self._tops):
            self._scroll_to(self._tops[anchor[0]] + anchor[1])

    def _measure_built(self) -> bool:
        """Re-measure every built widget (hidden pinned ones too: a reply may stream off
        screen). Cheap when nothing changed: layouts cache their height for a width."""
        changed = False
        for index, entry in self._built():
            changed = self._measure(index, entry) or changed
        return changed

    def _view_range(self, screens: float) -> tuple[int, int]:
        """Indices [first, last) of the entries within ``screens`` of the view."""
        value, height = self.verticalScrollBar().value(), self.viewport().height()
        reach = int(height * screens)
        first = max(0, bisect_right(self._tops, value - reach) - 1)
        last = bisect_right(self._tops, value + height + reach)
        return first, last

    def _build_in_view(self, deadline: float) -> bool:
        """Build the missing widgets in view, then those just beyond it, until
        ``deadline`` (a jump across a long chat needs a screenful: what is not built by
        then follows on the next turns of the loop instead of freezing the window)."""
        first, last = self._view_range(0)
        ahead_first, ahead_last = self._view_range(OVERSCAN_SCREENS)
        order = [*range(first, last), *range(last, ahead_last), *range(first - 1, ahead_first - 1, -1)]
        built = False
        for index in order:
            entry = self._entries[index]
            if entry.widget is not None:
                continue
            now = time.perf_counter()
            if now > deadline and (built or self._live):
                self._schedule(self._frame_started + FRAME_S - now)  # the rest in the next frame
                break
            assert entry.row is not None
            self._adopt(entry, self._widget_for_row(entry.row))
            self._measure(index, entry)
            built = True
        return built

    def _drop_far(self) -> None:
        """Drop widgets beyond KEEP_SCREENS, the farthest first, DROP_PER_TURN per turn
        of the loop: freeing a widget's Python side is the costly part of a collection,
        and a jump across the chat would otherwise leave a screenful for one."""
        first, last = self._view_range(KEEP_SCREENS)
        focus = self.focusWidget()
        far = []
        for index, entry in self._built():
            widget = entry.widget
            assert widget is not None
            held = entry.pinned or (focus is not None and widget.isAncestorOf(focus))
            if not held and not first <= index < last:
                far.append((max(first - index, index - last), entry))
        far.sort(key=lambda item: -item[0])
        for _, entry in far[:DROP_PER_TURN]:
            self._drop_widget(entry)
        if len(far) > DROP_PER_TURN:
            self._schedule()

    def _position(self) -> None:
        value = self.verticalScrollBar().value()
        if value != self._placed_at:
            self.viewport().scroll(0, self._placed_at - value)  # every child moves with it
            self._placed_at = value
        x = max(MARGIN_X, (self.viewport().width() - self._width) // 2)
        first, last = self._view_range(OVERSCAN_SCREENS)
        for index, entry in self._built():
            widget = entry.widget
            assert widget is not None
            if first <= index < last:
                geometry = QRect(x, self._tops[index] - value, self._width, entry.size())
                if widget.geometry() != geometry:
                    widget.setGeometry(geometry)
                if widget.isHidden():
                    widget.show()
            elif not widget.isHidden():
                widget.hide()  # pinned or focused, far from the view

    def _sync_scrollbar(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        self._programmatic = True
        try:
            bar.setPageStep(page)
            bar.setRange(0, max(0, self._total - page))
        finally:
            self._programmatic = False

    def settle(self) -> None:
        """A message's content just changed (a streamed reply grew): measure and place it
        now, before the loop paints. Left to the posted layout requests, the window would
        paint the label grown in place, then again once the list moved it: two or three
        paints per update instead of one."""
        self._place()

    # ---- following the bottom ----------------------------------------------------------

    def follow(self) -> None:
        """Stick to the bottom again (the user sent a message, or pressed End)."""
        self._following = True
        self._place()

    def is_following(self) -> bool:
        return self._following

    def _scroll_to(self, value: int) -> None:
        self._programmatic = True
        try:
            self.verticalScrollBar().setValue(value)
        finally:
            self._programmatic = False

    def _on_scrolled(self, value: int) -> None:
        if not self._programmatic:
            self._following = value >= self.verticalScrollBar().maximum() - FOLLOW_SLACK_PX
        self._place()

    # ---- Qt ----------------------------------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        pass  # _on_scrolled places the widgets, building what comes into view

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._place()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A message's content changed its size: its own layout was invalidated, or (for a
        # widget without one) Qt tells the parent, which has no layout here.
        if event.type() == QEvent.Type.LayoutRequest:
            self._schedule()
        return False
