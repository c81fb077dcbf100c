""""Sent off this computer": every request that went to a cloud model, for the open chat
or for all chats, with totals.

It shows what the egress log holds (``ChatController.sent_off``): when, to which model
and server, how many bytes, which messages, and what privacy kept back; never the
content, which is not logged. Message ids become positions in their chat ("1–4"), the
words a person uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.controller.egress_words import EgressRow, count, kind_words, privacy_words, redaction_words
from app.core.byte_size import format_bytes
from app.core.router.targets import model_of, provider_of
from app.ui import theme
from app.ui.tool_window import ToolWindow

if TYPE_CHECKING:
    from app.controller.chat import ChatController
    from app.controller.conversations import Conversations

__all__ = ["COLUMNS", "SentOffView", "message_span"]

COLUMNS = ("When", "Chat", "For", "Sent to", "Server", "Size", "Messages", "Private data")
CHAT_COLUMN = COLUMNS.index("Chat")
EMPTY_CHAT = "Nothing from this chat has left this computer."
EMPTY_ALL = "Nothing has left this computer."
EMPTY_HINT = ("Replies from models on this computer stay here. When a router sends a message "
              "to a cloud model, the request is listed here.")
RECORD_NOTE = ("Only the size of each request and the kinds of private values kept back are "
               "recorded, never what was sent.")


def message_span(positions: Sequence[int]) -> str:
    """[1, 2, 3, 5] → "1–3, 5": which messages of the chat went, in its own numbering."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(positions)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


class SentOffView(ToolWindow):
    def __init__(self, chat: ChatController, conversations: Conversations,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chat = chat
        self._conversations = conversations
        self.conversation_id: int | None = None
        self.setWindowTitle("Sent off this computer")
        self.setAccessibleName("Sent off this computer")
        self.resize(920, 460)

        self.this_chat = QRadioButton("This chat")
        self.all_chats = QRadioButton("All chats")
        self.this_chat.setChecked(True)
        scope = QButtonGroup(self)
        for button in (self.this_chat, self.all_chats):
            scope.addButton(button)
        self.this_chat.toggled.connect(lambda _: self.refresh())
        scope_row = QHBoxLayout()
        scope_row.addWidget(QLabel("Show:"))
        scope_row.addWidget(self.this_chat)
        scope_row.addWidget(self.all_chats)
        scope_row.addStretch(1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Requests sent off this computer")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        self.empty = QLabel()
        self.empty.setObjectName("sentOffEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        font = self.empty.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.empty.setFont(font)
        self.empty_hint = QLabel(EMPTY_HINT)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.totals = QLabel()
        self.totals.setObjectName("sentOffTotals")
        self.totals.setAccessibleName("Totals")
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel(RECORD_NOTE)
        self.note.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addLayout(scope_row)
        layout.addWidget(self.table, 1)
        self.empty_state = QWidget()  # in the table's place while there is nothing to list
        empty_layout = QVBoxLayout(self.empty_state)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty)
        empty_layout.addWidget(self.empty_hint)
        empty_layout.addStretch(1)
        layout.addWidget(self.empty_state, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.note)
        layout.addWidget(close)
        self._apply_colours()

    # ---- public ----------------------------------------------------------------------

    def show_chat(self, conversation_id: int | None) -> None:
        """Follow the chat the window shows (None: a new chat, not created yet)."""
        self.conversation_id = conversation_id
        self.refresh()

    def showing_all(self) -> bool:
        return self.all_chats.isChecked()

    def rows(self) -> list[EgressRow]:
        """What the table lists, newest first."""
        if self.showing_all():
            rows = self._chat.sent_off(None)
        elif self.conversation_id is None:
            rows = []
        else:
            rows = self._chat.sent_off(self.conversation_id)
        return list(reversed(rows))

    def refresh(self) -> None:
        rows = self.rows()
        self._fill(rows)
        empty = not rows
        self.table.setVisible(not empty)
        self.empty.setText(EMPTY_ALL if self.showing_all() else EMPTY_CHAT)
        self.empty_state.setVisible(empty)
        self.totals.setVisible(not empty)
        self.totals.setText(totals_text(rows))

    # ---- the table ---------------------------------------------------------------------

    def _fill(self, rows: list[EgressRow]) -> None:
        self.table.setColumnHidden(CHAT_COLUMN, not self.showing_all())
        self.table.setRowCount(len(rows))
        positions = self._positions({r.conversation_id for r in rows if r.conversation_id is not None})
        titles = self._titles({r.conversation_id for r in rows if r.conversation_id is not None})
        for i, row in enumerate(rows):
            numbers = [positions[m] for m in row.message_ids if m in positions]
            cells = (
                (f"{row.created_at.astimezone():%Y-%m-%d %H:%M}",
                 f"{row.created_at.astimezone():%Y-%m-%d %H:%M:%S}"),
                (titles.get(row.conversation_id, "not from a chat")
                 if row.conversation_id is not None else "not from a chat", None),
                (kind_words(row.kind), None),
                (f"{model_of(row.target)} ({provider_of(row.target)})", row.target),
                (row.host, None),
                (format_bytes(row.bytes), f"{row.bytes:,} bytes"),
                (message_span(numbers) or "—", count(len(row.message_ids), "message")),
                (privacy_words(row) or "sent as written", None),
            )
            for column, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip or text)
                self.table.setItem(i, column, item)

    def _positions(self, chats: Iterable[int]) -> dict[int, int]:
        """message id → its number in its chat (1 for the first message)."""
        out: dict[int, int] = {}
        for cid in chats:
            for n, message in enumerate(self._conversations.messages(cid), start=1):
                out[message.id] = n
        return out

    def _titles(self, chats: Iterable[int]) -> dict[int | None, str]:
        out: dict[int | None, str] = {}
        for cid in chats:
            row = self._conversations.get(cid)
            out[cid] = row.title if row is not None else "a deleted chat"
        return out

    # ---- colours and showing -------------------------------------------------------------

    def _apply_colours(self) -> None:
        for label in (self.empty_hint, self.note):
            theme.set_foreground(label, theme.muted_text(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colours()
        super().changeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()  # requests may have left since it was last shown
        super().showEvent(event)


def totals_text(rows: Sequence[EgressRow]) -> str:
    """ "3 requests · 4.2 kB · redacted 2 emails · 1 private message left out"."""
    if not rows:
        return ""
    parts = [count(len(rows), "request"), format_bytes(sum(r.bytes for r in rows))]
    redacted: dict[str, int] = {}
    for row in rows:
        for kind, n in row.redactions.items():
            redacted[kind] = redacted.get(kind, 0) + n
    if redacted:
        parts.append("redacted " + redaction_words(redacted))
    omitted = sum(r.omitted for r in rows)
    if omitted:
        parts.append(f"{count(omitted, 'private message')} left out")
    return " · ".join(parts)
