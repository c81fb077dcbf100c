"""Settings → Providers against a real loopback OpenAI-compatible server and the real
session: keys go to the keyring (an in-memory one here), never to settings.json."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import keyring.core
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLayout,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.providers.config import ProviderConfig
from app.core.settings import ProviderSettings
from app.ui.inline_message import InlineMessage
from app.ui.settings.providers_page import (
    CUSTOM,
    KEY_NOT_NEEDED,
    KEY_SESSION,
    KEY_STORED,
    ProvidersPage,
)
from tests.conftest import free_port
from tests.gui.conftest import until
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, json_reply

GOOD_KEY = "sk-good-0123456789-secret"
WRONG_KEY = "sk-wrong-999"


class ModelServer:
    """GET /v1/models answers two models for ``Bearer GOOD_KEY``, 401 otherwise."""

    def __init__(self) -> None:
        self.delay = 0.0  # seconds before the body: a slow server
        self.server = SSEServer(self._handle)

    def _handle(self, request: RecordedRequest) -> Reply:
        if request.route != "/v1/models":
            return json_reply({"error": {"message": "not found"}}, 404)
        if request.headers.get("authorization") != f"Bearer {GOOD_KEY}":
            return json_reply({"error": {"message": "Incorrect API key provided"}}, 401)
        reply = json_reply({"object": "list", "data": [{"id": "m1"}, {"id": "m2"}]})
        if self.delay:
            reply.chunks = [self.delay, *reply.chunks]
        return reply

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/v1"


@pytest.fixture
def models_server() -> Iterator[ModelServer]:
    server = ModelServer()
    with server.server:
        yield server


class Hosted:
    """The page in a host window; keeps the host alive (qtbot only holds weak refs)."""

    def __init__(self, qtbot: QtBot, setup: Any) -> None:
        self.host = QWidget()
        qtbot.addWidget(self.host)
        layout = QVBoxLayout(self.host)
        # Offscreen Qt warns on every change of a window's size constraints.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.page = ProvidersPage(setup, self.host)
        layout.addWidget(self.page)
        self.changed: list[bool] = []
        self.page.sig_changed.connect(lambda: self.changed.append(True))
        self.host.resize(760, 620)
        self.host.show()
        qtbot.waitExposed(self.host)


def add_custom(page: ProvidersPage, provider_id: str, url: str, key: str | None) -> None:
    action = next(a for a in page.add_menu.actions() if a.data() == CUSTOM)
    action.trigger()
    assert not page.id_edit.isReadOnly()
    page.id_edit.setText(provider_id)
    page.url_edit.setText(url)
    if key is not None:
        page.key_edit.setText(key)


async def idle(page: ProvidersPage, what: str = "the page to finish") -> None:
    await until(lambda: not page.busy(), 10, what)


def list_subtitles(page: ProvidersPage) -> list[str]:
    return [page.provider_list.item(row).data(Qt.ItemDataRole.AccessibleTextRole)
            for row in range(page.provider_list.count())]


def settings_text() -> str:
    return (Path(os.environ["SWITCHBOARD_HOME"]) / "settings.json").read_text("utf-8")


# -- the whole round trip -----------------------------------------------------------------


async def test_add_custom_test_load_models_and_save(qtbot: QtBot, session: Any, memory_keyring: Any,
                                                     models_server: ModelServer) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    assert page.empty_label.isVisible()  # no providers yet: the page says what to do

    add_custom(page, "myserver", models_server.base_url, GOOD_KEY)
    assert page.kind_label.text() == "OpenAI-compatible"
    assert page.key_edit.echoMode() == QLineEdit.EchoMode.Password
    page.reveal_button.click()
    assert page.key_edit.echoMode() == QLineEdit.EchoMode.Normal
    page.reveal_button.click()
    assert page.save_button.isEnabled()

    # A slow server: the button waits, the loop keeps running, then the result shows.
    models_server.delay = 0.4
    page.test_button.click()
    assert not page.test_button.isEnabled()
    started = time.monotonic()
    ticks = 0
    while page.busy():
        ticks += 1
        await asyncio.sleep(0.01)
        assert time.monotonic() - started < 10
    assert ticks > 10  # the window was responsive while the test ran
    assert page.test_button.isEnabled()
    assert page.test_result.isVisible()
    assert page.test_result.text() == "OK, 2 models"
    assert page.test_result.tone == "ok"
    models_server.delay = 0.0

    page.load_models_button.click()
    await idle(page, "the model list")
    assert [page.models_list.item(i).text() for i in range(page.models_list.count())] == ["m1", "m2"]
    page.default_combo.setCurrentIndex(page.default_combo.findData("m2"))
    assert page.models_list.item(1).checkState() == Qt.CheckState.Checked  # the default is offered
    page.models_list.item(0).setCheckState(Qt.CheckState.Checked)

    page.save_button.click()
    await idle(page, "the save")
    assert page.save_status.text().startswith("Saved."), page.save_status.text()
    assert "keyring" in page.save_status.text()
    assert hosted.changed == [True]

    [saved] = session.settings.providers
    assert saved.id == "myserver"
    assert saved.enabled_models == ("m1", "m2")
    assert saved.config.default_model == "m2"
    assert saved.config.base_url == models_server.base_url
    assert memory_keyring.items[("switchboard", "myserver")] == GOOD_KEY
    text = settings_text()
    assert "myserver" in text and GOOD_KEY not in text

    # The widget forgot the key and says where it is; the ID is fixed now.
    assert page.key_edit.text() == ""
    assert page.key_edit.placeholderText() == KEY_STORED
    assert page.id_edit.isReadOnly()
    assert list_subtitles(page) == ["myserver, key stored"]
    assert not page.save_button.isEnabled()
    assert not page.revert_button.isEnabled()

    # The stored key is used when none is typed.
    page.test_button.click()
    await idle(page, "the second test")
    assert page.test_result.text() == "OK, 2 models"

    # Revert undoes an unsaved edit.
    page.url_edit.setText("http://example.invalid/v1")
    assert page.save_button.isEnabled() and page.revert_button.isEnabled()
    page.revert_button.click()
    assert page.url_edit.text() == models_server.base_url
    assert not page.save_button.isEnabled()


async def test_wrong_key_is_said_in_plain_words(qtbot: QtBot, session: Any,
                                                models_server: ModelServer) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    add_custom(page, "myserver", models_server.base_url, WRONG_KEY)
    page.test_button.click()
    await idle(page, "the test")
    detail = page.test_result.text()
    assert "API key" in detail and "refused" in detail, detail
    assert WRONG_KEY not in detail and "Traceback" not in detail
    assert page.test_result.tone == "error"

    page.load_models_button.click()
    await idle(page, "the model list")
    assert "API key" in page.models_status.text()
    assert page.models_list.count() == 0


async def test_unreachable_server_is_said_in_plain_words(qtbot: QtBot, session: Any) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    add_custom(page, "nowhere", url, GOOD_KEY)
    page.test_button.click()
    await idle(page, "the test")
    detail = page.test_result.text()
    assert detail.startswith("Cannot reach nowhere"), detail
    assert "the connection was refused. Is the server running" in detail, detail  # the cause
    assert "Traceback" not in detail and "Error" not in detail
    assert page.test_result.tone == "error"


async def test_test_connection_keeps_its_width_when_the_result_appears(qtbot: QtBot, session: Any) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    add_custom(page, "nowhere", f"http://127.0.0.1:{free_port()}/v1", None)
    await until(lambda: page.test_button.isVisible(), 10, "the form")
    buttons = (page.test_button, page.load_models_button)
    before = [button.width() for button in buttons]
    # Alone in its row, neither stretches across the form.
    assert before == [button.sizeHint().width() for button in buttons]
    page.test_button.click()
    page.load_models_button.click()
    await idle(page, "the test and the model list")
    assert page.test_result.isVisible() and page.models_status.isVisible()
    await asyncio.sleep(0.05)  # one more layout pass after the results' text
    assert [button.width() for button in buttons] == before
    assert page.test_result.width() > page.test_button.width()  # the result takes the rest


# -- the form -----------------------------------------------------------------------------


async def test_form_validation_blocks_save(qtbot: QtBot, session: Any) -> None:
    await session.provider_setup.save(ProviderSettings(session.provider_setup.from_preset("openai")))
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page

    add_custom(page, "", "http://127.0.0.1:1/v1", None)
    assert not page.save_button.isEnabled()
    assert "ID" in page.form_problem.text() and page.form_problem.isVisible()
    page.id_edit.setText("openai")
    assert not page.save_button.isEnabled()
    assert "already" in page.form_problem.text()
    page.id_edit.setText("local")
    assert "built-in" in page.form_problem.text()
    page.id_edit.setText("mine")
    page.url_edit.setText("ftp://example.com")
    assert not page.save_button.isEnabled()
    assert "http://" in page.form_problem.text()
    page.url_edit.setText("https://example.com/v1")
    assert page.save_button.isEnabled()
    assert not page.form_problem.isVisible()
    # The ID field refuses what the settings file would refuse.
    page.id_edit.clear()
    qtbot.keyClicks(page.id_edit, "My Server")
    assert page.id_edit.text() == "yerver"  # capitals and the space were refused


async def test_presets_fill_the_form(qtbot: QtBot, session: Any) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    labels = [a.text() for a in page.add_menu.actions() if a.data()]
    assert "OpenAI" in labels and "Ollama" in labels and labels[-1] == "Custom OpenAI-compatible…"

    next(a for a in page.add_menu.actions() if a.data() == "ollama").trigger()
    assert page.id_edit.text() == "ollama"
    assert page.url_edit.text() == "http://127.0.0.1:11434/v1"
    assert not page.key_required.isChecked()
    assert page.key_edit.placeholderText() == KEY_NOT_NEEDED
    assert page.key_edit.isEnabled()  # still usable: some local servers do want one

    next(a for a in page.add_menu.actions() if a.data() == "anthropic").trigger()
    assert page.kind_label.text() == "Anthropic"
    assert page.key_required.isChecked()
    # Only one unsaved provider at a time; Discard drops it without asking.
    assert page.provider_list.count() == 1
    page.remove_button.click()
    assert page.provider_list.count() == 0
    assert page.empty_label.isVisible()


async def test_every_control_is_named_and_explained(qtbot: QtBot, session: Any) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    add_custom(page, "x", "http://127.0.0.1:1/v1", None)
    controls = [w for kind in (QAbstractButton, QLineEdit, QComboBox, QListWidget)
                for w in page.findChildren(kind)
                if w.parent() is not None and not isinstance(w.parent(), QComboBox)]
    assert len(controls) >= 10
    for widget in controls:
        assert widget.accessibleName(), widget.objectName() or widget
        assert widget.toolTip(), widget.accessibleName()


async def test_save_error_is_shown_inline(qtbot: QtBot, session: Any) -> None:
    hosted = Hosted(qtbot, session.provider_setup)
    page = hosted.page
    # A folder where settings.json should be: the write really fails.
    (Path(os.environ["SWITCHBOARD_HOME"]) / "settings.json").mkdir()
    add_custom(page, "mine", "http://127.0.0.1:1/v1", None)
    page.save_button.click()
    await idle(page, "the save")
    assert page.save_status.text().startswith("Could not save settings"), page.save_status.text()
    assert page.save_status.tone == "error"
    assert session.settings.providers == ()
    assert page.save_button.isEnabled()  # still there to retry
    assert hosted.changed == []


# -- remove -------------------------------------------------------------------------------


async def test_remove_asks_then_forgets_provider_and_key(qtbot: QtBot, session: Any, memory_keyring: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    setup = session.provider_setup
    await setup.save(ProviderSettings(ProviderConfig("myserver", "openai", "http://127.0.0.1:1/v1")),
                     GOOD_KEY)
    assert ("switchboard", "myserver") in memory_keyring.items
    hosted = Hosted(qtbot, setup)
    page = hosted.page
    assert page.current_id() == "myserver"
    assert page.key_edit.text() == ""  # never filled with the stored key
    assert page.key_edit.placeholderText() == KEY_STORED

    asked: list[str] = []

    def decline(label: str) -> bool:
        asked.append(label)
        return False

    monkeypatch.setattr(page, "_confirm_remove", decline)
    page.remove_button.click()
    assert asked == ["myserver"]
    assert [p.id for p in session.settings.providers] == ["myserver"]

    monkeypatch.setattr(page, "_confirm_remove", lambda label: True)
    page.remove_button.click()
    await idle(page, "the removal")
    assert session.settings.providers == ()
    assert ("switchboard", "myserver") not in memory_keyring.items
    assert not setup.has_key("myserver")
    assert page.provider_list.count() == 0
    assert page.empty_label.isVisible()
    assert hosted.changed == [True]
    assert "myserver" not in settings_text()


# -- no secure keyring --------------------------------------------------------------------


@pytest.fixture
async def insecure_session(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """A session on a system with no usable keyring (keyring's own fail backend)."""
    from app.controller.session import Session

    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    opened = await Session.open()
    yield opened
    await opened.aclose()


async def test_insecure_keyring_warns_and_key_works_for_the_session(
        qtbot: QtBot, insecure_session: Any, models_server: ModelServer) -> None:
    setup = insecure_session.provider_setup
    assert not insecure_session.secrets.secure
    hosted = Hosted(qtbot, setup)
    page = hosted.page
    assert page.keyring_line.isVisible()
    assert page.keyring_line.tone == "warning"
    assert "session only" in page.keyring_line.text()

    add_custom(page, "myserver", models_server.base_url, GOOD_KEY)
    page.save_button.click()
    await idle(page, "the save")
    # Said once, on the page's keyring line, not again in the save result beside it.
    assert page.save_status.text() == "Saved."
    shown = [m.text() for m in page.findChildren(InlineMessage) if m.isVisible()]
    assert sum("session only" in text for text in shown) == 1, shown
    assert page.keyring_line.isVisible() and "session only" in page.keyring_line.text()
    assert page.key_edit.text() == ""
    assert page.key_edit.placeholderText() == KEY_SESSION
    assert setup.has_key("myserver")
    assert GOOD_KEY not in settings_text()

    page.test_button.click()  # no key typed: the one kept in memory is used
    await idle(page, "the test")
    assert page.test_result.text() == "OK, 2 models"


async def test_a_key_set_elsewhere_shows_in_the_open_settings(qtbot: QtBot, session: Any,
                                                              memory_keyring: Any) -> None:
    """The key dialog stores through ProviderSetup.set_key, which publishes a providers
    change; the open Settings window follows it through ChangeSignals."""
    from app.ui.key_dialog import KeyDialog
    from app.ui.settings.settings_dialog import SettingsDialog

    await session.provider_setup.save(ProviderSettings(session.provider_setup.from_preset("openai")))
    dialog = SettingsDialog(session, session.set_offline)
    qtbot.addWidget(dialog)
    page = dialog.providers
    assert list_subtitles(page) == ["OpenAI, no key"]

    keys = KeyDialog(session.provider_setup, "openai")
    qtbot.addWidget(keys)
    keys.key.setText(GOOD_KEY)
    keys.buttons.accepted.emit()
    await until(lambda: list_subtitles(page) == ["OpenAI, key stored"], what="the key to show")
    assert memory_keyring.items[("switchboard", "openai")] == GOOD_KEY
    assert keys.key.text() == "" and keys.result() == KeyDialog.DialogCode.Accepted
