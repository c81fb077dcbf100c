"""The settings window against real parts: llama.cpp's own OpenAI-compatible server on
loopback (set up, tested and chatted through from the Providers page), and the real
Secret Service (a key saved in the page survives a restart and is nowhere on disk)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.controller.session import Session
from app.core.router.library import user_routers_dir
from app.ui.main_window import MainWindow
from app.ui.settings.providers_page import CUSTOM
from tests.gui.conftest import until

MODEL = "SmolLM2-135M-Instruct"
# The settings window is raised when opened; the offscreen platform cannot raise windows.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


async def close(window: MainWindow) -> None:
    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    await until(lambda: closed, 30, "the window to close")


@pytest.mark.peer
@pytest.mark.model
async def test_add_a_server_test_it_pick_a_model_and_chat_through_it(qtbot, memory_keyring, llama_server):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    await window.start()
    window.open_settings()
    page = window.settings_dialog.providers
    page.add_provider(CUSTOM)
    page.id_edit.setText("peer")
    page.url_edit.setText(llama_server)
    qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    await until(lambda: not page.busy() and page.test_result.text(), 60, "the connection test")
    assert page.test_result.text().startswith("OK"), page.test_result.text()
    qtbot.mouseClick(page.load_models_button, Qt.MouseButton.LeftButton)
    await until(lambda: not page.busy() and page.default_combo.findText(MODEL) >= 0, 60, "the model list")
    page.default_combo.setCurrentText(MODEL)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: not page.busy() and any(p.id == "peer" for p in window.session.settings.providers),
                30, "the provider to be saved")
    saved = next(p for p in window.session.settings.providers if p.id == "peer")
    assert saved.config.default_model == MODEL and MODEL in saved.enabled_models

    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "peer.json").write_text(json.dumps(
        {"schema": 1, "name": "Peer", "fallback": [f"peer:{MODEL}"], "rules": []}))
    window.settings_dialog.close()
    window.chat.reload_routers()
    window.chat.router_picker.setCurrentText("Peer")
    window.session.chat.max_tokens = 16
    window.chat.send("Say hello.", [])
    await until(lambda: not window.chat.is_busy(), 120, "the reply")
    reply = window.session.conversations.messages(window.chat.conversation_id)[-1]
    assert reply.status == "complete" and reply.content and reply.target == f"peer:{MODEL}"
    await close(window)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.keyring
async def test_a_key_saved_in_the_page_comes_back_after_a_restart_and_is_nowhere_on_disk(
        qtbot, switchboard_home):
    sentinel = f"sk-sentinel-{uuid.uuid4().hex}"
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    await window.start()
    assert window.session.secrets.secure, "no Secret Service: run through scripts/test"
    window.open_settings()
    page = window.settings_dialog.providers
    page.add_provider("openai")
    page.key_edit.setText(sentinel)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: not page.busy() and window.session.settings.providers, 30, "the save")
    provider_id = window.session.settings.providers[0].id
    assert page.key_edit.text() == ""  # the widget does not keep the key
    await close(window)

    restarted = await Session.open()  # a new app object: nothing cached
    try:
        assert restarted.secrets.cached(provider_id) == sentinel  # read back from the keyring
        on_disk = [p for p in files_under(switchboard_home) if sentinel.encode() in p.read_bytes()]
        assert on_disk == []
    finally:
        await restarted.secrets.delete(provider_id)
        await restarted.aclose()
