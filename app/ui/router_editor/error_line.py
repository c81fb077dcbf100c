"""A form field with its error line under it, where the core's message for it appears."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from app.ui.inline_message import InlineMessage


def with_error_line(field: QWidget | QHBoxLayout, name: str) -> tuple[QWidget, InlineMessage]:
    """``field`` (a widget or a row of them) above a hidden InlineMessage called ``name``."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    if isinstance(field, QHBoxLayout):
        layout.addLayout(field)
    else:
        layout.addWidget(field)
    line = InlineMessage(name)
    layout.addWidget(line)
    return box, line
