"""One undoable edit of the router being edited: the JSON before and after.

Snapshots rather than per-field commands: a router is a few KB, and a snapshot cannot
get out of step with the forms. Typing into one field merges into one step until the
user pauses or moves to another field, as in a text editor.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

MERGE_WINDOW_S = 1.5
_MERGE_ID = 1

Apply = Callable[[dict[str, Any], bool], None]  # (data, refresh the forms?)


class EditCommand(QUndoCommand):
    def __init__(self, text: str, before: dict[str, Any], after: dict[str, Any], apply: Apply,
                 merge_key: str | None = None) -> None:
        super().__init__(text)
        self.before = copy.deepcopy(before)
        self.after = copy.deepcopy(after)
        self._apply = apply
        self._merge_key = merge_key
        self._at = time.monotonic()
        self._first = True

    def redo(self) -> None:
        # The first time, the widget the user typed in already shows the change: rebuilding
        # the forms would only steal their focus and cursor.
        self._apply(self.after, not self._first)
        self._first = False

    def undo(self) -> None:
        self._apply(self.before, True)

    def id(self) -> int:
        return _MERGE_ID if self._merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, EditCommand) or other._merge_key != self._merge_key:
            return False
        if other._at - self._at > MERGE_WINDOW_S:
            return False
        self.after = other.after
        self._at = other._at
        return True
