"""Condition editors of the router editor, driven through their widgets as a user would.

What a widget writes is checked against the core: whatever an editor loads, it writes
back JSON that ``parse_condition`` reads as the same condition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QLayout,
    QLineEdit,
    QStyle,
    QStyleOptionFrame,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.controller.target_choices import TargetChoice
from app.core.router.conditions import parse_condition
from app.core.router.conditions.keywords import MODES
from app.core.router.conditions.measure import OPS, QUANTITIES
from app.core.router.conditions.pattern import FLAGS
from app.core.router.conditions.time_window import WEEKDAYS
from app.core.router.private_data import PRIVATE_KINDS
from app.ui.inline_message import InlineMessage
from app.ui.router_editor.conditions.condition_editor import (
    KINDS,
    ConditionEditor,
    Json,
    editor_for,
)
from app.ui.router_editor.conditions.group_editor import GroupEditor
from app.ui.router_editor.conditions.keywords_editor import KeywordsEditor
from app.ui.router_editor.conditions.measure_editor import MeasureEditor
from app.ui.router_editor.conditions.private_data_editor import PrivateDataEditor
from app.ui.router_editor.conditions.regex_editor import RegexEditor
from app.ui.router_editor.conditions.simple_editors import (
    AvailableEditor,
    CodeEditor,
    ImageEditor,
)
from app.ui.router_editor.conditions.time_editor import LOCAL_ZONE, TimeEditor
from app.ui.router_editor.conditions.when_editor import NO_CONDITION, WhenEditor
from app.ui.router_editor.conditions.word_chips import PLACEHOLDER
from app.ui.router_editor.target_picker import UNKNOWN_TARGET, TargetPicker

TARGETS = [TargetChoice("local:smol"), TargetChoice("openai:gpt-4o", "no API key for openai")]

Show = Callable[[QWidget], None]


@pytest.fixture
def show(qtbot: QtBot) -> Iterator[Show]:
    """Show a widget in a host whose layout passes no size constraints on (the offscreen
    platform warns on each change of a window's constraints); the hosts stay referenced
    until the test ends."""
    hosts: list[QWidget] = []

    def host(widget: QWidget) -> None:
        window = QWidget()
        qtbot.addWidget(window)
        layout = QVBoxLayout(window)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(widget)
        window.resize(760, 600)
        window.show()
        hosts.append(window)

    yield host


def same(a: Any, b: Any) -> bool:
    return parse_condition(a, "when") == parse_condition(b, "when")


def shown_error(editor: QWidget, name: str) -> str:
    """The text of the error line called ``name`` ("Pattern problem"), "" while hidden."""
    lines = editor.findChildren(InlineMessage, options=Qt.FindChildOption.FindDirectChildrenOnly)
    found = [m for m in lines if m.accessibleName() == name]
    assert len(found) == 1, [m.accessibleName() for m in lines]
    return found[0].text() if found[0].isVisibleTo(editor) else ""


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_number(qtbot: QtBot, spin: QAbstractSpinBox, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def counter(editor: ConditionEditor | WhenEditor) -> list[int]:
    calls: list[int] = []
    editor.sig_changed.connect(lambda: calls.append(1))
    return calls


# ---- each kind, built through its widgets ------------------------------------------------


def placeholder_room(edit: QLineEdit) -> int:
    """The width QLineEdit draws its placeholder in (it elides past that): the style's
    contents rectangle, less the text margins and its own two pixels a side."""
    option = QStyleOptionFrame()
    option.initFrom(edit)
    option.lineWidth = edit.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, option, edit)
    option.midLineWidth = 0
    option.state |= QStyle.StateFlag.State_Sunken
    option.features = QStyleOptionFrame.FrameFeature.None_
    rect = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    margins = edit.textMargins()
    return rect.width() - margins.left() - margins.right() - 2 * 2


def test_the_keyword_hint_is_not_clipped(qtbot: QtBot, show: Show) -> None:
    editor = KeywordsEditor({"type": "keywords", "match": "any",
                             "words": ["stack trace", "traceback", "segfault", "regex", "SQL"]})
    show(editor)
    edit = editor.chips.edit
    qtbot.waitExposed(edit)
    assert edit.placeholderText() == PLACEHOLDER
    needed = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    assert placeholder_room(edit) >= needed, (placeholder_room(edit), needed)
    # Nor in a narrow column: the edit wraps to a line of its own rather than shrink.
    editor.window().resize(320, 600)
    qtbot.wait_until(lambda: edit.width() < 320)
    assert placeholder_room(edit) >= needed


def test_keywords_chips_mode_and_options(qtbot: QtBot, show: Show) -> None:
    editor = KeywordsEditor({"type": "keywords", "match": "any", "words": []})
    show(editor)
    changes = counter(editor)
    assert editor.problem() == "add at least one word or phrase"
    assert shown_error(editor, "Words problem") == "add at least one word or phrase"

    qtbot.keyClicks(editor.chips.edit, "invoice")
    qtbot.keyClick(editor.chips.edit, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.chips.edit, "refund, billing,tax")  # a comma ends a word
    assert editor.chips.edit.text() == "tax"
    qtbot.keyClick(editor.chips.edit, Qt.Key.Key_Return)
    assert editor.chips.edit.text() == ""
    qtbot.keyClick(editor.chips.edit, Qt.Key.Key_Backspace)  # empty edit: drops "tax"
    editor.mode_combo.setCurrentIndex(editor.mode_combo.findData("all"))
    click(qtbot, editor.case_box)

    assert editor.value() == {"type": "keywords", "match": "all",
                              "words": ["invoice", "refund", "billing"], "case_sensitive": True}
    assert editor.problem() is None
    assert shown_error(editor, "Words problem") == ""
    assert changes

    chip_remove = editor.chips.focus_widgets()[0]
    assert chip_remove.accessibleName() == "Remove “invoice”"
    click(qtbot, chip_remove)
    click(qtbot, editor.whole_box)
    qtbot.keyClicks(editor.chips.edit, "unconfirmed")  # still counts, not lost on save
    assert editor.value() == {"type": "keywords", "match": "all",
                              "words": ["refund", "billing", "unconfirmed"],
                              "case_sensitive": True, "whole_word": True}
    assert [editor.mode_combo.itemText(i) for i in range(3)] == [
        "Message contains any of", "Message contains all of", "Message contains none of"]


def test_regex_live_validity_flags_and_sample(qtbot: QtBot, show: Show) -> None:
    editor = RegexEditor({"type": "regex", "pattern": ""})
    show(editor)
    assert editor.problem() == "write a pattern"
    assert editor.pattern_edit.font().fixedPitch() or editor.pattern_edit.font().styleHint()

    qtbot.keyClicks(editor.pattern_edit, r"inv-(\d+")
    problem = editor.problem()
    assert problem is not None and problem.startswith("invalid regular expression")
    assert shown_error(editor, "Pattern problem") == problem
    qtbot.keyClicks(editor.sample_edit, "see INV-42 here")
    assert editor.preview.text() == problem

    qtbot.keyClicks(editor.pattern_edit, ")")
    assert editor.problem() is None
    assert shown_error(editor, "Pattern problem") == ""
    assert editor.preview.text() == "no match"
    click(qtbot, editor.flag_boxes["ignorecase"])
    assert editor.preview.text() == "matches “INV-42”"
    click(qtbot, editor.flag_boxes["dotall"])
    assert editor.value() == {"type": "regex", "pattern": r"inv-(\d+)",
                              "flags": ["ignorecase", "dotall"]}


def test_measure_quantity_op_and_between(qtbot: QtBot, show: Show) -> None:
    editor = MeasureEditor({"type": "message_tokens", "op": ">", "value": 1000})
    show(editor)
    assert editor.high_spin.isHidden()
    # "Tokens" is explained where it stands, and only while a token count is chosen.
    assert editor.quantity_combo.currentText() == "Tokens in the message"
    assert editor.tokens_note.isVisible() and "1,000 tokens are about 750" in editor.tokens_note.text()
    editor.quantity_combo.setCurrentIndex(editor.quantity_combo.findData("message_chars"))
    assert not editor.tokens_note.isVisible()
    editor.op_combo.setCurrentIndex(editor.op_combo.findData("<="))
    type_number(qtbot, editor.low_spin, "2500")
    assert editor.value() == {"type": "message_chars", "op": "<=", "value": 2500}
    assert isinstance(editor.value()["value"], int)

    editor.op_combo.setCurrentIndex(editor.op_combo.findData("between"))
    assert not editor.high_spin.isHidden()
    assert editor.problem() is None  # the upper bound starts above the lower one
    type_number(qtbot, editor.high_spin, "100")
    assert editor.problem() == "low 2,500 is above high 100"
    assert shown_error(editor, "Size problem") == "low 2,500 is above high 100"
    type_number(qtbot, editor.high_spin, "9000")
    assert editor.value() == {"type": "message_chars", "op": "between", "value": [2500, 9000]}
    assert [editor.op_combo.itemText(i) for i in range(5)] == [
        "less than", "at most", "more than", "at least", "between"]


def test_time_window_days_and_zone(qtbot: QtBot, show: Show) -> None:
    editor = TimeEditor({"type": "time", "from": "09:00", "to": "17:00"})
    show(editor)
    assert editor.zone_combo.currentText() == LOCAL_ZONE
    assert editor.value() == {"type": "time", "from": "09:00", "to": "17:00"}

    editor.from_edit.setFocus()
    qtbot.keyClick(editor.from_edit, Qt.Key.Key_Down)  # the hour section: 09 → 08
    editor.to_edit.setTime(QTime(22, 5))
    click(qtbot, editor.day_boxes["sat"])
    click(qtbot, editor.day_boxes["sun"])
    editor.zone_combo.setCurrentIndex(editor.zone_combo.findText("Europe/Berlin"))
    assert editor.value() == {"type": "time", "from": "08:00", "to": "22:05",
                              "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                              "timezone": "Europe/Berlin"}

    editor.zone_combo.setEditText("Mars/Olympus")  # typed: keyClicks would pop the completer up
    problem = editor.problem()
    assert problem is not None and 'unknown timezone "Mars/Olympus"' in problem
    assert shown_error(editor, "Time zone problem") == problem

    editor.zone_combo.setCurrentIndex(0)
    for day in ("mon", "tue", "wed", "thu", "fri"):
        click(qtbot, editor.day_boxes[day])
    assert editor.problem() == "tick at least one day"
    for day in WEEKDAYS:
        click(qtbot, editor.day_boxes[day])
    assert "weekdays" not in editor.value() and "timezone" not in editor.value()


def test_private_data_kinds(qtbot: QtBot, show: Show) -> None:
    editor = PrivateDataEditor({"type": "pii"})
    show(editor)
    assert editor.value() == {"type": "pii", "kinds": list(PRIVATE_KINDS)}
    for kind in PRIVATE_KINDS:
        click(qtbot, editor.kind_boxes[kind])
    assert editor.problem() == "tick at least one kind of private data"
    click(qtbot, editor.kind_boxes["iban"])
    click(qtbot, editor.kind_boxes["email"])
    assert editor.value() == {"type": "pii", "kinds": ["email", "iban"]}
    assert editor.problem() is None
    assert editor.kind_boxes["secret"].text() == "Secret or API key"


def test_image_code_and_available(qtbot: QtBot, show: Show) -> None:
    image = ImageEditor({"type": "image"})
    code = CodeEditor({"type": "code"})
    available = AvailableEditor({"type": "available", "target": "local:smol"}, TARGETS)
    for editor in (image, code, available):
        show(editor)
    assert image.value() == {"type": "image"}

    type_number(qtbot, code.lines_spin, "5")
    assert code.value() == {"type": "code", "min_lines": 5}
    type_number(qtbot, code.lines_spin, "2")
    assert code.value() == {"type": "code"}  # the default, left out as to_dict does

    changes = counter(available)
    available.picker.setCurrentIndex(1)
    assert available.value() == {"type": "available", "target": "openai:gpt-4o"}
    assert changes
    available.picker.setEditText("not a target")
    problem = available.problem()
    assert problem == 'expected "provider:model", got "not a target"'
    assert shown_error(available, "Target problem") == problem


# ---- the target picker ----------------------------------------------------------------


def test_target_picker_flags_problems_and_keeps_text(qtbot: QtBot, show: Show) -> None:
    picker = TargetPicker(TARGETS)
    show(picker)
    emitted: list[str] = []
    picker.sig_changed.connect(emitted.append)
    assert picker.accessibleName() == "Target"
    assert picker.itemIcon(0).isNull() and not picker.itemIcon(1).isNull()
    assert picker.itemData(1, Qt.ItemDataRole.ToolTipRole) == "no API key for openai"
    assert picker.problem_of("openai:gpt-4o") == "no API key for openai"

    picker.set_target("anthropic:claude")  # not listed: shown, added, flagged
    assert picker.target() == "anthropic:claude"
    assert picker.problem_of("anthropic:claude") == UNKNOWN_TARGET
    assert not emitted

    picker.set_choices([TargetChoice("local:other")])
    assert picker.target() == "anthropic:claude" and not emitted

    picker.setEditText("local:x")
    assert emitted[-1] == "local:x"
    completer = picker.completer()
    assert completer is not None
    assert completer.caseSensitivity() == Qt.CaseSensitivity.CaseInsensitive
    completer.setCompletionPrefix("LOCAL:OTH")
    assert completer.currentCompletion() == "local:other"
    warning = picker.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    assert warning.cacheKey() != 0


# ---- groups and the rule's whole condition -----------------------------------------------


def test_building_nested_groups_through_buttons(qtbot: QtBot, show: Show) -> None:
    when = WhenEditor(TARGETS)
    show(when)
    changes = counter(when)
    assert when.value() is None and when.problem() == NO_CONDITION

    top = when.group
    top.add_actions["image"].trigger()
    assert when.value() == {"type": "image"}  # one condition: written bare
    click(qtbot, top.add_group_button)
    inner = top.editors()[1]
    assert isinstance(inner, GroupEditor)
    assert when.problem() == "add at least one condition"
    inner.mode_combo.setCurrentIndex(inner.mode_combo.findData("any"))
    inner.add_actions["available"].trigger()
    inner.add_actions["measure"].trigger()
    assert when.value() == {"all": [
        {"type": "image"},
        {"any": [{"type": "available", "target": "local:smol"},
                 {"type": "message_tokens", "op": ">", "value": 1000}]}]}
    assert when.problem() is None
    assert len(changes) == 5

    remove_image = top.focus_widgets()[1]
    assert remove_image.accessibleName() == "Remove Image attached condition"
    click(qtbot, remove_image)
    top.mode_combo.setCurrentIndex(top.mode_combo.findData("any"))
    assert when.value() == {"any": [{"any": [
        {"type": "available", "target": "local:smol"},
        {"type": "message_tokens", "op": ">", "value": 1000}]}]}

    # Every default added from the menu is a valid condition, or says what it lacks.
    for kind in KINDS:
        inner.add_actions[kind.key].trigger()
        added = inner.editors()[-1]
        assert added.kind_name
        if kind.key in ("keywords", "regex"):
            assert added.problem() is not None
        else:
            assert added.problem() is None, kind.key
            parse_condition(added.value(), "x")


def test_not_holds_one_child_and_wraps_several(qtbot: QtBot, show: Show) -> None:
    when = WhenEditor(TARGETS)
    show(when)
    when.set_value({"all": [{"type": "image"}, {"type": "code"}]})
    top = when.group
    top.mode_combo.setCurrentIndex(top.mode_combo.findData("not"))
    assert when.value() == {"not": {"all": [{"type": "image"}, {"type": "code"}]}}
    assert not top.add_condition_button.isEnabled() and not top.add_group_button.isEnabled()

    inner = top.editors()[0]
    assert isinstance(inner, GroupEditor)
    changes = counter(when)
    inner.add_actions["pii"].trigger()  # the moved children still report their edits
    assert changes
    code = inner.editors()[1]
    assert isinstance(code, CodeEditor)
    type_number(qtbot, code.lines_spin, "4")
    assert when.value() == {"not": {"all": [{"type": "image"}, {"type": "code", "min_lines": 4},
                                            {"type": "pii", "kinds": list(PRIVATE_KINDS)}]}}

    click(qtbot, top.focus_widgets()[1])  # remove the only child
    assert top.add_condition_button.isEnabled()
    assert when.problem() == NO_CONDITION
    top.add_actions["image"].trigger()
    assert when.value() == {"not": {"type": "image"}}
    top.mode_combo.setCurrentIndex(top.mode_combo.findData("all"))
    assert when.value() == {"all": [{"type": "image"}]}  # read as a group: stays one


def test_show_error_lands_on_the_nested_field(qtbot: QtBot, show: Show) -> None:
    when = WhenEditor(TARGETS)
    show(when)
    when.set_value({"all": [
        {"type": "image"},
        {"any": [{"type": "keywords", "words": ["a"]},
                 {"not": {"type": "regex", "pattern": "x"}}]}]})
    inner = when.group.editors()[1]
    assert isinstance(inner, GroupEditor)
    not_group = inner.editors()[1]
    assert isinstance(not_group, GroupEditor)
    regex = not_group.editors()[0]
    keywords = inner.editors()[0]
    assert isinstance(keywords, KeywordsEditor)

    assert when.show_error("all[1].any[1].not.pattern", "pattern is too slow")
    assert shown_error(regex, "Pattern problem") == "pattern is too slow"
    assert when.show_error("all[1].any[0].words[0]", "word is odd")
    assert shown_error(keywords, "Words problem") == "word is odd"
    assert shown_error(keywords, "Keyword match problem") == ""
    assert when.show_error("all[1]", "group is odd")
    assert shown_error(inner, "Group problem") == "group is odd"
    assert not when.show_error("all[7].pattern", "no such child")
    assert not when.show_error("all[1].any[0].nonsense", "no such field")

    when.clear_errors()
    assert shown_error(regex, "Pattern problem") == ""
    when.show_error("all[1].any[0].words", "bad")
    qtbot.keyClicks(keywords.chips.edit, "b")
    assert shown_error(keywords, "Words problem") == ""  # about the old value: gone

    when.set_value({"type": "message_count", "op": "between",
                    "value": [1, 5]})
    assert when.show_error("value[1]", "too high")
    measure = when.group.editors()[0]
    assert shown_error(measure, "Size problem") == "too high"


def test_set_value_is_silent_and_tab_order_follows_the_layout(qtbot: QtBot, show: Show) -> None:
    when = WhenEditor(TARGETS)
    show(when)
    changes = counter(when)
    when.set_value({"any": [{"type": "keywords", "words": ["a", "b"]},
                            {"all": [{"type": "code"}, {"type": "available", "target": "local:smol"}]}]})
    assert not changes
    order = when.focus_widgets()
    top = when.group
    assert order[0] is top.mode_combo and order[-1] is top.add_group_button
    for widget in order:
        assert widget.accessibleName(), widget
    # Tab visits the controls in reading order, including ones created after the buttons.
    top.add_actions["image"].trigger()
    order = [w for w in when.focus_widgets() if w.isVisibleTo(when)]
    order[0].setFocus()
    for expected in order[1:]:
        expected_focus = expected.focusProxy() or expected
        when.focusNextChild()
        focused = when.window().focusWidget()
        assert focused is expected_focus or expected.isAncestorOf(focused), (
            expected.accessibleName(), focused.accessibleName() if focused else None)


# ---- round trips -----------------------------------------------------------------------

ROUND_TRIPS: list[Json] = [
    {"type": "keywords", "words": ["invoice", " two words "]},
    {"type": "keywords", "match": "none", "words": ["a", "a"], "case_sensitive": True,
     "whole_word": True},
    {"type": "regex", "pattern": r"\d{4}", "flags": ["multiline", "ignorecase"]},
    {"type": "message_tokens", "op": "<", "value": 1.5},
    {"type": "conversation_tokens", "op": "between", "value": [0, 2_000_000_000]},
    {"type": "message_count", "op": ">=", "value": 3},
    {"type": "message_chars", "op": "between", "value": [5, 5]},
    {"type": "time", "from": "9:00", "to": "06:30", "weekdays": ["Sun", "mon"]},
    {"type": "time", "from": "00:00", "to": "00:00", "weekdays": list(WEEKDAYS),
     "timezone": "America/New_York"},
    {"type": "image"},
    {"type": "code", "min_lines": 1},
    {"type": "code", "min_lines": 2},
    {"type": "pii"},
    {"type": "pii", "kinds": ["secret", "email"]},
    {"type": "available", "target": "local:smol"},
    {"type": "available", "target": "groq:llama-3"},
    {"all": [{"type": "image"}]},
    {"any": [{"type": "image"}, {"type": "code"}]},
    {"not": {"type": "pii"}},
    {"all": [{"any": [{"not": {"type": "image"}}, {"type": "keywords", "words": ["x"]}]},
             {"not": {"all": [{"type": "regex", "pattern": "a|b"},
                              {"type": "time", "from": "08:00", "to": "09:00"}]}}]},
]


@pytest.mark.parametrize("data", ROUND_TRIPS, ids=lambda d: str(d)[:40])
def test_round_trip(qtbot: QtBot, data: Json) -> None:
    when = WhenEditor(TARGETS)
    qtbot.addWidget(when)
    when.set_value(data)
    assert same(when.value(), data), when.value()
    assert when.problem() is None
    single = editor_for(data, TARGETS)
    qtbot.addWidget(single)
    assert same(single.value(), data)


_WORD = st.text(alphabet="abcxyzé -+.", min_size=1, max_size=8).filter(lambda w: w.strip() != "")
_CLOCK = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
_NUMBER = st.integers(0, 2_000_000_000)


def _optional(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(st.just({}), values.map(lambda v: {key: v}))


def _leaf() -> st.SearchStrategy[Json]:
    keywords = st.builds(
        lambda words, mode, extra, extra2: {"type": "keywords", "match": mode, "words": words,
                                            **extra, **extra2},
        st.lists(_WORD, min_size=1, max_size=4), st.sampled_from(MODES),
        _optional("case_sensitive", st.just(True)), _optional("whole_word", st.just(True)))
    regex = st.builds(
        lambda pattern, flags: {"type": "regex", "pattern": pattern, **flags},
        st.sampled_from([r"\bfoo\b", "a+b?", r"(?i)inv-\d{3,}", "[xyz]", "^line$"]),
        _optional("flags", st.lists(st.sampled_from(list(FLAGS)), min_size=1, unique=True)))
    measure = st.one_of(
        st.builds(lambda q, op, n: {"type": q, "op": op, "value": n},
                  st.sampled_from(list(QUANTITIES)), st.sampled_from(OPS[:4]), _NUMBER),
        st.builds(lambda q, a, b: {"type": q, "op": "between", "value": sorted([a, b])},
                  st.sampled_from(list(QUANTITIES)), _NUMBER, _NUMBER))
    time = st.builds(
        lambda start, end, days, zone: {"type": "time", "from": start, "to": end, **days, **zone},
        _CLOCK, _CLOCK,
        _optional("weekdays", st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True)),
        _optional("timezone", st.sampled_from(["UTC", "Europe/Berlin", "Asia/Tokyo",
                                               "America/Sao_Paulo"])))
    pii = st.builds(lambda kinds: {"type": "pii", **kinds},
                    _optional("kinds", st.lists(st.sampled_from(PRIVATE_KINDS), min_size=1,
                                                unique=True)))
    code = st.builds(lambda n: {"type": "code", **n}, _optional("min_lines", st.integers(1, 50)))
    available = st.builds(lambda t: {"type": "available", "target": t},
                          st.sampled_from(["local:smol", "openai:gpt-4o", "mistral:large"]))
    return st.one_of(keywords, regex, measure, time, pii, code, available,
                     st.just({"type": "image"}))


CONDITIONS = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"all": c}),
        st.lists(children, min_size=1, max_size=3).map(lambda c: {"any": c}),
        children.map(lambda c: {"not": c})),
    max_leaves=6)


@pytest.fixture
def when_editor(qtbot: QtBot) -> WhenEditor:
    when = WhenEditor(TARGETS)
    qtbot.addWidget(when)
    return when


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=CONDITIONS)
def test_any_valid_condition_round_trips(when_editor: WhenEditor, data: Json) -> None:
    """One editor for all examples: each load must also replace the one before it."""
    parse_condition(data, "when")  # the strategy itself writes only valid conditions
    when = when_editor
    changes = counter(when)
    when.set_value(data)
    assert same(when.value(), data), (when.value(), data)
    assert when.problem() is None
    assert not changes


def test_new_targets_reach_nested_pickers(qtbot: QtBot) -> None:
    when = WhenEditor(TARGETS)
    qtbot.addWidget(when)
    data = {"any": [{"type": "image"}, {"not": {"type": "available", "target": "local:smol"}}]}
    when.set_value(data)
    changes = counter(when)
    when.set_targets([TargetChoice("local:smol", "not downloaded")])
    pickers = when.findChildren(TargetPicker)
    assert len(pickers) == 1
    assert pickers[0].problem_of("local:smol") == "not downloaded"
    assert when.value() == data and not changes
