"""The window hosts the local API server when Settings says so: started with the window
on its own qasync loop, answering through the window's session while the window stays
responsive, billed as "API reply" in the usage view, and stopped when the window closes."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from typing import Any

import httpx
import pytest
import shiboken6

from app.core.api_settings import ApiSettings
from app.core.settings import Settings
from app.ui.main_window import MainWindow
from tests.gui.conftest import until

pytestmark = pytest.mark.model


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.qt_log_ignore("This plugin does not support raise")
async def test_the_window_serves_the_api_and_stops_it_on_close(qtbot: Any, memory_keyring: Any) -> None:
    port = free_port()
    replace(Settings.load(), api=ApiSettings(enabled=True, port=port)).save()
    window = MainWindow()  # not qtbot's: closing it deletes it
    window.show()
    await window.start()
    assert window.session is not None
    await until(lambda: window.api_server is not None and window.api_server.running, 30, "the server")
    base = f"http://127.0.0.1:{port}/v1"
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        response = await client.post("/chat/completions", json={
            "model": "switchboard/Local only", "max_tokens": 3,
            "messages": [{"role": "user", "content": "Hi"}]})
    assert response.status_code == 200
    assert response.headers["x-switchboard-routed-to"] == "local:SmolLM2-135M-Instruct"
    assert window.session.store.conversations() == []  # usage only: no chat in the list

    window.open_usage()
    assert ("Local", "SmolLM2-135M-Instruct", "API reply", "1") == window.usage_view.table_rows()[0][:4]
    window.usage_view.close()

    closed: list[bool] = []
    window.sig_closed.connect(lambda: closed.append(True))
    window.close()
    await until(lambda: closed, 30, "the window to close")
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{base}/models")
    if shiboken6.isValid(window):
        window.deleteLater()
    await asyncio.sleep(0.05)
