"""The message column: it follows a growing reply only while the user is at the bottom,
builds long chats lazily, and the stream reaches the screen at most ~30 times a second."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.ui.chat.message_list import BATCH, MessageList
from app.ui.chat.stream_coalescer import StreamCoalescer
from tests.gui.conftest import until


def host_with_list(qtbot) -> MessageList:
    host = QWidget()
    qtbot.host = host  # keep it alive: qtbot only holds a weak reference
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
    messages = MessageList(lambda row: QLabel(row))
    layout.addWidget(messages)
    qtbot.addWidget(host)
    host.resize(500, 300)
    host.show()
    return messages


def tall_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setMinimumHeight(120)
    return label


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


async def test_long_chats_build_in_batches_keeping_the_view_still(qtbot):
    messages = host_with_list(qtbot)
    messages.show_messages([f"row {i}" for i in range(3 * BATCH + 5)])
    assert messages.built_count() == BATCH
    bar = messages.verticalScrollBar()
    await until(lambda: bar.maximum() > 0, 5, "the layout")
    first = messages.message_widgets()[0]
    bar.setValue(0)  # at the top: older messages are built a few at a time, ahead of the user
    await until(lambda: messages.built_count() > BATCH, 5, "older messages")
    await until(lambda: bar.value() > 0, 5, "the view to stay on the same message")
    assert abs(first.y() - bar.value()) < messages.viewport().height()  # still in view


async def test_the_stream_reaches_the_screen_at_most_30_times_a_second(qtbot):
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
    assert len(shown) <= 31 * elapsed + 1


async def test_scrolling_far_up_keeps_a_bounded_window_of_widgets(qtbot):
    from app.ui.chat.message_list import CHUNK, MAX_BUILT

    messages = host_with_list(qtbot)
    rows = [f"row {i}" for i in range(10 * BATCH)]
    messages.show_messages(rows)
    bar = messages.verticalScrollBar()
    for edge in (bar.minimum, bar.maximum):  # to the first message, then back to the last
        for _ in range(2000):
            bar.setValue(edge())
            await asyncio.sleep(0.005)
            assert messages.built_count() <= MAX_BUILT + CHUNK
            if not messages._near_an_unbuilt_edge() and bar.value() == edge():
                break
        expected = rows[0] if edge == bar.minimum else rows[-1]
        assert expected in [w.text() for w in messages.message_widgets()]
    bar.setValue(0)
    await until(lambda: messages._last_built < len(rows), 10, "the newest to be dropped")
    messages.append(QLabel("live"))  # sending while scrolled up: the newest come back first
    texts = [w.text() for w in messages.message_widgets()]
    assert texts[-2:] == [rows[-1], "live"]
