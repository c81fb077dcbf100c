"""What the window shows at start when the chat database is damaged: what happened, and
the two ways on (move the file aside and start a new one, or quit and restore a backup).

Shown in place of the chat, not in a modal: nothing else in the window can work without
the database, and the choice must stay readable while the user thinks about it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.inline_message import InlineMessage

TEXT_WIDTH = 560  # a readable line length for the explanation


class DamagedDatabasePanel(QWidget):
    sig_set_aside_requested = Signal()
    """Move the damaged file aside (renamed, kept) and start with a new database."""
    sig_quit_requested = Signal()

    def __init__(self, path: Path, why: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("The chat database is damaged")
        title = QLabel("The chat database is damaged")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        self.explanation = QLabel(
            f"Switchboard cannot read {path} ({why}), so your chats cannot be shown.\n\n"
            "It can move that file aside and start with a new, empty database. Nothing is "
            f"deleted: the damaged file stays in the same folder as {path.name}.damaged-…, "
            "for a repair tool or a backup to bring back. Or quit, and restore a backup first.")
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.PlainText)  # a path is not markup
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_aside_button = QPushButton("Move it aside and start a new one")
        self.set_aside_button.setDefault(True)
        self.set_aside_button.clicked.connect(self.sig_set_aside_requested)
        self.quit_button = QPushButton("Quit")
        self.quit_button.clicked.connect(self.sig_quit_requested)
        self.problem = InlineMessage("Problem")

        buttons = QHBoxLayout()
        buttons.addWidget(self.set_aside_button)
        buttons.addWidget(self.quit_button)
        buttons.addStretch(1)
        box = QWidget()
        box.setMaximumWidth(TEXT_WIDTH)
        column = QVBoxLayout(box)
        column.setSpacing(12)
        column.addWidget(title)
        column.addWidget(self.explanation)
        column.addLayout(buttons)
        column.addWidget(self.problem)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.set_aside_button.setFocus()

    def show_problem(self, text: str) -> None:
        """Moving the file failed: say why beside the buttons, which stay usable."""
        self.problem.set_message(text, "error")
