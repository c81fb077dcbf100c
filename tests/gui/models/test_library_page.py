"""Library (issue 23): the context shown is the one chats load the model with (the
controller's context plan), with the model's own maximum beside it when that is more,
and it follows Settings."""

from __future__ import annotations

import dataclasses
from typing import Any

from pytestqt.qtbot import QtBot

from app.ui.models.library_page import COLUMNS
from app.ui.models.model_manager_window import ModelManagerWindow
from tests.gui.conftest import until

BUNDLED = "SmolLM2-135M-Instruct"  # its GGUF says 8,192 tokens


def context_text(window: ModelManagerWindow) -> str:
    library = window.library
    row = next(i for i, e in enumerate(library.entries()) if e.name == BUNDLED)
    return library.table.item(row, COLUMNS.index("Context")).text()


async def test_the_context_chats_use_first_and_the_models_maximum_beside(qtbot: QtBot, session: Any) -> None:
    window = ModelManagerWindow(session)
    qtbot.addWidget(window)
    window.show()
    assert session.settings.local.n_ctx == 4096
    assert context_text(window) == "4,096 (model max 8,192)"
    entry = next(e for e in window.library.entries() if e.name == BUNDLED)
    assert entry.chat_context == 4096

    # Asking for more than the model holds: chats run at its maximum, so that is shown alone.
    local = dataclasses.replace(session.settings.local, n_ctx=32_768)
    await session.preferences.save_local(local, session.settings.default_local_model)
    await until(lambda: context_text(window) == "8,192", what="the library to follow Settings")
    row = next(i for i, e in enumerate(window.library.entries()) if e.name == BUNDLED)
    assert "all the model can hold" in window.library.table.item(row, COLUMNS.index("Context")).toolTip()
