"""The real window with a loopback server standing in for a cloud model that answers
from a script: what versions, Continue and deleting one message are tested on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QPlainTextEdit

from app.core.providers.config import ProviderConfig
from app.core.router.library import user_routers_dir
from app.core.settings import ProviderSettings, Settings
from app.ui.chat.message_widget import MessageWidget
from app.ui.main_window import MainWindow
from tests.gui.conftest import until
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

ROUTER = "Peer only"
STALL_S = 600.0  # longer than any test; the server's stop interrupts it


class ScriptedPeer:
    """Answers each request with the next of ``answers`` (the last repeats); an answer
    ending in "…" is cut off at its length limit, as a model's reply limit would, and one
    ending in "⏸" stalls after its text until the test is over (or the user stops it)."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.server = SSEServer(self._handle)

    def _handle(self, request: RecordedRequest) -> Reply:
        text = self.answers[min(len(self.server.requests) - 1, len(self.answers) - 1)]
        end: list[bytes | float] = [openai_chunk(None, "length")] if text.endswith("…") else []
        if text.endswith("⏸"):
            end = [STALL_S]
        return sse_reply(openai_chunk(text.rstrip("…⏸")), *end, sse(None, "[DONE]"))

    def sent(self, n: int) -> list[tuple[str, str]]:
        """The messages of request ``n`` (from 0), as (role, text)."""
        return [(m["role"], m["content"]) for m in self.server.requests[n].json["messages"]]


@pytest.fixture
def peer() -> Iterator[Callable[..., ScriptedPeer]]:
    started: list[ScriptedPeer] = []

    def start(*answers: str) -> ScriptedPeer:
        scripted = ScriptedPeer(*answers)
        scripted.server.__enter__()
        started.append(scripted)
        config = ProviderConfig("peer", "openai", scripted.server.url + "/v1", key_required=False)
        Settings(providers=(ProviderSettings(config),)).save()
        folder = user_routers_dir()
        folder.mkdir(parents=True, exist_ok=True)
        router = {"schema": 1, "name": ROUTER, "fallback": ["peer:m"], "rules": []}
        (folder / "peer-only.json").write_text(json.dumps(router))
        return scripted

    yield start
    for scripted in started:
        scripted.server.__exit__(None, None, None)


@pytest.fixture
async def chat_window(open_window) -> Callable[[], Awaitable[MainWindow]]:
    """Opens the main window routed by the "Peer only" router (start ``peer`` first)."""

    async def make() -> MainWindow:
        window = await open_window(own_limit=True)
        window.chat.router_picker.setCurrentText(ROUTER)
        return window

    return make


def widgets(window: MainWindow, role: str | None = None) -> list[MessageWidget]:
    return [w for w in window.chat.messages.message_widgets()
            if isinstance(w, MessageWidget) and (role is None or w.role == role)]


def button(widget: MessageWidget, name: str) -> QAbstractButton:
    found = widget.findChild(QAbstractButton, name)
    assert found is not None, name
    return found


def shows(widget: MessageWidget, name: str) -> bool:
    return button(widget, name).isVisibleTo(widget)


async def send(qtbot, window: MainWindow, text: str, wait: bool = True) -> None:
    composer = window.chat.composer
    composer.focus_input()
    composer.set_text(text)
    field = composer.findChild(QPlainTextEdit, "composer_input")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    if wait:
        await idle(window)


async def idle(window: MainWindow) -> None:
    await until(lambda: not window.chat.is_busy(), 60, "the reply to finish")


async def click(qtbot, widget: MessageWidget, name: str) -> None:
    qtbot.mouseClick(button(widget, name), Qt.MouseButton.LeftButton)
    await asyncio.sleep(0)
