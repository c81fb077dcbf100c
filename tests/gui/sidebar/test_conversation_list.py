"""The conversation sidebar against a real store, offscreen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLayout,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.controller.conversations import Conversations
from app.core.store import Store
from app.ui.sidebar.conversation_list import ConversationList, relative_time

SidebarFactory = Callable[..., ConversationList]


class StepClock:
    """Each store write one second after the last: listing order never rests on a tie."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC) - timedelta(hours=1)

    def __call__(self) -> datetime:
        self._now += timedelta(seconds=1)
        return self._now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "db.sqlite", clock=StepClock()) as opened:
        yield opened


@pytest.fixture
def conversations(store: Store) -> Conversations:
    return Conversations(store)


@pytest.fixture
def make_sidebar(qtbot: QtBot, conversations: Conversations) -> Iterator[SidebarFactory]:
    hosts: list[QWidget] = []  # qtbot holds widgets weakly; the host must outlive the test

    def make(undo_ms: int = 60_000) -> ConversationList:
        # Hosted in a window, as in the app. The host's layout keeps the sidebar's minimum
        # size (which changes when the undo bar shows) off the window: the offscreen
        # platform warns on every change of a window's size constraints.
        host = QWidget()
        hosts.append(host)
        qtbot.addWidget(host)
        layout = QVBoxLayout(host)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(0, 0, 0, 0)
        sidebar = ConversationList(conversations, host, undo_ms=undo_ms)
        layout.addWidget(sidebar)
        host.resize(280, 480)
        host.show()
        qtbot.waitExposed(host)
        return sidebar

    yield make
    hosts.clear()


# ---- helpers -------------------------------------------------------------------------------


def view_of(sidebar: ConversationList) -> QListView:
    view = sidebar.findChild(QListView, "chatList")
    assert view is not None
    return view


def search_of(sidebar: ConversationList) -> QLineEdit:
    field = sidebar.findChild(QLineEdit, "chatSearch")
    assert field is not None
    return field


def titles(sidebar: ConversationList) -> list[str]:
    model = view_of(sidebar).model()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def index_of(sidebar: ConversationList, title: str) -> QModelIndex:
    model = view_of(sidebar).model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data() == title:
            return index
    raise AssertionError(f"{title!r} is not listed: {titles(sidebar)}")


def click_row(qtbot: QtBot, sidebar: ConversationList, title: str) -> None:
    view = view_of(sidebar)
    center = view.visualRect(index_of(sidebar, title)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)


def open_editor(sidebar: ConversationList) -> QLineEdit:
    view = view_of(sidebar)
    assert view.state() == QAbstractItemView.State.EditingState
    editor = view.findChild(QLineEdit, "chatTitleEditor")
    assert editor is not None and editor.isVisible()
    return editor


def press_enter(qtbot: QtBot, sidebar: ConversationList, editor: QLineEdit) -> None:
    """Enter in the title editor; Qt commits it on the next turn of the event loop."""
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    view = view_of(sidebar)
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState)


def empty_text(sidebar: ConversationList) -> str | None:
    """The empty-state text when it is what the sidebar shows, else None."""
    stack = sidebar.findChild(QStackedWidget)
    assert stack is not None
    current = stack.currentWidget()
    return current.text() if isinstance(current, QLabel) else None


def undo_bar_text(sidebar: ConversationList) -> str | None:
    bar = sidebar.findChild(QLabel, "undoLabel")
    assert bar is not None
    return bar.text() if bar.isVisible() else None


def undo_button(sidebar: ConversationList) -> QPushButton:
    button = sidebar.findChild(QPushButton, "undoButton")
    assert button is not None
    return button


def menu_action(sidebar: ConversationList, title: str, label: str) -> None:
    """Open the row's context menu the way a right click does, and choose ``label``."""
    view = view_of(sidebar)
    view.customContextMenuRequested.emit(view.visualRect(index_of(sidebar, title)).center())
    menu = sidebar.findChild(QMenu, "chatContextMenu")
    assert menu is not None and menu.isVisible()
    action = next(a for a in menu.actions() if a.text() == label)
    menu.hide()
    action.trigger()


# A popup menu raises itself and grabs the keyboard, which the offscreen platform cannot
# do (and says so); only these two platform lines are let through, only for menu tests.
MENU_GRAB = pytest.mark.qt_log_ignore(
    r"^This plugin does not support grabbing the keyboard$",
    r"^This plugin does not support raise\(\)$",
)


# ---- listing -------------------------------------------------------------------------------


def test_lists_chats_by_latest_activity(store: Store, make_sidebar: SidebarFactory) -> None:
    first = store.create_conversation(title="First")
    store.create_conversation(title="Second")
    store.create_conversation(title="Third")
    store.add_message(first, "user", "bump")

    assert titles(make_sidebar()) == ["First", "Third", "Second"]


def test_refresh_shows_new_activity_and_keeps_the_highlight(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    older = store.create_conversation(title="Older")
    newer = store.create_conversation(title="Newer")
    sidebar = make_sidebar()
    sidebar.select(newer)
    store.add_message(older, "user", "back to this one")

    with qtbot.assert_not_emitted(sidebar.sig_selected):
        sidebar.refresh()

    assert titles(sidebar) == ["Older", "Newer"]
    assert sidebar.current_id() == newer


def test_refresh_with_select_highlights_without_emitting(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    sidebar = make_sidebar()
    cid = store.create_conversation(title="Fresh")

    with qtbot.assert_not_emitted(sidebar.sig_selected):
        sidebar.refresh(select=cid)

    assert sidebar.current_id() == cid


def test_refresh_with_select_drops_a_search_that_hides_it(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    store.create_conversation(title="Python tips")
    sidebar = make_sidebar()
    qtbot.keyClicks(search_of(sidebar), "python")
    qtbot.waitUntil(lambda: titles(sidebar) == ["Python tips"])
    new = store.create_conversation(title="New chat")

    sidebar.refresh(select=new)

    assert search_of(sidebar).text() == ""
    assert sidebar.current_id() == new
    assert titles(sidebar) == ["New chat", "Python tips"]


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(seconds=-90), "just now"),  # a clock set back
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=1), "Yesterday"),
        (timedelta(days=3), "Wed"),
        (timedelta(days=30), "13 Feb"),
        (timedelta(days=400), "9 Feb 2024"),
    ],
)
def test_relative_time(age: timedelta, expected: str) -> None:
    # Noon on Saturday 15 March 2025, local time: calendar words are about the user's days.
    now = datetime(2025, 3, 15, 12, 0).astimezone()
    assert relative_time(now - age, now, QLocale(QLocale.Language.English)) == expected


# ---- search and empty states ---------------------------------------------------------------


def test_search_matches_titles_and_message_text(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    store.create_conversation(title="Trip to Lisbon")
    recipes = store.create_conversation(title="Recipes")
    store.add_message(recipes, "user", "How long do I boil an egg?")
    store.create_conversation(title="Taxes")
    sidebar = make_sidebar()
    field = search_of(sidebar)

    qtbot.keyClicks(field, "lisbon")
    qtbot.waitUntil(lambda: titles(sidebar) == ["Trip to Lisbon"])

    field.clear()
    qtbot.keyClicks(field, "EGG")
    qtbot.waitUntil(lambda: titles(sidebar) == ["Recipes"])

    field.clear()
    qtbot.waitUntil(lambda: len(titles(sidebar)) == 3)


def test_search_field_is_labelled_and_clearable(make_sidebar: SidebarFactory) -> None:
    field = search_of(make_sidebar())
    assert field.placeholderText() == "Search chats"
    assert field.isClearButtonEnabled()


def test_escape_in_search_clears_it(qtbot: QtBot, store: Store,
                                    make_sidebar: SidebarFactory) -> None:
    store.create_conversation(title="Alpha")
    store.create_conversation(title="Beta")
    sidebar = make_sidebar()
    field = search_of(sidebar)
    qtbot.keyClicks(field, "alpha")
    qtbot.waitUntil(lambda: titles(sidebar) == ["Alpha"])

    qtbot.keyClick(field, Qt.Key.Key_Escape)

    assert field.text() == ""
    qtbot.waitUntil(lambda: len(titles(sidebar)) == 2)


def test_enter_in_search_opens_the_top_hit(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    wanted = store.create_conversation(title="Rust lifetimes")
    store.create_conversation(title="Gardening")
    sidebar = make_sidebar()
    field = search_of(sidebar)
    qtbot.keyClicks(field, "rust")

    # Enter straight after typing, before the debounce has fired.
    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(field, Qt.Key.Key_Return)

    assert blocker.args == [wanted]
    assert titles(sidebar) == ["Rust lifetimes"]


def test_no_chats_at_all(make_sidebar: SidebarFactory) -> None:
    assert empty_text(make_sidebar()) == "No chats yet"


def test_no_search_hits(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    store.create_conversation(title="Something")
    sidebar = make_sidebar()
    assert empty_text(sidebar) is None

    qtbot.keyClicks(search_of(sidebar), "zebra")

    qtbot.waitUntil(lambda: empty_text(sidebar) == "No chats match “zebra”")


# ---- opening chats -------------------------------------------------------------------------


def test_click_opens_the_chat(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    store.create_conversation(title="One")
    two = store.create_conversation(title="Two")
    sidebar = make_sidebar()

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        click_row(qtbot, sidebar, "Two")

    assert blocker.args == [two]
    assert sidebar.current_id() == two


def test_arrow_keys_open_the_next_chat(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    first = store.create_conversation(title="Older")
    second = store.create_conversation(title="Newer")
    sidebar = make_sidebar()
    sidebar.select(second)

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(view_of(sidebar), Qt.Key.Key_Down)
    assert blocker.args == [first]

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(view_of(sidebar), Qt.Key.Key_Up)
    assert blocker.args == [second]


def test_enter_opens_the_focused_chat(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    cid = store.create_conversation(title="Only")
    sidebar = make_sidebar()
    view = view_of(sidebar)
    view.setCurrentIndex(view.model().index(0, 0))

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)

    assert blocker.args == [cid]


def test_select_highlights_without_emitting(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    cid = store.create_conversation(title="Quiet")
    sidebar = make_sidebar()

    with qtbot.assert_not_emitted(sidebar.sig_selected):
        sidebar.select(cid)

    assert sidebar.current_id() == cid


def test_right_click_does_not_open(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    store.create_conversation(title="Row")
    sidebar = make_sidebar()
    view = view_of(sidebar)
    center = view.visualRect(index_of(sidebar, "Row")).center()

    with qtbot.assert_not_emitted(sidebar.sig_selected):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=center)


def test_new_chat_button(qtbot: QtBot, make_sidebar: SidebarFactory) -> None:
    sidebar = make_sidebar()
    button = sidebar.findChild(QPushButton, "newChatButton")
    assert button is not None
    assert "Ctrl+N" in button.toolTip()

    with qtbot.wait_signal(sidebar.sig_new_requested):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_controls_have_accessible_names(make_sidebar: SidebarFactory) -> None:
    sidebar = make_sidebar()
    assert search_of(sidebar).accessibleName() == "Search chats"
    assert view_of(sidebar).accessibleName() == "Chats"
    buttons = {b.objectName(): b.accessibleName() for b in sidebar.findChildren(QPushButton)}
    assert buttons == {"newChatButton": "New chat", "undoButton": "Undo delete"}


def test_focus_search(make_sidebar: SidebarFactory) -> None:
    sidebar = make_sidebar()
    sidebar.focus_search()
    assert sidebar.focusWidget() is search_of(sidebar)


# ---- rename --------------------------------------------------------------------------------


def test_f2_rename_persists(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Untitled")
    sidebar = make_sidebar()
    sidebar.select(cid)

    qtbot.keyClick(view_of(sidebar), Qt.Key.Key_F2)
    editor = open_editor(sidebar)
    assert editor.text() == "Untitled"
    qtbot.keyClicks(editor, "Holiday plans")  # the title is selected: typing replaces it
    press_enter(qtbot, sidebar, editor)

    stored = store.conversation(cid)
    assert stored is not None and stored.title == "Holiday plans"
    assert titles(sidebar) == ["Holiday plans"]


def test_escape_cancels_rename(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Keep me")
    sidebar = make_sidebar()
    sidebar.start_rename(cid)
    editor = open_editor(sidebar)
    qtbot.keyClicks(editor, "Something else")

    qtbot.keyClick(editor, Qt.Key.Key_Escape)

    stored = store.conversation(cid)
    assert stored is not None and stored.title == "Keep me"
    assert titles(sidebar) == ["Keep me"]


def test_empty_title_is_refused(qtbot: QtBot, store: Store,
                                make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Keep me")
    sidebar = make_sidebar()
    sidebar.start_rename(cid)
    editor = open_editor(sidebar)
    qtbot.keyClicks(editor, "   ")

    press_enter(qtbot, sidebar, editor)

    stored = store.conversation(cid)
    assert stored is not None and stored.title == "Keep me"
    assert titles(sidebar) == ["Keep me"]


def test_double_click_starts_rename(qtbot: QtBot, store: Store,
                                    make_sidebar: SidebarFactory) -> None:
    store.create_conversation(title="Double")
    sidebar = make_sidebar()
    view = view_of(sidebar)
    center = view.visualRect(index_of(sidebar, "Double")).center()

    # As a real double-click arrives: a click, then the press that Qt reports as a double.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)

    assert open_editor(sidebar).text() == "Double"


@MENU_GRAB
def test_context_menu_rename(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Menu me")
    sidebar = make_sidebar()

    menu_action(sidebar, "Menu me", "Rename")
    editor = open_editor(sidebar)
    qtbot.keyClicks(editor, "Renamed")
    press_enter(qtbot, sidebar, editor)

    stored = store.conversation(cid)
    assert stored is not None and stored.title == "Renamed"


def test_refresh_during_rename_waits_for_the_editor(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    cid = store.create_conversation(title="Editing")
    other = store.create_conversation(title="Busy")
    sidebar = make_sidebar()
    sidebar.start_rename(cid)
    qtbot.keyClicks(open_editor(sidebar), "Half typed")

    # A reply lands in another chat and the window refreshes the list.
    store.create_conversation(title="Arrived meanwhile")
    store.add_message(other, "assistant", "done")
    sidebar.refresh()

    editor = open_editor(sidebar)  # still open, text intact
    assert editor.text() == "Half typed"
    press_enter(qtbot, sidebar, editor)

    qtbot.waitUntil(lambda: titles(sidebar) == ["Busy", "Arrived meanwhile", "Half typed"])


# ---- delete with undo ----------------------------------------------------------------------


def test_delete_key_hides_row_and_undo_restores_it(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    keep = store.create_conversation(title="Keep")
    doomed = store.create_conversation(title="Doomed")
    sidebar = make_sidebar()
    sidebar.select(keep)

    with qtbot.assert_not_emitted(sidebar.sig_deleted):
        sidebar.delete(doomed)
        assert titles(sidebar) == ["Keep"]
        assert undo_bar_text(sidebar) == "Deleted “Doomed”"
        assert store.conversation(doomed) is not None  # not yet: Undo is still possible

        qtbot.mouseClick(undo_button(sidebar), Qt.MouseButton.LeftButton)

    assert titles(sidebar) == ["Doomed", "Keep"]
    assert undo_bar_text(sidebar) is None
    assert store.conversation(doomed) is not None
    assert sidebar.current_id() == keep


def test_delete_key_on_the_list(qtbot: QtBot, store: Store,
                                make_sidebar: SidebarFactory) -> None:
    store.create_conversation(title="Other")
    cid = store.create_conversation(title="Bye")
    sidebar = make_sidebar(undo_ms=30)
    sidebar.select(cid)

    qtbot.keyClick(view_of(sidebar), Qt.Key.Key_Delete)
    assert titles(sidebar) == ["Other"]

    with qtbot.wait_signal(sidebar.sig_deleted, timeout=2000) as blocker:
        pass
    assert blocker.args == [cid]
    assert store.conversation(cid) is None


def test_undo_window_expiry_deletes(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    cid = store.create_conversation(title="Temporary")
    store.add_message(cid, "user", "hello")
    sidebar = make_sidebar(undo_ms=50)

    with qtbot.wait_signal(sidebar.sig_deleted, timeout=2000) as blocker:
        sidebar.delete(cid)

    assert blocker.args == [cid]
    assert store.conversation(cid) is None
    assert store.messages(cid) == []
    assert undo_bar_text(sidebar) is None
    assert empty_text(sidebar) == "No chats yet"


def test_commit_pending_deletes(qtbot: QtBot, store: Store,
                                make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Closing")
    sidebar = make_sidebar()
    sidebar.delete(cid)

    with qtbot.wait_signal(sidebar.sig_deleted) as blocker:
        sidebar.commit_pending_deletes()

    assert blocker.args == [cid]
    assert store.conversation(cid) is None
    assert undo_bar_text(sidebar) is None
    with qtbot.assert_not_emitted(sidebar.sig_deleted):
        sidebar.commit_pending_deletes()  # nothing left: harmless


def test_another_delete_makes_the_first_final(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    first = store.create_conversation(title="First")
    second = store.create_conversation(title="Second")
    store.create_conversation(title="Third")
    sidebar = make_sidebar()
    sidebar.delete(first)

    with qtbot.wait_signal(sidebar.sig_deleted) as blocker:
        sidebar.delete(second)

    assert blocker.args == [first]
    assert store.conversation(first) is None
    assert store.conversation(second) is not None
    assert undo_bar_text(sidebar) == "Deleted “Second”"
    assert titles(sidebar) == ["Third"]


def test_refresh_keeps_a_pending_delete_hidden(
    store: Store, make_sidebar: SidebarFactory
) -> None:
    cid = store.create_conversation(title="Pending")
    store.create_conversation(title="Stays")
    sidebar = make_sidebar()
    sidebar.delete(cid)

    sidebar.refresh()

    assert titles(sidebar) == ["Stays"]


def test_deleting_the_open_chat_opens_its_neighbour_and_undo_goes_back(
    qtbot: QtBot, store: Store, make_sidebar: SidebarFactory
) -> None:
    below = store.create_conversation(title="Below")
    open_one = store.create_conversation(title="Open")
    store.create_conversation(title="Above")
    sidebar = make_sidebar()
    sidebar.select(open_one)

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(view_of(sidebar), Qt.Key.Key_Delete)
    assert blocker.args == [below]
    assert sidebar.current_id() == below

    with qtbot.wait_signal(sidebar.sig_selected) as blocker:
        qtbot.keyClick(view_of(sidebar), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [open_one]
    assert titles(sidebar) == ["Above", "Open", "Below"]


@MENU_GRAB
def test_context_menu_delete(qtbot: QtBot, store: Store, make_sidebar: SidebarFactory) -> None:
    cid = store.create_conversation(title="Via menu")
    sidebar = make_sidebar()

    menu_action(sidebar, "Via menu", "Delete")

    assert titles(sidebar) == []
    assert undo_bar_text(sidebar) == "Deleted “Via menu”"
    with qtbot.wait_signal(sidebar.sig_deleted) as blocker:
        sidebar.commit_pending_deletes()
    assert blocker.args == [cid]
