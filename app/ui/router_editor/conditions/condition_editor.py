"""What every condition editor is, and how an editor is chosen for a condition's JSON.

An editor owns one condition. It loads JSON with ``set_value`` (silently), writes it
back with ``value()``, and reports its own problem — first in its own words, then
whatever ``parse_condition`` objects to — in a tinted line right under the field at
fault. Errors found elsewhere (a router file that failed to load) arrive through
``show_error`` with a path relative to the condition, as ``RouterFormatError`` names it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.controller.target_choices import TargetChoice
from app.core.router.conditions import GROUPS, parse_condition
from app.core.router.conditions.measure import QUANTITIES
from app.core.router.fields import RouterFormatError
from app.core.router.private_data import PRIVATE_KINDS
from app.ui.inline_message import InlineMessage

Json = dict[str, Any]
Problem = tuple[str, str]  # (path relative to the condition, plain words)

# "words[2]" → "words", "all[0].pattern" → "all[0]": how a path is shortened, one step
# at a time, until it names a field that has an error line.
_LAST_STEP = re.compile(r"(\[\d+\]|\.[^.\[\]]+)$")


class ErrorSlot:
    """The line under one field: an error shown from outside wins over the editor's
    own live problem, and disappears once the user edits (it was about the old value)."""

    def __init__(self, message: InlineMessage) -> None:
        self.message = message
        self._live = ""
        self._external = ""

    def set_live(self, text: str) -> None:
        self._live = text
        self._show()

    def set_external(self, text: str) -> None:
        self._external = text
        self._show()

    def _show(self) -> None:
        self.message.set_message(self._external or self._live, "error")


class ConditionEditor(QWidget):
    sig_changed = Signal()
    """The user changed the condition (never emitted by ``set_value``)."""

    kind_name = "Condition"  # what a group's row calls it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._slots: dict[str, ErrorSlot] = {}

    # --- the contract --------------------------------------------------------------

    def value(self) -> Json:
        raise NotImplementedError

    def set_value(self, data: Json) -> None:
        with self._loading_guard():
            self._load(data)
        self.clear_errors()
        self._refresh()

    def problem(self) -> str | None:
        """Why this condition cannot be saved as it stands, in plain words; None if it can."""
        problems = self._live_problems()
        return problems[0][1] if problems else None

    def show_error(self, path: str, message: str) -> bool:
        slot = self._slot_for(path)
        if slot is None:
            return False
        slot.set_external(message)
        return True

    def clear_errors(self) -> None:
        for slot in self._slots.values():
            slot.set_external("")

    def set_targets(self, choices: Sequence[TargetChoice]) -> None:
        """The targets a picker offers changed (a key added, a model downloaded)."""

    def focus_widgets(self) -> list[QWidget]:
        """This editor's controls in the order Tab should visit them."""
        return []

    # --- for subclasses ------------------------------------------------------------

    def _load(self, data: Json) -> None:
        raise NotImplementedError

    def _own_problems(self) -> list[Problem]:
        """Problems worded for this editor, checked before the core's own reading."""
        return []

    def _live_problems(self) -> list[Problem]:
        own = self._own_problems()
        if own:
            return own
        try:
            parse_condition(self.value(), "")
        except RouterFormatError as exc:
            return [(exc.path, exc.problem)]
        return []

    def _error_slot(self, name: str, *paths: str) -> InlineMessage:
        """A hidden error line for the fields at ``paths`` (and paths below them)."""
        message = InlineMessage(f"{name} problem", self)
        slot = ErrorSlot(message)
        for path in paths:
            self._slots[path] = slot
        return message

    def _slot_for(self, path: str) -> ErrorSlot | None:
        while True:
            if path in self._slots:
                return self._slots[path]
            shorter = _LAST_STEP.sub("", path)
            if shorter == path:
                return None
            path = shorter.lstrip(".")

    def _refresh(self) -> None:
        """Show the current live problems under their fields."""
        for slot in set(self._slots.values()):
            slot.set_live("")
        for path, text in self._live_problems():
            found = self._slot_for(path)
            if found is not None:
                found.set_live(text)

    def _edited(self) -> None:
        """Connected to every control's change signal."""
        if self._loading:
            return
        self.clear_errors()
        self._refresh()
        self.sig_changed.emit()

    @contextmanager
    def _loading_guard(self) -> Iterator[None]:
        self._loading = True
        try:
            yield
        finally:
            self._loading = False

    def _relink_tab_order(self) -> None:
        """Put the whole tree's controls in reading order for Tab: rows and chips are
        created after the buttons below them, and Qt's default order is creation order."""
        root: ConditionEditor = self
        parent = self.parentWidget()
        while parent is not None:
            if isinstance(parent, ConditionEditor):
                root = parent
            parent = parent.parentWidget()
        for first, second in pairwise(root.focus_widgets()):
            QWidget.setTabOrder(first, second)


# --- kinds ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConditionKind:
    key: str  # the JSON "type" (every size quantity is "measure" here)
    name: str  # what the "+ Condition" menu and a group's row call it
    default: Callable[[Sequence[TargetChoice]], Json]


KINDS: tuple[ConditionKind, ...] = (
    ConditionKind("keywords", "Keywords",
                  lambda _: {"type": "keywords", "match": "any", "words": []}),
    ConditionKind("regex", "Pattern (regular expression)",
                  lambda _: {"type": "regex", "pattern": ""}),
    ConditionKind("measure", "Size (tokens, characters, messages)",
                  lambda _: {"type": "message_tokens", "op": ">", "value": 1000}),
    ConditionKind("time", "Time of day",
                  lambda _: {"type": "time", "from": "09:00", "to": "17:00"}),
    ConditionKind("pii", "Private data",
                  lambda _: {"type": "pii", "kinds": list(PRIVATE_KINDS)}),
    ConditionKind("image", "Image attached", lambda _: {"type": "image"}),
    ConditionKind("code", "Code present", lambda _: {"type": "code"}),
    ConditionKind("available", "Target available",
                  lambda targets: {"type": "available",
                                   "target": targets[0].target if targets else ""}),
)
KIND_NAMES: dict[str, str] = {kind.key: kind.name for kind in KINDS}


def kind_of(data: Json) -> str:
    """"all"/"any"/"not" for a group, else the key in KINDS ("measure" for every size)."""
    for group in GROUPS:
        if group in data:
            return group
    kind = data.get("type")
    if kind in QUANTITIES:
        return "measure"
    if kind not in KIND_NAMES:
        raise ValueError(f"no editor for condition type {kind!r}")
    return str(kind)


def editor_for(data: Json, targets: Sequence[TargetChoice],
               parent: QWidget | None = None) -> ConditionEditor:
    """The editor for one condition, loaded with ``data`` (JSON that parse_condition
    reads). A group gets a GroupEditor holding an editor for each child."""
    # Imported here: each editor module imports ConditionEditor from this one, and the
    # group editor calls back into editor_for for its children.
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
    from app.ui.router_editor.conditions.time_editor import TimeEditor

    kind = kind_of(data)
    if kind in GROUPS:
        return GroupEditor(data, targets, parent)
    if kind == "available":
        return AvailableEditor(data, targets, parent)
    editors: dict[str, type[LeafEditor]] = {
        "keywords": KeywordsEditor, "regex": RegexEditor, "measure": MeasureEditor,
        "time": TimeEditor, "pii": PrivateDataEditor, "image": ImageEditor, "code": CodeEditor,
    }
    return editors[kind](data, parent)


class LeafEditor(ConditionEditor):
    """An editor without targets or children: built, then loaded with ``data``."""

    def __init__(self, data: Json, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._build()
        # Last: a mistake in the condition as a whole ("expected an object").
        self._layout.addWidget(self._error_slot("Condition", ""))
        self.set_value(data)

    def _build(self) -> None:
        raise NotImplementedError
