"""Discover in the real model manager window (issue 23): hub failures told apart in under
3 s and shown one at a time, the memory each file needs beside its size, the
recommended notes readable whole. Real sockets on 127.0.0.1 only."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from app.core.byte_size import format_bytes
from app.core.models.hub import Hub
from app.ui.inline_message import InlineMessage
from app.ui.models.discover_page import FILE_COLUMNS, RECOMMENDED_COLUMNS, DiscoverPage
from app.ui.models.model_manager_window import ModelManagerWindow
from tests.gui.conftest import until
from tests.support.hub_server import HubRepo, HubServer

REPO = "acme/Smol-GGUF"
FILE = "Smol-Copy.Q4_1.gguf"
BOUND_S = 3.0


@pytest.fixture(scope="module")
def hub(bundled_gguf: Path) -> Iterator[HubServer]:
    repos = [HubRepo(REPO, {FILE: bundled_gguf, "Smol-Copy.Q8_0.gguf": bundled_gguf}, downloads=5)]
    with HubServer(repos) as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts (from the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


_open: list[ModelManagerWindow] = []  # the page lives as long as its window


@pytest.fixture(autouse=True)
def _windows() -> Iterator[None]:
    yield
    _open.clear()


def open_discover(qtbot: QtBot, session: Any) -> DiscoverPage:
    window = ModelManagerWindow(session)
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.discover)
    _open.append(window)
    return window.discover


def shown_errors(page: DiscoverPage) -> list[str]:
    return [m.text() for m in page.findChildren(InlineMessage)
            if not m.isHidden() and m.tone in ("error", "warning") and m.text()]


async def search(page: DiscoverPage, qtbot: QtBot, text: str) -> float:
    """Type ``text`` and press Enter; the seconds until the page stopped searching and
    listing."""
    page.search_field.setText(text)
    started = time.monotonic()
    qtbot.keyClick(page.search_field, Qt.Key.Key_Return)
    await until(lambda: not page.searching and not page._runner.busy("files"), what="the hub calls")
    return time.monotonic() - started


async def test_a_refused_hub_is_one_error_naming_the_cause_in_under_3_s(
        qtbot: QtBot, session: Any, closed_port: int) -> None:
    session.models.hub = Hub(f"http://127.0.0.1:{closed_port}")
    page = open_discover(qtbot, session)
    # A pasted URL searches and lists the repository at once: both fail, one error shows.
    took = await search(page, qtbot, f"https://huggingface.co/{REPO}")
    assert took < BOUND_S
    assert shown_errors(page) == [(f"The model hub at 127.0.0.1:{closed_port} refused the connection: "
                                  "is the server running?")]
    assert page.message.tone == "error"


async def test_silence_then_a_missing_name_each_replace_the_last_error(
        qtbot: QtBot, session: Any, silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # loopback only: no proxy in between
    session.models.hub = Hub(f"http://127.0.0.1:{silent_port}")
    page = open_discover(qtbot, session)
    took = await search(page, qtbot, "smol")
    assert took < BOUND_S
    [silence] = shown_errors(page)
    assert silence.startswith(f"The model hub at 127.0.0.1:{silent_port} did not answer within ")

    session.models.hub = Hub("https://no-such-hub.invalid")
    took = await search(page, qtbot, "smol")
    assert took < BOUND_S
    [lookup] = shown_errors(page)
    assert lookup.startswith("Cannot find no-such-hub.invalid: ")
    assert "HF_" not in silence + lookup


async def test_a_missing_repository_is_one_plain_error(qtbot: QtBot, session: Any, hub: HubServer) -> None:
    session.models.hub = Hub(hub.url)
    page = open_discover(qtbot, session)
    await search(page, qtbot, "acme/Nope-GGUF")
    host = hub.url.removeprefix("http://")
    assert shown_errors(page) == [(f"No repository called acme/Nope-GGUF on the model hub at {host} "
                                  "(or it is private and needs a token).")]
    # Picking something that works clears it.
    page.recommended_table.clearSelection()
    page.open_repo(REPO)
    await until(lambda: page.files(), what="the files")
    assert shown_errors(page) == []


async def test_each_file_shows_the_memory_it_needs_beside_its_size(
        qtbot: QtBot, session: Any, hub: HubServer) -> None:
    session.models.hub = Hub(hub.url)
    page = open_discover(qtbot, session)
    page.open_repo(REPO)
    await until(lambda: page.memory(), what="the memory estimates")
    header = [page.files_table.horizontalHeaderItem(c).text() for c in range(page.files_table.columnCount())]
    assert header == list(FILE_COLUMNS) and "Memory needed" in header
    column = FILE_COLUMNS.index("Memory needed")
    expected = await session.models.memory_needed(page.files())
    for row, f in enumerate(page.files()):
        fit = expected[f.name]
        item = page.files_table.item(row, column)
        assert item.text().startswith(format_bytes(fit.needed_bytes))
        assert fit.needed_bytes > (f.size or 0)  # the weights and the context's cache
        assert "4,096 tokens of context" in item.toolTip()  # what chats use of its 8,192
        assert page.files_table.item(row, FILE_COLUMNS.index("Size")).text() == format_bytes(f.size or 0)

    # Picking a file then shows its fit from that estimate, without reading a header again.
    asked = len(hub.requests)
    page.files_table.selectRow(1)
    assert page.fit is not None and page.fit == page.memory()[page.files()[1].name]
    assert page.fit_badge.text().endswith(page.fit.words) and len(hub.requests) == asked


async def test_recommended_notes_are_never_cut(qtbot: QtBot, session: Any) -> None:
    page = open_discover(qtbot, session)
    table = page.recommended_table
    note = RECOMMENDED_COLUMNS.index("Note")
    for width in (960, 700):  # a narrower window wraps more: rows must still hold the notes
        page.window().resize(width, 640)
        await until(lambda: table.columnWidth(note) > 0, what="the layout")
        qtbot.wait(50)
        metrics = QFontMetrics(table.font())
        for row, pick in enumerate(session.models.recommended()):
            item = table.item(row, note)
            assert item.text() == pick.note and item.toolTip() == pick.note
            room = QRect(0, 0, table.columnWidth(note) - 8, 10_000)
            needed = metrics.boundingRect(room, int(Qt.TextFlag.TextWordWrap), pick.note).height()
            assert table.rowHeight(row) >= needed, (width, pick.note)
            size = table.item(row, RECOMMENDED_COLUMNS.index("Size")).text()
            assert size.startswith("about ") and size.endswith("B")
