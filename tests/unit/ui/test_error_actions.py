"""The buttons offered beside an error, in words."""

from __future__ import annotations

from app.controller.fixes import Fix, FixKind
from app.ui.chat.error_actions import action_for


def test_error_fixes_get_words() -> None:
    key = Fix(FixKind.ADD_KEY, "anthropic")
    assert action_for(key) == ("Add key for Anthropic…", key)
    assert action_for(Fix(FixKind.ADD_KEY, "mine")) == ("Add key for mine…", Fix(FixKind.ADD_KEY, "mine"))
    assert action_for(Fix(FixKind.GO_ONLINE)) == ("Go online", Fix(FixKind.GO_ONLINE))
    set_up = Fix(FixKind.SET_UP_PROVIDER, "openai")
    assert action_for(set_up) == ("Set up OpenAI…", set_up)
    assert action_for(None) is None
