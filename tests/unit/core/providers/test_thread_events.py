"""Tokens from a worker thread: each reaches an idle loop at once; a busy loop gets what
arrived meanwhile in one go, in order, consecutive text merged."""

from __future__ import annotations

import asyncio
import threading

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
