"""Settings → Local API server: the switch starts the server on the window's own qasync
loop and stops it, the base URL copies, a token is created once (shown with Copy, kept
only in the keyring, required at once) and removed, and the port saves."""

from __future__ import annotations

import socket
from typing import Any

import httpx
from PySide6.QtGui import QGuiApplication

from app.core.api_settings import API_TOKEN_ID
from app.core.secrets import SERVICE
from app.core.settings import Settings
from app.ui.api_server import ApiServerHost
from app.ui.settings.api_page import TOKEN_NONE, TOKEN_SET, ApiPage
from app.ui.settings.settings_dialog import SettingsDialog
from tests.gui.conftest import until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_switch_serves_the_routers_from_the_window_loop(qtbot: Any, session: Any,
                                                                 memory_keyring: Any) -> None:
    host = ApiServerHost(session)
    try:
        await _switch_serves(qtbot, session, memory_keyring, host)
    finally:
        await host.stop()


async def _switch_serves(qtbot: Any, session: Any, memory_keyring: Any, host: ApiServerHost) -> None:
    page = ApiPage(session.saved_settings, host)
    qtbot.addWidget(page)
    page.show()
    port = free_port()
    page.port.setValue(port)
    assert Settings.load().api.port == port and not host.running
    assert page.token_status.text() == TOKEN_NONE and not page.remove_token.isEnabled()

    with qtbot.wait_signal(page.sig_changed):
        page.enabled.click()
    await until(lambda: host.running, what="the server to start")
    assert Settings.load().api.enabled
    url = f"http://127.0.0.1:{port}/v1"
    assert page.base_url.text() == url and page.status.text().startswith(f"Running on {url}")
    page.copy_url.click()
    assert QGuiApplication.clipboard().text() == url
    async with httpx.AsyncClient(base_url=url) as client:
        models = await client.get("/models")  # served by this very loop, while Qt runs
        assert models.status_code == 200
        assert "switchboard/Local only" in {m["id"] for m in models.json()["data"]}

        page.create_token.click()
        await until(lambda: page.token.isVisible(), what="the new token")
        token = page.token.text()
        assert token.startswith("sb-") and memory_keyring.get_password(SERVICE, API_TOKEN_ID) == token
        page.copy_token.click()
        assert QGuiApplication.clipboard().text() == token
        assert page.token_status.text() == TOKEN_SET and page.remove_token.isEnabled()
        assert (await client.get("/models")).status_code == 401
        authorised = await client.get("/models", headers={"authorization": f"Bearer {token}"})
        assert authorised.status_code == 200

        page.hide()  # shown once: leaving the page forgets it
        assert page.token.text() == "" and not page.token.isVisible()
        page.show()
        page.remove_token.click()
        await until(lambda: not host.has_token, what="the token to go")
        assert memory_keyring.get_password(SERVICE, API_TOKEN_ID) is None
        assert (await client.get("/models")).status_code == 200

    page.enabled.click()
    await until(lambda: not host.running and page.status.text() == "Not running.", what="the stop")
    assert not Settings.load().api.enabled


async def test_a_port_in_use_is_shown_on_the_page(qtbot: Any, session: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        host = ApiServerHost(session)
        page = ApiPage(session.saved_settings, host)
        qtbot.addWidget(page)
        page.show()
        page.port.setValue(taken.getsockname()[1])
        page.enabled.click()
        await until(lambda: bool(host.problem), what="the failed start")
        assert "in use" in page.status.text() and page.problem.isVisible()
        assert not host.running


async def test_the_settings_dialog_has_the_page(qtbot: Any, session: Any) -> None:
    dialog = SettingsDialog(session, lambda offline: None)
    qtbot.addWidget(dialog)
    dialog.show_page("api")
    assert dialog.tabs.currentWidget() is dialog.api
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Local API server"
    await dialog.api_server.stop()
