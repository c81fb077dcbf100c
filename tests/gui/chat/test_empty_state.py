"""A fresh install's empty chat explains routers in two sentences — what a router is and
what "Local only" means — with a link that opens the router editor."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.core.router.library import LOCAL_ONLY
from app.ui.chat.empty_state import EmptyState
from tests.gui.conftest import until
from tests.support.window import opened


def test_it_says_what_a_router_is_and_what_local_only_means(qtbot: QtBot) -> None:
    state = EmptyState()
    qtbot.addWidget(state)
    text = state.intro.text()
    assert text.startswith("A router decides, message by message, which model answers")
    assert f"This chat uses “{LOCAL_ONLY}”, which keeps every message on this computer" in text
    assert text.count(". ") + 1 == 2  # two sentences
    state.show_router("Save money")
    assert "This chat uses “Save money”: its rules choose the model" in state.intro.text()


def test_the_link_asks_for_the_router_editor(qtbot: QtBot) -> None:
    state = EmptyState()
    qtbot.addWidget(state)
    assert 'href="open_router_editor"' in state.links.text()
    with qtbot.wait_signal(state.sig_action_requested) as blocker:
        state.links.linkActivated.emit("open_router_editor")
    assert blocker.args == ["open_router_editor"]


@pytest.mark.qt_log_ignore("This plugin does not support raise\\(\\)")  # offscreen cannot raise a window
async def test_the_first_run_explains_local_only_and_opens_the_editor(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        assert p.chat.empty_state.isVisible()
        assert f"This chat uses “{LOCAL_ONLY}”" in p.chat.empty_state.intro.text()
        p.chat.router_picker.setCurrentText("Save money")
        assert "“Save money”: its rules choose the model" in p.chat.empty_state.intro.text()
        p.chat.empty_state.links.linkActivated.emit("open_router_editor")
        await until(lambda: p.window.router_editor is not None and p.window.router_editor.isVisible(), 10,
                    "the router editor")
        p.window.router_editor.close()
