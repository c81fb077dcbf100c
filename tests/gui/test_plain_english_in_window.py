"""In the real window, a plain-English router answers by the rule its test panel shows:
both ask the session's one routing service, and the bundled encoder decides in time."""

from __future__ import annotations

import pytest

from app.controller.route_preview import RoutePreview
from app.core.providers.config import ProviderConfig
from app.ui.router_editor.test_panel import TestPanel
from tests.gui.conftest import until
from tests.gui.test_main_window import badge, ok_stream, replies, save_providers, send, wait_idle
from tests.support.sse_server import SSEServer

MESSAGE = "Please write a friendly note inviting my team to a picnic on Friday"


@pytest.mark.model
async def test_the_chat_answers_by_the_rule_the_test_panel_shows(qtbot, open_window):
    with SSEServer(lambda request: ok_stream("Dear team,")) as cloud:
        save_providers(*(ProviderConfig(p, "openai", cloud.url + "/v1", key_required=False)
                         for p in ("openai", "anthropic", "gemini")))
        window = await open_window()
        session = window.session
        router = session.router("Specialists")

        panel = TestPanel(RoutePreview(session), offline=False)
        qtbot.addWidget(panel)
        panel.show()
        panel.set_router(router)
        panel.message.setPlainText(MESSAGE)
        await until(lambda: panel.decision() is not None and not panel.is_pending()
                    and not panel.is_asking(), 60, "the test panel's decision")
        shown = panel.decision()
        assert shown.rule == "writing"

        window.chat.router_picker.setCurrentText("Specialists")
        send(qtbot, window, MESSAGE)
        await wait_idle(window)
        [reply] = replies(window)
        assert badge(reply) == "claude-sonnet-4-5 · anthropic · plain-English rule “Writing”"
        stored = session.conversations.messages(window.chat.conversation_id)[-1]
        assert (stored.target, stored.rule) == (shown.target, shown.rule)
        assert "Dear team," in stored.content
