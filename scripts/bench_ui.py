"""``bench.py ui``: how fast the window appears, and whether streaming ever stalls it.

startup_ms: process start → main window shown (offscreen), ``python -m app`` as a user
runs it; baseline: a bare PySide6 process that shows an empty QWidget, in the same run.
max_stall_ms: the worst lateness of a 5 ms timer on the event loop while the window
streams ``tokens`` tokens from the bundled model at full local speed; baseline: the same
timer on the idle window.
generation_tokens_per_s: the window's replies (five, each in a new chat) against the
bundled model through the provider alone in the same process (bare), alternating, a bare
round first and last; generation_ratio is the median of each window round over the mean
of the bare rounds on either side of it. The stall timer ticks through both, and the
window's reply is awaited, not polled, so what is measured costs both sides the same.
long_chat_*: opening a chat of 1,000 and of 10,000 messages, the stall after it opened
(its meter and lock), scrolling it (see _open_long_chat), and the process's memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TICK_MS = 5
PROMPT = "Write a very long story about a lighthouse keeper and the sea, in many chapters."
BARE_WINDOW = (
    "import json, time\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QWidget\n"
    "app = QApplication([]); w = QWidget(); w.resize(1180, 780); w.show()\n"
    "def shown():\n"
    "    print(json.dumps({'shown_at': time.time()}), flush=True); app.exit(0)\n"
    "QTimer.singleShot(0, shown); app.exec()\n"
)


def _shown_ms(command: list[str], home: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SWITCHBOARD_REPORT_SHOWN": "1",
           "SWITCHBOARD_HOME": home}
    started = time.time()
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    shown_at = json.loads(out.strip().splitlines()[-1])["shown_at"]
    return (shown_at - started) * 1000


def bench_startup(runs: int) -> dict[str, Any]:
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(runs):  # alternating, so drift in the machine's speed hits both
            ours.append(_shown_ms([sys.executable, "-m", "app"], home))
            bare.append(_shown_ms([sys.executable, "-c", BARE_WINDOW], home))
    return {"startup_ms": round(statistics.median(ours)), "startup_ms_runs": [round(x) for x in ours],
            "baseline_bare_qt_window_ms": round(statistics.median(bare))}


def bench_frozen(runs: int) -> dict[str, Any]:
    """Start-up of the packaged app (dist/Switchboard, from scripts/build_app) against the
    source run, in the same call: once each from a cold page cache (dropped before each,
    where this user may: root on Linux), then ``runs`` warm starts each, alternating."""
    frozen = ROOT / "dist" / "Switchboard" / "switchboard"
    if not frozen.is_file():
        raise SystemExit(f"{frozen} is missing: build it with scripts/build_app")
    frozen_cmd, source_cmd = [str(frozen)], [sys.executable, "-m", "app"]
    ours, source = [], []
    with tempfile.TemporaryDirectory() as home:
        cold = _drop_page_cache()
        frozen_cold = _shown_ms(frozen_cmd, home)
        _drop_page_cache()
        source_cold = _shown_ms(source_cmd, home)
        for _ in range(runs):
            ours.append(_shown_ms(frozen_cmd, home))
            source.append(_shown_ms(source_cmd, home))
    return {"cold_cache": cold, "frozen_cold_start_ms": round(frozen_cold),
            "baseline_source_cold_start_ms": round(source_cold),
            "frozen_startup_ms": round(statistics.median(ours)),
            "frozen_startup_ms_runs": [round(x) for x in ours],
            "baseline_source_startup_ms": round(statistics.median(source)),
            "folder_mb": round(sum(f.stat().st_size for f in frozen.parent.rglob("*")
                                   if f.is_file() and not f.is_symlink()) / 2**20)}


def _drop_page_cache() -> bool:
    """Empty the kernel's page cache so the next start reads its files from disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


class StallMeter:
    """A timer that measures its own lateness: how long the event loop was busy elsewhere."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.samples: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer(interval=TICK_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    def start(self) -> None:
        self.samples.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> dict[str, float]:
        self._timer.stop()
        ordered = sorted(self.samples)
        return {"max_ms": round(ordered[-1], 1), "p99_ms": round(ordered[int(len(ordered) * 0.99)], 1),
                "ticks": len(ordered)}


async def _stream_through_window(window: Any, tokens: int, rounds: int = 5) -> dict[str, Any]:
    """Alternate the bare provider and the window, ``rounds`` times each, each reply in a
    fresh chat from the same prompt (a longer context generates slower, so the window's
    replies must not pile up in one chat while the bare one starts empty)."""
    chat = window.chat
    while "ready" not in window.status.model.text():  # the model loads first, not timed
        await asyncio.sleep(0.05)
    meter = StallMeter()
    meter.start()
    await asyncio.sleep(2.0)
    idle = meter.stop()
    window_rates, bare_rates, stalls = [], [], []
    streamed, flushes, seconds = 0, 0, 0.0
    for _ in range(rounds):
        meter.start()  # its ticks cost the main thread: the bare rounds pay them too
        bare_rates.append(await _bare_generation_speed(window.session, tokens))
        meter.stop()
        chat.new_chat()
        await _settle()
        before = chat.coalescer.flushes
        meter.start()
        started = time.perf_counter()
        row = await _reply_in_window(window, tokens)
        seconds += time.perf_counter() - started
        meter.stop()
        stalls += meter.samples
        streamed += row.tokens_out or 0
        flushes += chat.coalescer.flushes - before
        window_rates.append((row.tokens_out or 0) / (((row.latency_ms or 0) - (row.ttft_ms or 0)) / 1000))
    meter.start()
    bare_rates.append(await _bare_generation_speed(window.session, tokens))  # brackets the last
    meter.stop()
    stalls.sort()
    long_chat = {**await _open_long_chat(window, 1000, "wheel"),
                 **await _open_long_chat(window, 10_000, "jumps")}
    generation, bare = statistics.median(window_rates), statistics.median(bare_rates)
    return {"tokens": streamed, "seconds": round(seconds, 2),
            "generation_tokens_per_s": round(generation, 1),
            "generation_tokens_per_s_runs": [round(x, 1) for x in window_rates],
            "baseline_bare_provider_tokens_per_s": round(bare, 1),
            "baseline_bare_provider_tokens_per_s_runs": [round(x, 1) for x in bare_rates],
            # Each window round against the bare rounds just before and after it: the
            # machine's speed drifts by ±10% within a run, and bracketing cancels the drift.
            "generation_ratio": round(statistics.median(
                w / ((before + after) / 2) for w, before, after in zip(window_rates, bare_rates, bare_rates[1:])), 3),
            "generation_ratio_of_medians": round(generation / bare, 3),
            "screen_updates_per_s": round(flushes / seconds, 1),
            "flush_interval_ms": chat.coalescer.interval_ms(),
            "max_stall_ms": round(stalls[-1], 1), "p99_stall_ms": round(stalls[int(len(stalls) * 0.99)], 1),
            "baseline_idle_max_stall_ms": idle["max_ms"], "baseline_idle_p99_stall_ms": idle["p99_ms"],
            **long_chat}


async def _reply_in_window(window: Any, tokens: int) -> Any:
    """Send the prompt in the open chat and wait for its reply's row. Its end is awaited,
    not polled: polling would cost the window's rounds alone."""
    chat = window.chat
    finished = asyncio.Event()

    def on_busy(busy: bool) -> None:
        if not busy:
            finished.set()

    chat.sig_busy_changed.connect(on_busy)
    window.session.chat.max_tokens = tokens
    chat.send(PROMPT, [])
    await finished.wait()
    chat.sig_busy_changed.disconnect(on_busy)
    row = window.session.conversations.messages(chat.conversation_id)[-1]
    if not row.content:
        raise RuntimeError(f"the reply failed: {row.error}")
    while chat.is_busy():  # its task ends just after it says so
        await asyncio.sleep(0.01)
    return row


async def _settle() -> None:
    """Let the loop run Qt's posted layout and paint events (never processEvents() inside
    a coroutine: it would run other tasks' steps re-entrantly)."""
    for _ in range(3):
        await asyncio.sleep(0)


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


async def _open_long_chat(window: Any, count: int, step: str) -> dict[str, Any]:
    """Open a chat of ``count`` messages and scroll it, timing the loop's worst lateness.
    ``step`` "wheel": to its first message and back down to its last, 120 px every 16 ms
    as a mouse wheel does. "jumps": the scroll thumb dragged to 20 places spread over the
    chat, and at each the wheel three screens up and back (crossing 10,000 messages by
    wheel would take minutes)."""
    store = window.session.store
    cid = store.create_conversation(f"Long chat ({count})")
    rss_before = _rss_mb()
    for i in range(count):
        store.add_message(cid, "user" if i % 2 == 0 else "assistant",
                          f"Message {i}: some **Markdown** text, long enough to wrap once or twice "
                          "in the column, as real chat messages do." + (" And more." * (i % 5) * 8))
    started = time.perf_counter()
    window.chat.open_conversation(cid)
    await _settle()
    opened = (time.perf_counter() - started) * 1000
    meter = StallMeter()  # what the chat's meter and lock compute after it opened
    meter.start()
    await asyncio.sleep(3.0)
    after_open = meter.stop()
    messages = window.chat.messages
    bar = messages.verticalScrollBar()
    meter.start()
    started = time.perf_counter()
    if step == "wheel":
        await _wheel(bar, -1, lambda: bar.value() == 0)
        await _wheel(bar, 1, lambda: bar.value() == bar.maximum())
    else:
        screens = 3 * messages.viewport().height()
        for place in range(20):
            bar.setValue(bar.maximum() * ((place * 7) % 20) // 19)
            await asyncio.sleep(0.05)
            top, back = max(0, bar.value() - screens), bar.value()
            await _wheel(bar, -1, lambda top=top: bar.value() <= top)
            await _wheel(bar, 1, lambda back=back: bar.value() >= min(bar.maximum(), back))
    scrolled = meter.stop()
    key = f"long_chat_{count}"
    return {f"{key}_open_ms": round(opened, 1),
            f"{key}_after_open_max_stall_ms": after_open["max_ms"],
            f"{key}_built_widgets": messages.built_count(),
            f"{key}_scroll_step": step,
            f"{key}_scroll_round_trip_s": round(time.perf_counter() - started, 1),
            f"{key}_scroll_max_stall_ms": scrolled["max_ms"],
            f"{key}_scroll_p99_stall_ms": scrolled["p99_ms"],
            f"{key}_rss_mb": _rss_mb(), f"{key}_rss_before_mb": rss_before}


async def _wheel(bar: Any, direction: int, done: Any) -> None:
    while not done():
        bar.setValue(bar.value() + direction * 120)
        await asyncio.sleep(0.016)


async def _bare_generation_speed(session: Any, tokens: int) -> float:
    """The same model through the provider alone, no window: what the UI may cost.
    Tokens are the model's count (Usage): the provider merges text that arrives while
    the loop is busy, so deltas are not tokens."""
    from app.core.providers.base import ChatMessage, ChatRequest, TextDelta, Usage

    request = ChatRequest(session.settings.default_local_model, (ChatMessage("user", PROMPT),),
                          max_tokens=tokens)
    first: float | None = None
    count = 0
    async for event in session.registry.local.stream_chat(request):
        if isinstance(event, TextDelta):
            first = first or time.perf_counter()
        elif isinstance(event, Usage):
            count = event.output_tokens
    assert first is not None
    return count / (time.perf_counter() - first)  # as the window's: tokens over (latency - TTFT)


def bench_stall(tokens: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["SWITCHBOARD_HOME"] = home
        from app.ui.app import make_application
        from app.ui.event_loop import AppEventLoop
        from app.ui.main_window import MainWindow

        app = make_application([])
        loop = AppEventLoop(app)
        asyncio.set_event_loop(loop)
        window = MainWindow()
        window.show()

        async def run() -> dict[str, Any]:
            await window.start()
            try:
                return await _stream_through_window(window, tokens)
            finally:
                closed = asyncio.Event()
                window.sig_closed.connect(closed.set)
                window.close()
                await closed.wait()

        with loop:
            return loop.run_until_complete(run())


def bench_ui(runs: int, tokens: int) -> dict[str, Any]:
    return {"bench": "ui", **bench_startup(runs), **bench_stall(tokens),
            "goals": {"startup_ms": "< 1000", "max_stall_ms": "< 20",
                      "generation_tokens_per_s": ">= 0.92 x baseline_bare_provider_tokens_per_s",
                      "long_chat_*_scroll_max_stall_ms": "< 30", "long_chat_10000_open_ms": "< 300"}}
