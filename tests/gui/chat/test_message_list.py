"""The message column: it follows a growing reply only while the user is at the bottom,
builds widgets only for what is in view (however long the chat), keeps the view still
while heights settle, and the stream reaches the screen at most 20 times a second."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import shiboken6
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.controller.conversations import MessageRow
from app.ui.chat import stream_coalescer
from app.ui.chat.message_list import MessageList
from app.ui.chat.stream_coalescer import StreamCoalescer
from tests.gui.conftest import until


def stored(i: int, text: str | None = None, role: str | None = None) -> MessageRow:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    return MessageRow(id=i + 1, conversation_id=1, role=role or ("user" if i % 2 == 0 else "assistant"),
                      content=text if text is not None else f"row {i}", status="complete",
                      attachments=[], target=None, rule=None, trace=None, reason=None, private=None,
                      tokens_in=None, tokens_out=None, cost=None, latency_ms=None, ttft_ms=None,
                      error=None, created_at=now, updated_at=now)


def wrapped_label(row: MessageRow) -> QLabel:
    label = QLabel(row.content)
    label.setWordWrap(True)
    label.setObjectName(f"row{row.id - 1}")
    return label


def host_with_list(qtbot) -> MessageList:
    host = QWidget()
    qtbot.host = host  # keep it alive: qtbot only holds a weak reference
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
    messages = MessageList(wrapped_label)
    layout.addWidget(messages)
    qtbot.addWidget(host)
    host.resize(500, 300)
    host.show()
    return messages


class RoleLabel(QLabel):
    """A message widget with a role, as the list recycles them."""

    made = 0

    def __init__(self, row: MessageRow) -> None:
        super().__init__()
        RoleLabel.made += 1
        self.setWordWrap(True)
        self.role = row.role
        self.show_row(row)

    def show_row(self, row: MessageRow) -> None:
        assert row.role == self.role  # a spare serves its own role only
        self.setText(row.content)
        self.setObjectName(f"row{row.id - 1}")


def host_with_recycling_list(qtbot) -> MessageList:
    host = QWidget()
    qtbot.host = host
    layout = QVBoxLayout(host)
    messages = MessageList(RoleLabel, lambda widget, row: widget.show_row(row))
    layout.addWidget(messages)
    qtbot.addWidget(host)
    host.resize(500, 300)
    host.show()
    return messages


def tall_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setMinimumHeight(120)
    return label


def names(messages: MessageList) -> list[str]:
    return [w.objectName() for w in messages.message_widgets()]


def on_screen(messages: MessageList) -> list[QWidget]:
    view = messages.viewport().rect()
    return [w for w in messages.message_widgets() if w.isVisible() and w.geometry().intersects(view)]


async def test_follows_the_bottom_until_the_user_scrolls_up(qtbot):
    messages = host_with_list(qtbot)
    for i in range(10):
        messages.append(tall_label(f"message {i}"))
    bar = messages.verticalScrollBar()
    await until(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), 5, "following the bottom")

    growing = tall_label("streaming…")
    messages.append(growing)
    await until(lambda: bar.value() == bar.maximum(), 5, "still at the bottom")
    assert messages.is_following()

    bar.setValue(bar.maximum() // 2)  # the user scrolls up to read
    assert not messages.is_following()
    held = bar.value()
    growing.setMinimumHeight(600)  # the reply grows
    await until(lambda: bar.maximum() > held + 400, 5, "the reply to grow")
    assert bar.value() == held  # the view stays where the user put it

    messages.follow()  # the user sends again
    await until(lambda: bar.value() == bar.maximum(), 5, "following again")


async def test_a_long_chat_builds_only_what_is_in_view(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i) for i in range(10_000)])
    await until(lambda: "row9999" in names(messages), 5, "the newest message")
    assert messages.built_count() < 40  # a screen and a margin, not ten thousand
    assert messages.message_count() == 10_000
    bar = messages.verticalScrollBar()
    bar.setValue(0)  # the user drags to the top
    await until(lambda: "row0" in names(messages), 5, "the first message")
    assert messages.built_count() < 40
    assert on_screen(messages)[0].objectName() == "row0"


async def test_widgets_scrolled_away_are_refilled_for_what_comes_into_view(qtbot):
    messages = host_with_recycling_list(qtbot)
    rows = [stored(i, f"row {i} " + "words that wrap " * (i % 9 * 4)) for i in range(10_000)]
    messages.show_messages(rows)
    await until(lambda: "row9999" in names(messages), 5, "the newest message")
    pinned = messages.widget_for(10_000)  # the pane holds it: never lent to another row
    bar = messages.verticalScrollBar()
    RoleLabel.made = 0
    for place in range(20):  # the thumb dragged across the chat, then a few wheel steps
        bar.setValue(bar.maximum() * ((place * 7) % 20) // 19)
        for _ in range(5):
            bar.setValue(bar.value() - 120)
            await asyncio.sleep(0.01)
        await until(lambda: on_screen(messages), 5, "the view filled")
        shown = sorted(on_screen(messages), key=lambda widget: widget.y())
        indices = [int(widget.objectName().removeprefix("row")) for widget in shown]
        assert indices == list(range(indices[0], indices[0] + len(indices)))  # rows in order
        assert [widget.text() for widget in shown] == [rows[i].content for i in indices]
    assert RoleLabel.made < 60  # without refilling, each jump builds a screenful anew
    assert pinned.objectName() == "row9999" and pinned.text() == rows[9999].content


async def test_the_view_stays_on_its_message_while_heights_settle(qtbot):
    # Long messages are estimated before they are built; building those above the view
    # must not move what the user is reading.
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i, f"row {i} " + "words that wrap " * (i % 7 * 6)) for i in range(400)])
    bar = messages.verticalScrollBar()
    await until(lambda: bar.maximum() > 0, 5, "the layout")
    bar.setValue(bar.maximum() // 2)
    await asyncio.sleep(0.05)
    reading = on_screen(messages)[1]
    y = reading.y()
    for _ in range(10):  # scroll up a wheel step at a time: messages above get built
        bar.setValue(bar.value() - 40)
        await asyncio.sleep(0.01)
        y += 40  # what the user reads moves down the screen with the wheel, and only so
    await asyncio.sleep(0.05)
    assert shiboken6.isValid(reading) and abs(reading.y() - y) <= 2


async def test_live_messages_survive_scrolling_far_away(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i) for i in range(2000)])
    live = tall_label("the reply streaming")
    messages.append(live)
    bar = messages.verticalScrollBar()
    await until(lambda: live.isVisible(), 5, "the live message")
    bar.setValue(0)
    await until(lambda: "row0" in names(messages), 5, "the top")
    assert shiboken6.isValid(live) and not live.isVisible()  # held, off screen
    live.setMinimumHeight(400)  # it grew while the user read the top
    messages.follow()
    await until(lambda: live.isVisible() and bar.value() == bar.maximum(), 5, "back at the bottom")
    assert live.geometry().bottom() <= messages.viewport().height()
    assert live.height() == 400


async def test_one_message_goes_and_those_after_it_stay(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i) for i in range(6)])
    await until(lambda: "row5" in names(messages), 5, "the messages")
    third = messages.widget_for(3)  # ids start at 1: row 2
    assert third is not None and third.objectName() == "row2"
    messages.remove(third)
    assert names(messages) == ["row0", "row1", "row3", "row4", "row5"]
    messages.remove_from(messages.widget_for(5))
    assert names(messages) == ["row0", "row1", "row3"]
    assert messages.last_widget("assistant").objectName() == "row3"
    assert messages.last_widget("user").objectName() == "row0"


async def test_a_message_found_by_id_is_built_even_far_from_the_view(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i) for i in range(3000)])
    await until(lambda: "row2999" in names(messages), 5, "the newest")
    assert "row0" not in names(messages)
    first = messages.widget_for(1)
    assert first is not None and first.objectName() == "row0"
    await asyncio.sleep(0.05)
    assert shiboken6.isValid(first)  # pinned: the pane may hold it (editing)
    messages.replace_row(stored(2, "changed"))
    assert messages.message_count() == 3000


async def test_a_narrower_column_measures_again(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([stored(i, "many words that wrap " * 12) for i in range(5)])
    bar = messages.verticalScrollBar()
    await until(lambda: len(on_screen(messages)) > 0, 5, "the layout")
    wide = messages.message_widgets()[-1].height()
    qtbot.host.resize(260, 300)
    await until(lambda: messages.message_widgets()[-1].height() > wide, 5, "taller messages")
    assert bar.value() == bar.maximum()  # still following


async def test_the_stream_reaches_the_screen_at_most_20_times_a_second(qtbot):
    coalescer = StreamCoalescer()
    shown: list[str] = []
    coalescer.sig_flushed.connect(shown.append)
    started = time.monotonic()
    for i in range(400):  # ~400 tokens/s for a second
        coalescer.push(f"t{i} ")
        await asyncio.sleep(0.0025)
    coalescer.flush()
    elapsed = time.monotonic() - started
    assert shown[-1] == "".join(f"t{i} " for i in range(400))
    assert len(shown) <= 21 * elapsed + 1


async def test_a_dear_flush_is_shown_less_often_and_never_more_than_20_times_a_second(qtbot):
    coalescer = StreamCoalescer()
    coalescer.sig_flushed.connect(lambda text: time.sleep(0.004))  # a layout costing 4 ms
    for i in range(12):
        coalescer.push(f"t{i} ")
        coalescer.flush()
        assert stream_coalescer.FASTEST_MS <= coalescer.interval_ms() <= stream_coalescer.SLOWEST_MS
    # 4 ms may take at most DUTY of the time: every 150 ms at most (the slowest it goes).
    assert coalescer.interval_ms() == stream_coalescer.SLOWEST_MS
    cheap = StreamCoalescer()
    cheap.sig_flushed.connect(lambda text: None)
    cheap.push("t")
    cheap.flush()
    assert cheap.interval_ms() >= stream_coalescer.FASTEST_MS  # cheap, yet never above 20 a second
