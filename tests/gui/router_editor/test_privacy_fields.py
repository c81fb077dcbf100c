"""The router editor's privacy fields: the router's choice for chats holding private data
and a rule's "private" mark, edited through the widgets, undone, saved and read back."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from app.ui.router_editor.router_editor_window import RouterEditorWindow
from app.ui.router_editor.router_settings_form import HISTORY, HISTORY_MEANS
from tests.gui.router_editor.test_router_editor import (
    click,
    editor,
    new_blank,
    retype,
    saved_json,
)

__all__ = ["editor"]  # the fixture, used by name below


def choose_history(editor: RouterEditorWindow, history: str) -> None:
    combo = editor.settings_form.history
    combo.setCurrentIndex(combo.findData(history))


async def test_privacy_choice_and_private_rule_round_trip_through_save(
        qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    retype(qtbot, editor.settings_form.name, "Careful")
    form = editor.settings_form
    assert form.history.currentData() == "local"
    assert [form.history.itemText(i) for i in range(form.history.count())] == list(HISTORY.values())
    assert form.history_help.text() == HISTORY_MEANS["local"]

    choose_history(editor, "redact")
    assert editor.draft is not None and editor.draft.data["privacy"] == {"history": "redact"}
    assert form.history_help.text() == HISTORY_MEANS["redact"]
    editor.undo_stack.undo()  # one step: back to the default, written as nothing
    assert "privacy" not in editor.draft.data and form.history.currentData() == "local"
    editor.undo_stack.redo()
    assert form.history.currentData() == "redact"

    editor.rules.add_button.menu().actions()[0].trigger()  # a rule with conditions
    rule = editor.rule_form
    retype(qtbot, rule.title, "Contracts")
    rule.when.group.add_actions["keywords"].trigger()
    keywords = rule.when.group.editors()[0]
    qtbot.keyClicks(keywords.chips.edit, "contract")
    qtbot.keyClick(keywords.chips.edit, Qt.Key.Key_Return)
    assert not rule.private.isChecked()
    assert rule.private.toolTip().startswith("A message this rule matches is marked private")
    click(qtbot, rule.private)
    assert editor.draft.rules[0]["private"] is True
    editor.undo_stack.undo()
    assert "private" not in editor.draft.rules[0] and not rule.private.isChecked()
    editor.undo_stack.redo()
    assert rule.private.isChecked()

    assert editor.save_button.isEnabled(), editor.status.text()
    click(qtbot, editor.save_button)
    saved = saved_json("Careful")
    assert saved["privacy"] == {"history": "redact"}
    assert saved["rules"][0]["private"] is True
    router = editor.session.router("Careful")
    assert router.privacy.history == "redact" and router.rules[0].private

    # Read back into the forms, then both set back: the file says nothing of either.
    editor.open_router("Careful")
    editor._show_rule(-1)
    assert editor.settings_form.history.currentData() == "redact"
    choose_history(editor, "omit")
    assert editor.draft.data["privacy"] == {"history": "omit"}
    choose_history(editor, "local")
    editor.rules.select(0)
    assert editor.rule_form.private.isChecked()
    click(qtbot, editor.rule_form.private)
    click(qtbot, editor.save_button)
    saved = saved_json("Careful")
    assert "privacy" not in saved and "private" not in saved["rules"][0]


async def test_an_unknown_privacy_choice_is_shown_and_its_error_sits_beside_it(
        qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    assert editor.draft is not None
    data = {**editor.draft.data, "privacy": {"history": "forget"}}
    editor._push("Edit router settings", data)
    editor._apply(data, True)
    form = editor.settings_form
    assert form.history.currentData() == "forget"  # shown as it is, not changed
    assert not editor.save_button.isEnabled()
    problem = form._errors["privacy.history"]
    assert problem.isVisibleTo(form) and "forget" in problem.text()
