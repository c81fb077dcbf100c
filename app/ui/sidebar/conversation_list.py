"""The conversation sidebar: "New chat", a search field, and the chats by latest activity.

The widget shows what ``Conversations`` returns and forwards intent: opening a chat is a
signal, renaming and deleting go through the controller. Deleting is undoable for a few
seconds: the row disappears at once, but ``Conversations.delete`` runs only when the undo
window closes, so Undo never has to recreate anything.

Rows are a flat model painted by a delegate (no widget per row) with uniform heights, so a
reload of a thousand chats is one model reset and the view lays out only what is visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6 import QtGui
from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QDate,
    QEvent,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAccessible,
    QColor,
    QFocusEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.controller.conversations import ConversationRow, Conversations

__all__ = ["ConversationList", "relative_time"]

SEARCH_DEBOUNCE_MS = 150
UNDO_MS = 8000
# Relative times ("5 min ago") go stale while the window sits open; a cheap repaint of the
# visible rows keeps them honest without reloading anything.
CLOCK_TICK_MS = 30_000

_ROW_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # a list has one parent: the invalid index


def relative_time(moment: datetime, now: datetime, locale: QLocale | None = None) -> str:
    """A short, muted-label time: "just now", "5 min ago", "3 h ago", "Yesterday", "Mon",
    "12 Mar", "12 Mar 2023". Calendar words use the user's local time zone and locale."""
    local, local_now = moment.astimezone(), now.astimezone()
    seconds = (local_now - local).total_seconds()
    # Negative ages (a clock set back, another machine's timestamps) read as "just now"
    # rather than as nonsense like "-3 min ago".
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    days = (local_now.date() - local.date()).days
    if days == 0:
        return f"{int(seconds // 3600)} h ago"
    if days == 1:
        return "Yesterday"
    locale = locale or QLocale()
    date = QDate(local.year, local.month, local.day)
    if days < 7:
        return locale.toString(date, "ddd")
    if local.year == local_now.year:
        return locale.toString(date, "d MMM")
    return locale.toString(date, "d MMM yyyy")


def _muted(color: QColor) -> QColor:
    # Derived from the row's own text colour (normal or highlighted), so it stays readable
    # on the selection and in both light and dark palettes.
    muted = QColor(color)
    muted.setAlphaF(0.62)
    return muted


class _ConversationModel(QAbstractListModel):
    """The rows as last loaded; renames go to the controller and are read back from it."""

    def __init__(self, conversations: Conversations, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conversations = conversations
        self._rows: list[ConversationRow] = []
        self._position: dict[int, int] = {}

    # ---- Qt model interface ------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return row.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.title  # the painted title may be elided
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{row.title}, {relative_time(row.updated_at, datetime.now(UTC))}"
        if role == _ROW_ROLE:
            return row
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable
        )

    def setData(
        self, index: _Index, value: object, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = str(value)
        row = self._rows[index.row()]
        if not title.strip() or title == row.title:
            return False
        self._conversations.rename(row.id, title)
        # Read back rather than assume: the controller normalises the title it stores.
        stored = self._conversations.get(row.id)
        if stored is None:
            return False
        self._rows[index.row()] = stored
        self.dataChanged.emit(index, index)
        return True

    # ---- ours --------------------------------------------------------------------------

    def set_rows(self, rows: list[ConversationRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._position = {row.id: i for i, row in enumerate(rows)}
        self.endResetModel()

    def remove(self, cid: int) -> None:
        position = self._position.get(cid)
        if position is None:
            return
        self.beginRemoveRows(_ROOT, position, position)
        del self._rows[position]
        self._position = {row.id: i for i, row in enumerate(self._rows)}
        self.endRemoveRows()

    def row(self, cid: int) -> ConversationRow | None:
        position = self._position.get(cid)
        return None if position is None else self._rows[position]

    def index_of(self, cid: int) -> QModelIndex:
        position = self._position.get(cid)
        return QModelIndex() if position is None else self.index(position, 0)

    def id_at(self, index: _Index) -> int | None:
        return self._rows[index.row()].id if index.isValid() else None


class _ConversationDelegate(QStyledItemDelegate):
    """Paints a row as the elided title with the muted relative time on the right."""

    PAD_X = 10
    PAD_Y = 8
    GAP = 10

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        # One height for every row (the view has uniform item sizes), from the font, so a
        # larger system font gets taller rows.
        return QSize(option.fontMetrics.averageCharWidth() * 20,
                     option.fontMetrics.height() + 2 * self.PAD_Y)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        row: ConversationRow | None = index.data(_ROW_ROLE)
        if row is None:
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the style draws background, selection and focus; we draw the text
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        if not opt.state & QStyle.StateFlag.State_Enabled:
            group = QPalette.ColorGroup.Disabled
        elif opt.state & QStyle.StateFlag.State_Active:
            group = QPalette.ColorGroup.Active
        else:
            group = QPalette.ColorGroup.Inactive
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_color = opt.palette.color(group, role)

        metrics = opt.fontMetrics
        when = relative_time(row.updated_at, datetime.now(UTC))
        area = opt.rect.adjusted(self.PAD_X, 0, -self.PAD_X, 0)
        when_width = metrics.horizontalAdvance(when)
        when_rect = QRect(area.right() - when_width + 1, area.top(), when_width, area.height())
        title_rect = QRect(area.left(), area.top(),
                           max(0, area.width() - when_width - self.GAP), area.height())
        # visualRect mirrors both rectangles for right-to-left layouts.
        when_rect = QStyle.visualRect(opt.direction, opt.rect, when_rect)
        title_rect = QStyle.visualRect(opt.direction, opt.rect, title_rect)
        title = metrics.elidedText(row.title, Qt.TextElideMode.ElideRight, title_rect.width())

        painter.save()
        painter.setFont(opt.font)
        painter.setPen(_muted(text_color))
        painter.drawText(when_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         when)
        painter.setPen(text_color)
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         title)
        painter.restore()

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: _Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("chatTitleEditor")
        editor.setAccessibleName("Chat title")
        return editor

    def setEditorData(self, editor: QWidget, index: _Index) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setText(str(index.data(Qt.ItemDataRole.EditRole)))
        editor.selectAll()  # typing replaces the title, as in a file manager's rename

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _Index) -> None:
        assert isinstance(editor, QLineEdit)
        # An empty title is refused: the old one stays (the model ignores blank values too).
        if editor.text().strip():
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem,
                             index: _Index) -> None:
        editor.setGeometry(option.rect.adjusted(self.PAD_X // 2, 2, -self.PAD_X // 2, -2))


class _ChatListView(QListView):
    """The list itself; turns the sidebar's keys into requests its owner carries out."""

    sig_rename_requested = Signal()
    """F2 on the focused row."""
    sig_delete_requested = Signal()
    """Delete on the focused row."""
    sig_open_requested = Signal()
    """Enter/Return on the focused row."""
    sig_undo_requested = Signal()
    """Ctrl+Z (the platform's Undo) while the list has focus."""
    sig_editor_closed = Signal()
    """An inline rename finished, committed or not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.focus_entering = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            plain = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier
            )
            key = event.key()
            if key == Qt.Key.Key_F2 and plain:
                self.sig_rename_requested.emit()
                return
            if event.matches(QKeySequence.StandardKey.Delete) or (
                key == Qt.Key.Key_Delete and plain
            ):
                self.sig_delete_requested.emit()
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
                self.sig_open_requested.emit()
                return
            if event.matches(QKeySequence.StandardKey.Undo):
                self.sig_undo_requested.emit()
                return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        on_row = self.indexAt(event.position().toPoint()).isValid()
        if not on_row or event.button() == Qt.MouseButton.RightButton:
            # A click below the last row would clear the open chat's highlight, and a right
            # click (for the menu) would open the chat under it; neither is "open this".
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            event.accept()
            return
        super().mousePressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        # Qt makes the first row current when focus arrives on a list with none; that is
        # a focus ring, not the user opening a chat, so the owner must not emit for it.
        self.focus_entering = True
        try:
            super().focusInEvent(event)
        finally:
            self.focus_entering = False

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, hint)
        self.sig_editor_closed.emit()


class _UndoBar(QFrame):
    """Inline "Deleted “title” — Undo" bar; the title is elided to the bar's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self._title = ""
        self.label = QLabel(self)
        self.label.setObjectName("undoLabel")
        # Plain text: a chat title is user data and must never be read as HTML.
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setMinimumWidth(1)
        self.button = QPushButton("Undo", self)
        self.button.setObjectName("undoButton")
        self.button.setAccessibleName("Undo delete")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)

    def show_for(self, title: str) -> None:
        self._title = title
        self.setAccessibleName(f"Deleted “{title}”")
        self.label.setToolTip(f"Deleted “{title}”")
        self._elide()
        self.show()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.label.fontMetrics()
        frame = metrics.horizontalAdvance("Deleted “”")
        room = max(metrics.averageCharWidth() * 3, self.label.width() - frame)
        title = metrics.elidedText(self._title, Qt.TextElideMode.ElideRight, room)
        self.label.setText(f"Deleted “{title}”")


@dataclass(slots=True)
class _PendingDelete:
    row: ConversationRow
    was_open: bool  # it was the highlighted (open) chat when deleted
    opened_instead: int | None  # the neighbour opened in its place, if any


class ConversationList(QWidget):
    """The sidebar. The main window wires the signals and owns Ctrl+N and window close."""

    sig_selected = Signal(int)
    """The user opened this conversation (click, Enter, keyboard navigation, or the
    neighbour of an open chat they deleted; Undo reopens the restored one)."""
    sig_new_requested = Signal()
    """The "New chat" button was pressed."""
    sig_deleted = Signal(int)
    """This conversation is now gone from the store (its undo window closed)."""
    sig_undo_available_changed = Signal(bool)
    """A deletion can be undone now (True), or no longer (False): the window's Undo follows."""

    def __init__(
        self,
        conversations: Conversations,
        parent: QWidget | None = None,
        *,
        undo_ms: int = UNDO_MS,
    ) -> None:
        super().__init__(parent)
        self._conversations = conversations
        self._pending: _PendingDelete | None = None
        # Programmatic selection changes (refresh, select) must not look like the user.
        self._quiet = 0
        self._deferred_refresh: tuple[int | None] | None = None

        self.setObjectName("conversationList")
        self.setAccessibleName("Chats")

        self._new_button = QPushButton("New chat", self)
        self._new_button.setObjectName("newChatButton")
        self._new_button.setAccessibleName("New chat")
        shortcut = QKeySequence("Ctrl+N").toString(QKeySequence.SequenceFormat.NativeText)
        self._new_button.setToolTip(f"New chat ({shortcut})")
        self._new_button.clicked.connect(self.sig_new_requested)

        self._search = QLineEdit(self)
        self._search.setObjectName("chatSearch")
        self._search.setPlaceholderText("Search chats")
        self._search.setAccessibleName("Search chats")
        self._search.setClearButtonEnabled(True)
        self._search.installEventFilter(self)
        # Debounced: typing "python" should cost one query, not six.
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self._search_timer.timeout.connect(self._on_search_timeout)
        self._search.textChanged.connect(self._on_search_edited)

        self._model = _ConversationModel(conversations, self)
        self._view = _ChatListView(self)
        self._view.setObjectName("chatList")
        self._view.setAccessibleName("Chats")
        self._view.setModel(self._model)
        self._view.setItemDelegate(_ConversationDelegate(self._view))
        self._view.setUniformItemSizes(True)
        self._view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Renaming starts only from F2, double-click or the menu, never from typing.
        self._view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._view.setFrameShape(QFrame.Shape.NoFrame)
        self._view.setMouseTracking(True)  # hover highlight
        self._view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._view.customContextMenuRequested.connect(self._show_context_menu)
        self._view.doubleClicked.connect(self._on_double_clicked)
        self._view.sig_rename_requested.connect(self._rename_focused)
        self._view.sig_delete_requested.connect(self._delete_focused)
        self._view.sig_open_requested.connect(self._open_focused)
        self._view.sig_undo_requested.connect(self._undo)
        self._view.sig_editor_closed.connect(self._run_deferred_refresh)
        selection = self._view.selectionModel()
        selection.currentChanged.connect(self._on_current_changed)

        self._empty = QLabel(self)
        self._empty.setObjectName("emptyLabel")
        self._empty.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the search text
        self._empty.setWordWrap(True)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # The list's background, so the panel does not change colour when it empties.
        self._empty.setBackgroundRole(QPalette.ColorRole.Base)
        self._empty.setAutoFillBackground(True)
        self._empty.setMargin(16)

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self._view)
        self._stack.addWidget(self._empty)

        self._undo_bar = _UndoBar(self)
        self._undo_bar.button.clicked.connect(self._undo)
        self._undo_bar.hide()
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(undo_ms)
        self._undo_timer.timeout.connect(self.commit_pending_deletes)

        self._menu = QMenu(self)
        self._menu.setObjectName("chatContextMenu")
        self._menu_target: int | None = None
        rename = self._menu.addAction("Rename")
        rename.setShortcut(QKeySequence(Qt.Key.Key_F2))  # shown as a hint; the view handles F2
        rename.triggered.connect(lambda: self.start_rename(self._menu_target))
        delete = self._menu.addAction("Delete")
        delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        delete.triggered.connect(lambda: self.delete(self._menu_target))

        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_TICK_MS)
        self._clock.timeout.connect(self._view.viewport().update)
        self._clock.start()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self._new_button)
        layout.addWidget(self._search)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self._undo_bar)
        self.setTabOrder(self._new_button, self._search)
        self.setTabOrder(self._search, self._view)

        self.refresh()

    # ---- public API -------------------------------------------------------------------

    def refresh(self, select: int | None = None) -> None:
        """Reload from the controller with the current search; keep (or move to ``select``)
        the highlighted row. Never emits ``sig_selected``."""
        if self._view.state() == QAbstractItemView.State.EditingState:
            # A reset would close the editor and throw away what the user is typing (a
            # reply finishing elsewhere triggers refreshes); reload once they are done.
            self._deferred_refresh = (select,)
            return
        self._deferred_refresh = None
        self._search_timer.stop()  # this reload already uses the latest search text
        search = self._search.text().strip()
        rows = self._load(search)
        if select is not None and search and all(row.id != select for row in rows):
            # The chat to show (a new one, say) is hidden by the search: drop the search
            # rather than highlight nothing.
            self._search.clear()
            self._search_timer.stop()
            search = ""
            rows = self._load(search)
        keep = select if select is not None else self.current_id()
        self._quiet += 1
        try:
            self._model.set_rows(rows)
            if keep is not None:
                self._highlight(keep)
        finally:
            self._quiet -= 1
        self._update_empty_state(search)

    def current_id(self) -> int | None:
        """The highlighted (open) chat, if any."""
        selected = self._view.selectionModel().selectedIndexes()
        return self._model.id_at(selected[0]) if selected else None

    def select(self, cid: int) -> None:
        """Highlight ``cid`` (or nothing, if it is not listed) without emitting."""
        self._quiet += 1
        try:
            if not self._highlight(cid):
                self._view.selectionModel().clear()
        finally:
            self._quiet -= 1

    def focus_search(self) -> None:
        self._search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self._search.selectAll()

    def start_rename(self, cid: int | None = None) -> None:
        """Edit the title in place (the highlighted row by default): Enter keeps, Esc
        cancels, an empty title is refused."""
        index = self._model.index_of(cid) if cid is not None else self._focused_index()
        if not index.isValid():
            return
        self._view.scrollTo(index)
        self._view.setFocus(Qt.FocusReason.OtherFocusReason)
        self._view.edit(index)

    def delete(self, cid: int | None = None) -> None:
        """Hide the chat now and offer Undo; it is deleted when the undo window closes."""
        target = cid if cid is not None else self._model.id_at(self._focused_index())
        if target is None:
            return
        row = self._model.row(target) or self._conversations.get(target)
        if row is None or (self._pending is not None and self._pending.row.id == target):
            return
        # One undo at a time, as in a mail client: a new delete makes the previous final.
        self.commit_pending_deletes()
        was_open = self.current_id() == target
        position = self._model.index_of(target).row()
        self._quiet += 1
        try:
            self._model.remove(target)
        finally:
            self._quiet -= 1
        opened_instead: int | None = None
        if was_open and position >= 0 and self._model.rowCount() > 0:
            # The row below slides into place and opens, so the pane never shows a chat the
            # list no longer has, and pressing Delete again carries on down the list.
            neighbour = self._model.index(min(position, self._model.rowCount() - 1), 0)
            opened_instead = self._model.id_at(neighbour)
            if opened_instead is not None:
                self.select(opened_instead)
                self.sig_selected.emit(opened_instead)
        self._pending = _PendingDelete(row, was_open, opened_instead)
        self._undo_bar.show_for(row.title)
        self._undo_timer.start()
        self.sig_undo_available_changed.emit(True)
        self._update_empty_state(self._search.text().strip())
        self._announce(f"Deleted “{row.title}”. Undo is available for a few seconds.")

    def commit_pending_deletes(self) -> None:
        """Make a pending deletion final now (the window is closing, or another starts)."""
        pending, self._pending = self._pending, None
        self._undo_timer.stop()
        if pending is None:
            return
        self._hide_undo_bar()
        self.sig_undo_available_changed.emit(False)
        self._conversations.delete(pending.row.id)
        self.sig_deleted.emit(pending.row.id)

    # ---- internals ---------------------------------------------------------------------

    def _load(self, search: str) -> list[ConversationRow]:
        rows = self._conversations.list(search or None)
        if self._pending is not None:
            hidden = self._pending.row.id
            rows = [row for row in rows if row.id != hidden]
        return rows

    def _highlight(self, cid: int) -> bool:
        index = self._model.index_of(cid)
        if not index.isValid():
            return False
        self._view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self._view.scrollTo(index)
        return True

    def _focused_index(self) -> QModelIndex:
        # The keyboard's row: normally the highlighted one, but after tabbing into a list
        # with nothing open it is the row with the focus ring.
        selected = self._view.selectionModel().selectedIndexes()
        return selected[0] if selected else self._view.currentIndex()

    def _update_empty_state(self, search: str) -> None:
        if self._model.rowCount() > 0:
            self._stack.setCurrentWidget(self._view)
            return
        self._empty.setText(f"No chats match “{search}”" if search else "No chats yet")
        self._stack.setCurrentWidget(self._empty)

    def _on_current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._quiet or self._view.focus_entering or not current.isValid():
            return
        cid = self._model.id_at(current)
        if cid is not None:
            self.sig_selected.emit(cid)

    def _on_search_edited(self, _text: str) -> None:
        self._search_timer.start()  # restart: only a pause in typing runs the query

    def _on_search_timeout(self) -> None:
        self.refresh()

    def _open_focused(self) -> None:
        cid = self._model.id_at(self._view.currentIndex())
        if cid is None:
            return
        self.select(cid)
        self.sig_selected.emit(cid)

    def _rename_focused(self) -> None:
        self.start_rename()

    def _delete_focused(self) -> None:
        self.delete()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        cid = self._model.id_at(index)
        if cid is not None:
            self.start_rename(cid)

    def _show_context_menu(self, pos: QPoint) -> None:
        cid = self._model.id_at(self._view.indexAt(pos))
        if cid is None:
            return
        self._menu_target = cid
        self._menu.popup(self._view.viewport().mapToGlobal(pos))

    def can_undo_delete(self) -> bool:
        return self._pending is not None

    def undo_delete(self) -> None:
        """Bring back the chat deleted last, while its undo window is open (Ctrl+Z from
        anywhere in the window, the Undo button, or Ctrl+Z in the list)."""
        self._undo()

    def _undo(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self._undo_timer.stop()
        self._hide_undo_bar()
        self.sig_undo_available_changed.emit(False)
        # Put back what the delete changed: reopen the chat if it was open and the user has
        # not moved on from the neighbour that replaced it.
        reopen = pending.was_open and self.current_id() in (pending.opened_instead, None)
        self.refresh(select=pending.row.id if reopen else None)
        if reopen and self.current_id() == pending.row.id:
            self.sig_selected.emit(pending.row.id)
        self._announce(f"Restored “{pending.row.title}”.")

    def _hide_undo_bar(self) -> None:
        focused = QApplication.focusWidget()
        had_focus = focused is not None and self._undo_bar.isAncestorOf(focused)
        self._undo_bar.hide()
        if had_focus:
            # Otherwise focus would jump to whatever follows in the window's tab chain.
            self._view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _run_deferred_refresh(self) -> None:
        if self._deferred_refresh is not None:
            (select,) = self._deferred_refresh
            # After the editor has fully closed; the view is still tearing it down here.
            QTimer.singleShot(0, self, lambda: self._refresh_if_deferred(select))

    def _refresh_if_deferred(self, select: int | None) -> None:
        if self._deferred_refresh is not None:
            self.refresh(select)

    def _announce(self, text: str) -> None:
        # Screen readers do not notice a row vanishing or a bar appearing on their own.
        # Announcements arrived in Qt 6.8; the app still allows PySide6 6.7, which gets none.
        announcement = getattr(QtGui, "QAccessibleAnnouncementEvent", None)
        if announcement is not None and QAccessible.isActive():
            QAccessible.updateAccessibility(announcement(self, text))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key == Qt.Key.Key_Escape and self._search.text():
                self._search.clear()
                return True
            if key == Qt.Key.Key_Down and self._model.rowCount() > 0:
                self._view.setFocus(Qt.FocusReason.TabFocusReason)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                # Type, Enter: open the top hit. Flush the debounce so Enter right after
                # typing acts on the results for what was typed.
                if self._search_timer.isActive():
                    self.refresh()
                cid = self._model.id_at(self._model.index(0, 0))
                if cid is not None:
                    self.select(cid)
                    self.sig_selected.emit(cid)
                return True
        return super().eventFilter(watched, event)
