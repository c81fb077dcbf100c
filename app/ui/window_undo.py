"""Ctrl+Z undoes a chat's deletion from anywhere in the window, while its undo lasts.

A text field takes Ctrl+Z before any window shortcut sees it, even with nothing to undo,
so an empty composer would swallow the key. This filter undoes the deletion itself when
the focused field has no undo of its own, and leaves a field that can undo (the user's
typing) alone. Elsewhere (a button, the chat list) the window's Undo action has the key.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget


def text_can_undo(widget: QWidget) -> bool:
    """Whether ``widget`` is a text field with something of its own to undo."""
    if isinstance(widget, QComboBox):
        line = widget.lineEdit() if widget.isEditable() else None
        return line is not None and text_can_undo(line)
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly() and widget.isUndoAvailable()
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return not widget.isReadOnly() and widget.document().isUndoAvailable()
    return False


class WindowUndo(QObject):
    """Watches the focused widget of ``window``; goes with the window.

    Only the focused widget gets the key's ShortcutOverride, so the filter follows the
    focus rather than sit on the application, where every event of every widget (each
    paint, each timer) would pass through Python and take the GIL from a generating model.
    """

    def __init__(self, window: QWidget, can_undo: Callable[[], bool], undo: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._can_undo = can_undo
        self._undo = undo
        self._watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow_focus)
            self._follow_focus(None, app.focusWidget())

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None and shiboken6.isValid(self._watched):
            self._watched.removeEventFilter(self)
        self._watched = new if new is not None and new.window() is self._window else None
        if self._watched is not None:
            self._watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent) \
                or not event.matches(QKeySequence.StandardKey.Undo) or not self._can_undo():
            return False
        focus = QApplication.focusWidget()
        if focus is None or focus.window() is not self._window or text_can_undo(focus):
            return False
        self._undo()
        # Accepted: the field keeps the key press, which finds nothing of its own to undo.
        event.accept()
        return True
