"""The model manager window against a real loopback hub serving the real bundled GGUF:
search, pick, fit badge, download with progress, pause/resume, cancel, library actions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.core.paths import models_dir
from app.ui.models.discover_page import VERDICT_LABELS
from app.ui.models.downloads_page import STATE_WORDS
from app.ui.models.model_manager_window import ModelManagerWindow
from tests.gui.conftest import until
from tests.support.hub_server import HubRepo, HubServer
from tests.support.range_server import RangeServer

REPO = "acme/Smol-GGUF"
FILE = "Smol-Copy.Q4_1.gguf"


@pytest.fixture(scope="module")
def hub(bundled_gguf: Path) -> Iterator[HubServer]:
    repos = [HubRepo(REPO, {FILE: bundled_gguf, "README.md": b"# Smol"}, downloads=500, likes=7),
             HubRepo("acme/Other-GGUF", {"other.Q8_0.gguf": b"GGUF not really"}, downloads=900, likes=1)]
    with HubServer(repos) as server:
        yield server


@pytest.fixture
def hub_env(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> HubServer:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)  # before session.models builds its Hub()
    return hub


def open_window(qtbot: QtBot, session: Any) -> ModelManagerWindow:
    window = ModelManagerWindow(session)
    qtbot.addWidget(window)
    window.show()
    return window


def check_accessible(widget: QWidget) -> None:
    for control in widget.findChildren(QPushButton):
        assert control.accessibleName(), control.text()
        assert control.toolTip(), control.text()


async def pick_file(window: ModelManagerWindow, qtbot: QtBot) -> None:
    discover = window.discover
    window.tabs.setCurrentWidget(discover)
    discover.search_field.setText("gguf")
    qtbot.keyClick(discover.search_field, Qt.Key.Key_Return)
    assert discover.searching and not discover.search_button.isEnabled()
    await until(lambda: not discover.searching, what="search results")
    assert [r.id for r in discover.results()] == ["acme/Other-GGUF", REPO]  # most downloaded first
    discover.results_table.selectRow(1)
    await until(lambda: discover.files(), what="the repo's files")
    assert [f.name for f in discover.files()] == [FILE]
    assert not discover.download_button.isEnabled()
    assert discover.files_table.item(0, 1).text() == "Q4_1"
    assert hub_sha(discover) in discover.files_table.item(0, 0).toolTip()
    discover.files_table.selectRow(0)
    assert discover.download_button.isEnabled()
    await until(lambda: discover.fit is not None, what="the fit badge")
    fit = discover.fit
    assert fit is not None
    assert fit.words in discover.fit_badge.text()
    assert discover.fit_badge.text().startswith(VERDICT_LABELS[fit.verdict])
    assert discover.fit_badge.tone in ("ok", "warning", "error")


def hub_sha(discover: Any) -> str:
    return str(discover.files()[0].sha256)


async def test_search_pick_fit_download_then_chat_target(qtbot: QtBot, session: Any, hub_env: HubServer) -> None:
    window = open_window(qtbot, session)
    check_accessible(window)
    assert window.discover.recommended_table.rowCount() == len(session.models.recommended())
    changed: list[bool] = []
    window.changes.sig_local_models_changed.connect(lambda: changed.append(True))
    await pick_file(window, qtbot)
    window.discover.confirm_too_big = lambda file, estimate: True  # type: ignore[method-assign]
    qtbot.mouseClick(window.discover.download_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.downloads
    await until(lambda: window.downloads.rows(), what="a download row")
    row = window.downloads.rows()[0]
    await until(lambda: row.job.state == "done", timeout=30, what="the download to finish")
    await until(lambda: changed, what="the local_models change")
    # The row repaints on its coalescing timer, which may fire after the library's change.
    await until(lambda: row.state_label.text() == STATE_WORDS["done"], what="the row to show it done")
    assert row.bar.value() == 1000
    assert "94.0 MB" in row.detail.text() or "98.4 MB" in row.detail.text()
    assert not row.pause_button.isVisible() and not row.cancel_button.isVisible()
    names = [e.name for e in window.library.entries()]
    assert "Smol-Copy" in names
    assert "Smol-Copy" in session.local_models
    assert session.availability("local:Smol-Copy").ok
    check_accessible(window)


@pytest.fixture
def stalling(bundled_gguf: Path, session: Any, hub_env: HubServer) -> Iterator[RangeServer]:
    """The same bytes from a RangeServer that can stall mid-file."""
    with RangeServer(bundled_gguf) as server:
        session.models.hub.file_url = lambda repo, name, revision="main": server.file_url
        yield server


async def start_stalled_download(window: ModelManagerWindow, qtbot: QtBot, server: RangeServer) -> Any:
    await pick_file(window, qtbot)
    server.stall(20.0, after=2_000_000)
    window.discover.confirm_too_big = lambda file, estimate: True  # type: ignore[method-assign]
    qtbot.mouseClick(window.discover.download_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.downloads.rows(), what="a download row")
    row = window.downloads.rows()[0]
    await until(lambda: row.job.progress is not None and row.job.progress.done > 0
                and row.bar.value() > 0, what="progress")
    assert row.pause_button.isVisible() and row.cancel_button.isVisible()
    assert not row.resume_button.isVisible()
    assert " of " in row.detail.text()
    return row


async def test_pause_then_resume_completes(qtbot: QtBot, session: Any, stalling: RangeServer) -> None:
    window = open_window(qtbot, session)
    row = await start_stalled_download(window, qtbot, stalling)
    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    await until(lambda: row.state_label.text() == "Paused" and row.resume_button.isVisible(),
                what="the paused row")
    assert not row.pause_button.isVisible()
    qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    await until(lambda: row.job.state == "done", timeout=30, what="the resumed download")
    assert stalling.ranges[-1] is not None  # resumed from the bytes kept
    await until(lambda: "Smol-Copy" in [e.name for e in window.library.entries()], what="library")


async def test_cancel_leaves_no_files(qtbot: QtBot, session: Any, stalling: RangeServer) -> None:
    window = open_window(qtbot, session)
    row = await start_stalled_download(window, qtbot, stalling)
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    await until(lambda: row.state_label.text() == "Cancelled", what="the cancelled row")
    await session.models.downloads.wait_idle()
    assert list(models_dir().iterdir()) == []
    assert not any(b.isVisible() for b in (row.pause_button, row.resume_button, row.cancel_button))


async def test_interrupted_download_is_restored_on_open(qtbot: QtBot, session: Any, stalling: RangeServer) -> None:
    first = open_window(qtbot, session)
    row = await start_stalled_download(first, qtbot, stalling)
    first.close()
    await session.models.downloads.aclose()  # quitting mid-download keeps the part
    session.models.downloads.jobs.clear()  # as a fresh start would have it
    second = open_window(qtbot, session)
    rows = second.downloads.rows()
    assert [r.job.file.name for r in rows] == [FILE]
    assert rows[0].state_label.text() == "Paused" and not rows[0].resume_button.isHidden()
    assert rows[0].bar.value() > 0
    assert row is not rows[0]


async def test_hub_error_shown_inline(qtbot: QtBot, session: Any, hub_env: HubServer) -> None:
    window = open_window(qtbot, session)
    discover = window.discover
    discover.search_field.setText("acme/Nope-GGUF")
    qtbot.keyClick(discover.search_field, Qt.Key.Key_Return)
    await until(lambda: "No repository called acme/Nope-GGUF" in discover.message.text(),
                what="the hub's error")
    assert discover.message.tone == "error" and not discover.message.isHidden()
    await until(lambda: not discover.searching, what="the search")
    # The search found nothing, after the listing failed: the failure stays the one message.
    assert "No repository called acme/Nope-GGUF" in discover.message.text()
    assert discover.files_message.isHidden() and discover.fit_badge.isHidden()
    assert discover.files() == [] and not discover.download_button.isEnabled()


async def test_import_remove_and_use_for_chat(qtbot: QtBot, session: Any, hub_env: HubServer,
                                              bundled_gguf: Path, tmp_path: Path) -> None:
    window = open_window(qtbot, session)
    library = window.library
    changed: list[bool] = []
    window.changes.sig_local_models_changed.connect(lambda: changed.append(True))
    before = [e.name for e in library.entries()]

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"this is not a model")
    library.choose_file = lambda: junk  # type: ignore[method-assign]
    qtbot.mouseClick(library.import_button, Qt.MouseButton.LeftButton)
    await until(lambda: library.message.tone == "error", what="the import error")
    assert "junk.gguf cannot be used" in library.message.text()
    assert [e.name for e in library.entries()] == before and not changed
    assert not models_dir().exists() or list(models_dir().iterdir()) == []

    copy = tmp_path / "Mine.Q4_1.gguf"
    copy.write_bytes(bundled_gguf.read_bytes())
    library.choose_file = lambda: copy  # type: ignore[method-assign]
    qtbot.mouseClick(library.import_button, Qt.MouseButton.LeftButton)
    await until(lambda: changed, what="the import")
    assert "Mine" in session.local_models
    row = [e.name for e in library.entries()].index("Mine")
    assert library.table.item(row, 4).text() == "yes"

    library.select("Mine")
    opened: list[QUrl] = []
    library.open_url = lambda url: opened.append(url) or True  # type: ignore[method-assign]
    qtbot.mouseClick(library.folder_button, Qt.MouseButton.LeftButton)
    assert opened == [QUrl.fromLocalFile(str(models_dir()))]

    # The import's change is published before its task ends; "Use for chat" is enabled
    # only then (a click on it while disabled does nothing, and this waited in vain).
    await until(lambda: library.use_button.isEnabled(), what="the import to finish")
    qtbot.mouseClick(library.use_button, Qt.MouseButton.LeftButton)
    await until(lambda: session.settings.default_local_model == "Mine", what="the default model")
    await until(lambda: library.use_button.isEnabled(), what="the save to finish")

    bundled = next(e for e in library.entries() if e.bundled)
    library.select(bundled.name)
    assert not library.remove_button.isEnabled()

    library.select("Mine")
    asked: list[str] = []
    library.confirm_remove = lambda entry: asked.append(entry.name) or True  # type: ignore[method-assign]
    qtbot.mouseClick(library.remove_button, Qt.MouseButton.LeftButton)
    assert asked == ["Mine"]
    assert "Mine" not in session.local_models
    assert "Mine" not in [e.name for e in library.entries()]
    assert not (models_dir() / "Mine.Q4_1.gguf").exists()
    assert len(changed) == 3  # imported, chosen for chat, removed


async def test_unusable_file_listed_with_problem(qtbot: QtBot, session: Any, hub_env: HubServer) -> None:
    models_dir().mkdir(parents=True, exist_ok=True)
    (models_dir() / "Broken.Q4_0.gguf").write_bytes(b"GGUF\x03\x00\x00\x00truncated")
    window = open_window(qtbot, session)
    library = window.library
    row = [e.name for e in library.entries()].index("Broken")
    assert library.table.item(row, 1).text().startswith("Cannot be used:")
    library.select("Broken")
    assert not library.use_button.isEnabled() and library.remove_button.isEnabled()


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen cannot raise windows
async def test_downloading_or_choosing_a_model_updates_the_status_bar(
        qtbot: QtBot, memory_keyring: Any, hub_env: HubServer) -> None:
    """Over the real window: the status bar follows the session's local_models changes."""
    from app.core.settings import BUNDLED_MODEL, Settings
    from app.ui.main_window import MainWindow

    Settings(default_local_model="Smol-Copy").save()  # chosen, but not on this computer yet
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    await window.start()
    status = window.status.model
    assert status.text() == "Local model: Smol-Copy — not installed (see Models)"

    window.open_models()
    manager = window.models_window
    await pick_file(manager, qtbot)
    manager.discover.confirm_too_big = lambda file, estimate: True
    qtbot.mouseClick(manager.discover.download_button, Qt.MouseButton.LeftButton)
    await until(lambda: status.text() == "Local model: Smol-Copy — ready", timeout=60,
                what="the downloaded model to show as loaded")

    manager.tabs.setCurrentWidget(manager.library)
    manager.library.select(BUNDLED_MODEL)
    qtbot.mouseClick(manager.library.use_button, Qt.MouseButton.LeftButton)
    await until(lambda: status.text() == f"Local model: {BUNDLED_MODEL} — ready", timeout=60,
                what="the model chosen for chat to show")

    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    await until(lambda: closed, 30, "the window to close")


async def test_the_library_shows_what_chats_use_of_a_models_context(qtbot: QtBot, session: Any) -> None:
    window = open_window(qtbot, session)
    library = window.library
    row = next(i for i, e in enumerate(library.entries()) if e.name == "SmolLM2-135M-Instruct")
    column = 3  # Context
    assert library.table.item(row, column).text() == "4,096 (model max 8,192)"
    assert "Settings → Local models → Context length" in library.table.item(row, column).toolTip()
