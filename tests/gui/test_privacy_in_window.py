"""The window keeps a protected chat on this computer, as `ask` does (one path): after
a message with an email, a code question that "Save money" sends to the cloud stays
local, and the loopback cloud receives nothing; a new chat's code question goes out."""

from __future__ import annotations

import pytest

from app.core.providers.config import ProviderConfig
from tests.gui.test_main_window import badge, ok_stream, replies, save_providers, send, wait_idle
from tests.support.sse_server import SSEServer

CODE = "```python\nprint('hello')\n```\nWhat does this print?"


@pytest.mark.model
async def test_a_protected_chat_stays_local_in_the_window(qtbot, open_window):
    with SSEServer(lambda request: ok_stream("From the cloud.")) as cloud:
        save_providers(ProviderConfig("openai", "openai", cloud.url + "/v1", key_required=False))
        window = await open_window(max_tokens=2)
        window.chat.router_picker.setCurrentText("Save money")

        send(qtbot, window, "My email is jane.doe@example.com")
        await wait_idle(window)
        send(qtbot, window, CODE)
        await wait_idle(window)
        first, second = replies(window)
        assert badge(first).endswith("rule “Private data stays local”")
        assert badge(second).startswith("SmolLM2-135M-Instruct · local")
        assert cloud.requests == []
        stored = window.session.conversations.messages(window.chat.conversation_id)[-1]
        assert any("message 1 holds an email address" in t.detail for t in stored.trace or ())

        window.new_chat()
        window.chat.router_picker.setCurrentText("Save money")
        send(qtbot, window, CODE)
        await wait_idle(window)
        [fresh] = replies(window)
        assert badge(fresh) == "gpt-4o-mini · openai · rule “Code”"
        assert len(cloud.requests) == 1
        assert window.session.chat.sent_off(window.chat.conversation_id)[0].target == "openai:gpt-4o-mini"
