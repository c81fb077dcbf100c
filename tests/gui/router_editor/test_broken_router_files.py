"""A bad file in the user's routers folder is shown as broken, alone: every other router
stays listed and opens, and nothing blocks on a file that is not a file."""

from __future__ import annotations

import os
from typing import Any

from app.core.router.library import user_routers_dir
from app.ui.router_editor.router_editor_window import RouterEditorWindow
from app.ui.router_editor.router_list import NAME_ROLE


def leave_bad_files() -> None:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deep.json").write_text('{"schema": 1, "rules": ' + "[" * 5000 + "]" * 5000 + "}",
                                      encoding="utf-8")
    os.mkfifo(folder / "pipe.json")


async def test_only_the_bad_files_are_broken_and_they_say_why(qtbot: Any, session: Any) -> None:
    leave_bad_files()
    editor = RouterEditorWindow(session)
    qtbot.addWidget(editor)
    editor.show()
    entries = {e.name: e for e in session.routers.entries()}
    assert {name for name, e in entries.items() if e.problem} == {"deep", "pipe"}
    assert "nested more than 64 levels deep" in (entries["deep"].problem or "")
    assert "named pipe" in (entries["pipe"].problem or "")
    listed = [editor.routers.list.item(i).data(NAME_ROLE) for i in range(editor.routers.list.count())]
    assert {"deep", "pipe", "Local only", "Save money"} <= set(listed)

    assert editor.open_router("deep")
    assert editor.broken.isVisible()
    assert "deep.json is nested more than 64 levels deep" in editor.broken.text()
    assert editor.open_router("Local only")  # the others open as before
    assert not editor.broken.isVisible() and editor.router is not None
    assert editor.router.name == "Local only"


async def test_a_chat_on_a_broken_router_says_so_and_keeps_the_message(qtbot: Any, session: Any) -> None:
    from app.ui.chat.chat_pane import ChatPane

    leave_bad_files()
    pane = ChatPane(session)
    qtbot.addWidget(pane)
    pane.show()
    pane.composer.set_text("Summarize this for me")
    pane.router_picker.setCurrentText("deep")
    assert pane._router() is None
    assert pane.banner.isVisible() and "nested more than 64 levels deep" in pane.banner.text()
    assert pane.composer.text() == "Summarize this for me"
    pane.router_picker.setCurrentText("Local only")
    assert pane._router() is not None and pane._router().name == "Local only"  # type: ignore[union-attr]
