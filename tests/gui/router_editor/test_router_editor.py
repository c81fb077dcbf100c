"""The router editor window over a real session: routers built through the widgets,
saved to the user's folder and read back by the core."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLabel, QToolButton, QWidget

from app.core.router import Router, dump_router, load_router, parse_router
from app.core.router.library import user_routers_dir
from app.ui.router_editor.conditions.group_editor import GroupEditor
from app.ui.router_editor.router_draft import RouterDraft
from app.ui.router_editor.router_editor_window import RouterEditorWindow
from tests.gui.conftest import until


@pytest.fixture
def editor(qtbot: Any, session: Any) -> RouterEditorWindow:
    window = RouterEditorWindow(session)
    # Closing with unsaved changes asks in a modal box; tests that care replace this.
    window._ask_unsaved = lambda: "discard"
    qtbot.addWidget(window)
    window.show()
    return window


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def retype(qtbot: Any, field: Any, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)


def new_blank(editor: RouterEditorWindow) -> None:
    editor.routers.new_menu.actions()[0].trigger()  # "Blank router"


def saved_json(name: str) -> dict[str, Any]:
    for path in user_routers_dir().glob("*.json"):
        data = json.loads(path.read_text())
        if data["name"] == name:
            return data
    raise AssertionError(f"no saved router {name}")


# Typing a target pops its completer up, which offscreen can neither raise nor focus.
@pytest.mark.qt_log_ignore("This plugin does not support raise", "does not support grabbing the keyboard")
async def test_each_condition_kind_built_through_the_widgets_saves_the_expected_router(
        qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    assert editor.draft is not None and editor.draft.opened_as == "New router"
    retype(qtbot, editor.settings_form.name, "Everything")

    editor.rules.add_button.menu().actions()[0].trigger()  # a rule with conditions
    form = editor.rule_form
    retype(qtbot, form.title, "Work questions")
    assert form.rule_id() == "work_questions"  # the id, never shown, follows the title
    top = form.when.group
    for kind in ("keywords", "regex", "measure", "time", "pii", "image", "code"):
        top.add_actions[kind].trigger()
    keywords, regex, measure, time, pii, _image, code = top.editors()
    qtbot.keyClicks(keywords.chips.edit, "invoice, contract")
    qtbot.keyClick(keywords.chips.edit, Qt.Key.Key_Return)
    keywords.mode_combo.setCurrentIndex(keywords.mode_combo.findData("all"))
    qtbot.keyClicks(regex.pattern_edit, r"INV-\d+")
    measure.op_combo.setCurrentIndex(measure.op_combo.findData("between"))
    for spin, text in ((measure.low_spin, "10"), (measure.high_spin, "500")):
        spin.setFocus()
        spin.selectAll()
        qtbot.keyClicks(spin, text)
    click(qtbot, time.day_boxes["sat"])
    click(qtbot, time.day_boxes["sun"])
    time.zone_combo.setCurrentIndex(time.zone_combo.findText("Europe/Berlin"))
    for kind in ("phone", "card", "iban", "secret"):
        click(qtbot, pii.kind_boxes[kind])
    code.lines_spin.setFocus()
    code.lines_spin.selectAll()
    qtbot.keyClicks(code.lines_spin, "4")
    click(qtbot, top.add_group_button)  # a nested group: any of (available, not-image)
    inner = top.editors()[-1]
    assert isinstance(inner, GroupEditor)
    inner.mode_combo.setCurrentIndex(inner.mode_combo.findData("any"))
    inner.add_actions["available"].trigger()
    retype(qtbot, inner.editors()[0].picker.lineEdit(), "openai:gpt-4o")
    inner.add_actions["keywords"].trigger()
    qtbot.keyClicks(inner.editors()[1].chips.edit, "urgent")
    qtbot.keyClick(inner.editors()[1].chips.edit, Qt.Key.Key_Return)
    retype(qtbot, form.target.lineEdit(), "anthropic:claude-sonnet-4-5")

    editor.rules.add_button.menu().actions()[1].trigger()  # a plain-English rule
    retype(qtbot, editor.rule_form.title, "Maths")
    qtbot.keyClicks(editor.rule_form.description, "Multi-step maths or logic puzzles")

    assert editor.save_button.isEnabled(), editor.status.text()
    click(qtbot, editor.save_button)
    assert not editor.save_button.isEnabled()
    local = editor.draft.data["fallback"][0]
    assert saved_json("Everything") == {
        "schema": 1, "name": "Everything", "fallback": [local],
        "rules": [
            {"id": "work_questions", "title": "Work questions",
             "when": {"all": [
                 {"type": "keywords", "match": "all", "words": ["invoice", "contract"]},
                 {"type": "regex", "pattern": r"INV-\d+"},
                 {"type": "message_tokens", "op": "between", "value": [10, 500]},
                 {"type": "time", "from": "09:00", "to": "17:00",
                  "weekdays": ["mon", "tue", "wed", "thu", "fri"], "timezone": "Europe/Berlin"},
                 {"type": "pii", "kinds": ["email"]},
                 {"type": "image"},
                 {"type": "code", "min_lines": 4},
                 {"any": [{"type": "available", "target": "openai:gpt-4o"},
                          {"type": "keywords", "match": "any", "words": ["urgent"]}]},
             ]},
             "route_to": "anthropic:claude-sonnet-4-5"},
            {"id": "maths", "title": "Maths", "type": "classified",
             "description": "Multi-step maths or logic puzzles", "route_to": local},
        ],
    }
    assert "Everything" in editor.session.router_names()


async def test_an_invalid_regex_blocks_save_and_shows_the_cores_error(qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    editor.rules.add_button.menu().actions()[0].trigger()
    editor.rule_form.when.group.add_actions["regex"].trigger()
    regex = editor.rule_form.when.group.editors()[0]
    qtbot.keyClicks(regex.pattern_edit, "total: (\\d+")
    assert not editor.save_button.isEnabled()
    assert "invalid regular expression" in editor.status.text()
    assert "invalid regular expression" in regex.problem()
    warned = editor.rules.list.item(0)
    assert not warned.icon().isNull()  # the rule with the problem is marked in the list
    qtbot.keyClicks(regex.pattern_edit, ")")
    assert editor.save_button.isEnabled()


async def test_reorder_by_drag_and_by_keyboard_with_undo(qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Specialists")
    ids = [r["id"] for r in editor.draft.rules]
    view = editor.rules.list
    # A drop in an InternalMove list ends in the model's moveRow (QListView::dropEvent, Qt 6);
    # a synthetic QDropEvent cannot stand in, as Qt only moves rows for a drag it started.
    view.setCurrentRow(0)
    assert view.model().moveRow(QModelIndex(), 0, QModelIndex(), 3)
    await until(lambda: [r["id"] for r in editor.draft.rules] != ids, 3, "the drop to reorder")
    moved = [r["id"] for r in editor.draft.rules]
    assert sorted(moved) == sorted(ids) and moved[0] == ids[1] and ids[0] in moved[1:3]
    assert view.item(moved.index(ids[0])).text().startswith("Private data stays local")
    assert editor.save_button.isEnabled()

    editor.undo_stack.undo()
    assert [r["id"] for r in editor.draft.rules] == ids
    assert not editor.save_button.isEnabled()  # back to what is saved
    editor.rules.select(1)
    editor.rules.down_action.trigger()
    assert [r["id"] for r in editor.draft.rules][1:3] == [ids[2], ids[1]]
    editor.undo_stack.redo()  # nothing to redo after a new edit: unchanged
    assert [r["id"] for r in editor.draft.rules][1:3] == [ids[2], ids[1]]


async def test_importing_a_broken_file_shows_the_error_and_changes_nothing(
        qtbot: Any, editor: RouterEditorWindow, tmp_path: Path) -> None:
    before = sorted(p.name for p in user_routers_dir().glob("*.json")) if user_routers_dir().exists() else []
    names = editor.catalog.names()
    broken = tmp_path / "shared.json"
    broken.write_text(json.dumps({"schema": 1, "name": "Shared", "fallback": ["local:x"],
                                  "rules": [{"id": "r", "route_to": "local:x",
                                             "when": {"type": "time", "from": "25:00", "to": "06:00"}}]}))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(broken))])
    editor.dropEvent(QDropEvent(QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    assert editor.banner.isVisible()
    assert "Nothing was imported" in editor.banner.text()
    assert "shared.json: rules[0].when.from" in editor.banner.text()
    assert editor.catalog.names() == names
    after = sorted(p.name for p in user_routers_dir().glob("*.json")) if user_routers_dir().exists() else []
    assert after == before


async def test_importing_a_taken_name_asks_and_keep_both_renames(
        qtbot: Any, editor: RouterEditorWindow, tmp_path: Path) -> None:
    shared = tmp_path / "mine.json"
    router = Router("Save money", ("local:SmolLM2-135M-Instruct",), description="shared copy")
    shared.write_text(json.dumps(dump_router(router)))
    editor.import_file(shared)
    assert "already exists" in editor.banner.text()
    assert editor.catalog.load("Save money").description != "shared copy"  # nothing overwritten yet
    buttons = [editor.banner_buttons.itemAt(i).widget() for i in range(editor.banner_buttons.count())]
    click(qtbot, next(b for b in buttons if b.text() == "Keep both"))
    assert editor.catalog.load("Save money (2)").description == "shared copy"
    assert editor.catalog.load("Save money").description != "shared copy"
    assert editor.draft.opened_as == "Save money (2)"


async def test_export_then_import_replace_round_trips(qtbot: Any, editor: RouterEditorWindow, tmp_path: Path) -> None:
    editor.open_router("Office hours")
    out = tmp_path / "office.json"
    editor.export_to(out)
    assert load_router(out) == editor.catalog.load("Office hours")
    editor.import_file(out)
    buttons = [editor.banner_buttons.itemAt(i).widget() for i in range(editor.banner_buttons.count())]
    click(qtbot, next(b for b in buttons if b.text() == "Replace"))
    entry = next(e for e in editor.catalog.entries() if e.name == "Office hours")
    assert entry.origin == "changed template"  # the user's copy, same content


async def test_rename_default_and_delete(qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    retype(qtbot, editor.settings_form.name, "Save money")  # taken
    assert not editor.save_button.isEnabled()
    assert "already called" in editor.status.text()
    retype(qtbot, editor.settings_form.name, "Night shift")
    click(qtbot, editor.save_button)
    assert editor.catalog.names().count("Night shift") == 1 and "New router" not in editor.catalog.names()
    editor.routers.actions_by_name["default"].trigger()
    assert editor.session.default_router_name() == "Night shift"
    editor._confirm = lambda question: True
    editor.routers.actions_by_name["delete"].trigger()
    assert "Night shift" not in editor.catalog.names()
    assert editor.session.settings.default_router == "Save money"


def list_texts(editor: RouterEditorWindow) -> list[str]:
    return [editor.routers.list.item(row).text().split("\n")[0]
            for row in range(editor.routers.list.count())]


async def test_the_router_list_follows_the_name_as_it_is_typed(qtbot: Any, editor: RouterEditorWindow) -> None:
    new_blank(editor)
    assert "New router" in list_texts(editor)
    retype(qtbot, editor.settings_form.name, "Travel plans")
    # Before any save: the list shows what is typed, and still opens the router it was.
    assert "Travel plans" in list_texts(editor) and "New router" not in list_texts(editor)
    assert editor.routers.current_name() == "New router"
    editor.undo_stack.undo()
    assert "New router" in list_texts(editor)
    editor.undo_stack.redo()
    click(qtbot, editor.save_button)
    assert "Travel plans" in list_texts(editor) and editor.routers.current_name() == "Travel plans"


async def test_no_rule_id_is_shown_and_a_saved_rule_keeps_its_id(qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Specialists")
    index = next(i for i, r in enumerate(editor.draft.rules) if r["id"] == "writing")
    editor.rules.select(index)
    form = editor.rule_form
    shown = [w for w in form.findChildren(QWidget) if w.isVisible()]
    assert not [w for w in shown if "id" in w.accessibleName().lower().split()], \
        [w.accessibleName() for w in shown]
    assert not [w for w in shown if isinstance(w, QLabel) and w.text().strip() in ("Id", "ID")]
    retype(qtbot, form.title, "Prose and letters")
    # Files, traces and examples know the rule as "writing": renaming it keeps that.
    assert editor.draft.rules[index]["id"] == "writing"
    assert editor.draft.rules[index]["title"] == "Prose and letters"
    editor.rules.add_button.menu().actions()[0].trigger()  # a new rule: its id follows the title
    retype(qtbot, form.title, "Travel bookings")
    assert editor.draft.rules[-1]["id"] == "travel_bookings"
    # "First match wins" is explained where it stands.
    assert "first that matches decides" in editor.rules_heading.toolTip()


async def test_unsaved_changes_are_asked_about_when_switching_and_closing(
        qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Privacy first")
    editor.settings_form.description.setPlainText("changed")
    assert editor.draft.dirty
    asked: list[str] = []
    editor._ask_unsaved = lambda: asked.append("switch") or "cancel"
    assert not editor.open_router("Local only")
    assert editor.draft.opened_as == "Privacy first" and editor.routers.current_name() == "Privacy first"
    editor._ask_unsaved = lambda: asked.append("close") or "save"
    editor.close()
    assert asked == ["switch", "close"]
    assert editor.catalog.load("Privacy first").description == "changed"


async def test_undo_and_redo_of_typing(qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Local only")
    before = editor.draft.data["name"]
    retype(qtbot, editor.settings_form.name, "Mine")
    assert editor.draft.data["name"] == "Mine"
    editor.undo_stack.undo()  # the whole word in one step
    assert editor.draft.data["name"] == before
    assert editor.settings_form.name.text() == before
    editor.undo_stack.redo()
    assert editor.settings_form.name.text() == "Mine"


# ---- every valid router survives the editor ---------------------------------------------

TARGET = st.sampled_from(["local:SmolLM2-135M-Instruct", "openai:gpt-4o", "anthropic:claude-x"])
WORD = st.text(alphabet="abcdefgh xyz", min_size=1, max_size=8).map(str.strip).filter(bool)
LEAF = st.one_of(
    st.builds(lambda w, m: {"type": "keywords", "match": m, "words": w},
              st.lists(WORD, min_size=1, max_size=3, unique=True), st.sampled_from(["any", "all", "none"])),
    st.builds(lambda p: {"type": "regex", "pattern": p}, st.sampled_from([r"\d+", "a|b", "^hi"])),
    st.builds(lambda q, v: {"type": q, "op": ">", "value": v},
              st.sampled_from(["message_tokens", "message_chars", "message_count"]), st.integers(0, 99999)),
    st.just({"type": "image"}),
    st.builds(lambda n: {"type": "code", "min_lines": n}, st.integers(1, 9)),
    st.builds(lambda k: {"type": "pii", "kinds": k}, st.sampled_from([["email"], ["card", "iban"]])),
    st.builds(lambda t: {"type": "available", "target": t}, TARGET),
    st.just({"type": "time", "from": "22:00", "to": "06:00", "weekdays": ["sat", "sun"]}),
)
CONDITION = st.recursive(LEAF, lambda inner: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda c: {"not": c}, inner)), max_leaves=5)


@st.composite
def routers(draw: Any) -> Router:
    rules = []
    for i in range(draw(st.integers(0, 3))):
        rule: dict[str, Any] = {"id": f"r{i}", "route_to": draw(TARGET)}
        if draw(st.booleans()):
            rule["title"] = f"Rule {i}"
        if not draw(st.booleans()):
            rule["enabled"] = False
        if draw(st.integers(0, 3)) == 0:
            rule["private"] = True
        if draw(st.integers(0, 3)) == 0:
            rule |= {"type": "classified", "description": draw(WORD)}
            if draw(st.booleans()):
                rule["examples"] = draw(st.lists(WORD, min_size=1, max_size=4, unique=True))
        else:
            rule["when"] = draw(CONDITION)
        rules.append(rule)
    data: dict[str, Any] = {"schema": 1, "name": "Generated", "fallback": draw(st.lists(TARGET, min_size=1, max_size=2, unique=True)),
                            "rules": rules}
    if draw(st.booleans()):
        data["description"] = "about it"
    if draw(st.booleans()):
        data["sticky"] = draw(st.sampled_from([{"minutes": 5}, {"messages": 2}, {"minutes": 1, "messages": 9}]))
    if draw(st.booleans()):
        data["privacy"] = {"history": draw(st.sampled_from(["local", "redact", "omit"]))}
    if draw(st.booleans()):
        data["classifier"] = draw(st.sampled_from([
            {"timeout_s": 4.5}, {"method": "grammar", "context_turns": 2},
            {"target": "openai:gpt-4o", "max_message_tokens": 64},
            {"decide_by": "examples", "threshold": 0.8125, "margin": 0.01},
            {"decide_by": "llm", "embedding_model": "local:SmolLM2-135M-Instruct"},
            {"embedding_model": "local:bge-small-not-downloaded", "threshold": -0.5}]))
    return parse_router(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(router=routers())
def test_any_valid_router_loaded_into_the_editor_saves_the_same_router(qtbot: Any, editor: RouterEditorWindow,
                                                                       router: Router) -> None:
    editor.undo_stack.clear()
    editor._edit(RouterDraft(dump_router(router), None))
    # Every value goes through the widgets: each form is shown, then read back.
    editor._show_rule(-1)
    editor._on_settings_edited()
    for index in range(len(router.rules)):
        editor.rules.select(index)
        assert editor._rule_index == index
        editor._on_rule_edited()
    assert editor.router == router, editor.status.text()


async def test_examples_are_added_in_the_form_and_from_the_test_panel(qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Specialists")
    reasoning = next(i for i, r in enumerate(editor.draft.rules) if r["id"] == "reasoning")
    editor.rules.select(reasoning)
    examples = editor.rule_form.examples
    count = examples.list.count()
    qtbot.keyClicks(examples.entry, "Is there a closed form for this recurrence?")
    qtbot.keyClick(examples.entry, Qt.Key.Key_Return)
    assert examples.list.count() == count + 1
    editor.test_panel.sig_add_example.emit("writing", "Polish my cover letter, please")
    assert "example" in editor.banner.text()
    click(qtbot, editor.save_button)
    saved = {r["id"]: r for r in saved_json("Specialists")["rules"]}
    assert saved["reasoning"]["examples"][-1] == "Is there a closed form for this recurrence?"
    assert saved["writing"]["examples"][-1] == "Polish my cover letter, please"
    assert editor.catalog.load("Specialists").rule("writing").examples[-1] == "Polish my cover letter, please"


async def test_fallback_chain_is_edited_through_its_rows(qtbot: Any, editor: RouterEditorWindow) -> None:
    editor.open_router("Specialists")  # fallback: openai:gpt-4o-mini, then the local model
    chain = editor.settings_form.fallback
    first, _local = chain.pickers()
    assert first.problem_of("openai:gpt-4o-mini") is not None  # openai is not set up here
    ups = [b for b in chain.findChildren(QToolButton) if b.objectName() == "fallbackUp"]
    assert [b.isEnabled() for b in ups] == [False, True]
    click(qtbot, ups[1])
    assert editor.draft.data["fallback"] == ["local:SmolLM2-135M-Instruct", "openai:gpt-4o-mini"]
    removes = [b for b in chain.findChildren(QToolButton) if b.accessibleName() == "Remove fallback"]
    click(qtbot, removes[1])
    click(qtbot, removes[0])
    assert editor.draft.data["fallback"] == []
    assert not editor.save_button.isEnabled()
    assert "fallback" in editor.status.text() and "must not be empty" in editor.status.text()
    click(qtbot, chain.add_button)
    assert editor.draft.data["fallback"] == ["local:SmolLM2-135M-Instruct"]
    assert editor.save_button.isEnabled()
