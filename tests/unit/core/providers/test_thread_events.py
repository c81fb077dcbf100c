"""Tokens from a worker thread: each reaches an idle loop at once; a busy loop gets what
arrived meanwhile in one go, in order, consecutive text merged."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from itertools import pairwise

from app.core.providers.base import Finish, TextDelta
from app.core.providers.thread_events import ThreadEvents, merged


def test_consecutive_text_merges_and_other_events_keep_their_place():
    items = [TextDelta("a"), TextDelta("b"), Finish("stop"), TextDelta("c")]
    assert merged(items) == [TextDelta("ab"), Finish("stop"), TextDelta("c")]
    assert merged([]) == []


async def test_an_idle_loop_gets_each_token_as_it_comes():
    events = ThreadEvents(asyncio.get_running_loop())
    seen: list[list[object]] = []
    for word in ("one ", "two "):
        threading.Thread(target=events.put, args=(TextDelta(word),)).start()
        seen.append(await asyncio.wait_for(events.take(), 10))
    assert seen == [[TextDelta("one ")], [TextDelta("two ")]]


async def test_a_busy_loop_takes_what_arrived_meanwhile_in_one_go():
    events = ThreadEvents(asyncio.get_running_loop())

    def worker() -> None:
        for i in range(100):
            events.put(TextDelta(f"{i} "))
        events.put(Finish("stop"))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()  # the loop was busy (blocked here) the whole time
    taken = await asyncio.wait_for(events.take(), 10)
    assert taken == [TextDelta("".join(f"{i} " for i in range(100))), Finish("stop")]


async def test_nothing_is_lost_between_a_take_and_the_next_put():
    events = ThreadEvents(asyncio.get_running_loop())
    done = threading.Event()

    def worker() -> None:
        for i in range(2000):
            events.put(TextDelta(f"{i},"))
        events.put(Finish("stop"))
        done.set()

    threading.Thread(target=worker).start()
    text, last = [], None
    while last != Finish("stop"):
        for item in await asyncio.wait_for(events.take(), 10):
            if isinstance(item, TextDelta):
                text.append(item.text)
            last = item
    assert "".join(text) == "".join(f"{i}," for i in range(2000))
    assert done.wait(10)


async def test_a_steady_stream_is_taken_at_most_once_per_pace():
    pace = 0.03
    events = ThreadEvents(asyncio.get_running_loop(), pace=pace)
    loop = asyncio.get_running_loop()

    def worker() -> None:
        for i in range(150):
            events.put(TextDelta(f"{i},"))
            time.sleep(0.001)
        events.put(Finish("stop"))

    threading.Thread(target=worker).start()
    text, taken_at, last = [], [], None
    while last != Finish("stop"):
        batch = await asyncio.wait_for(events.take(), 10)
        taken_at.append(loop.time())
        text += [item.text for item in batch if isinstance(item, TextDelta)]
        last = batch[-1]
    assert "".join(text) == "".join(f"{i}," for i in range(150))
    # Every take after a batch waits out the pace, however the threads were scheduled.
    assert all(later - earlier >= pace * 0.999 for earlier, later in pairwise(taken_at))
    assert len(taken_at) < 150


class _CountingLoop:
    """The running loop, counting the wake-ups the worker asks of it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.wakes = loop, 0

    def call_soon_threadsafe(self, callback: Callable[[], object]) -> None:
        self.wakes += 1
        self.loop.call_soon_threadsafe(callback)


async def test_while_pacing_nothing_wakes_the_loop_and_after_a_quiet_spell_the_next_item_does():
    loop = _CountingLoop(asyncio.get_running_loop())
    events = ThreadEvents(loop, pace=0.05)  # type: ignore[arg-type]
    events.put(TextDelta("one"))
    assert await events.take() == [TextDelta("one")]
    events.put(TextDelta("two"))  # arrives while pacing: waits for the pause to end
    events.put(TextDelta("three"))
    assert loop.wakes == 1
    assert await events.take() == [TextDelta("twothree")]
    waiting = asyncio.ensure_future(events.take())
    await asyncio.sleep(0.2)  # the pause ends on an empty look: pacing is over
    assert not waiting.done() and loop.wakes == 1
    events.put(TextDelta("four"))
    assert loop.wakes == 2  # woken at once, not after another pause
    assert await asyncio.wait_for(waiting, 10) == [TextDelta("four")]
