"""One conversation on screen: its messages, the router picker and the composer, with
replies streamed from the chat controller.

The pane turns the controller's events into widget updates. It runs each reply as a task
on the qasync loop; anything unexpected ends that reply with a message in plain words,
never a traceback, and the user's text stays where it was.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.context_use import ContextUse
from app.controller.conversations import DeletedMessages, MessageRow, StoreError
from app.controller.events import (
    ChatEvent,
    Delta,
    Done,
    Failed,
    FallbackUsed,
    Reading,
    Routed,
    Titled,
)
from app.controller.route_words import (
    Route,
    badge_text,
    route_sentence,
    stats_text,
    trying_badge,
    trying_sentence,
)
from app.core.byte_size import format_bytes
from app.core.chat_settings import ChatSettings
from app.core.providers.base import ImagePart
from app.core.router import Router
from app.core.router.fields import RouterFormatError
from app.ui.chat.chat_settings_dialog import ChatSettingsDialog
from app.ui.chat.composer import Composer
from app.ui.chat.context_meter import ContextMeter
from app.ui.chat.deleted_message_bar import DeletedMessageBar, deleted_words
from app.ui.chat.empty_state import EmptyState
from app.ui.chat.error_actions import action_for
from app.ui.chat.message_list import MessageList
from app.ui.chat.message_widget import MessageWidget
from app.ui.chat.route_trace import RouteTraceDialog
from app.ui.chat.router_picker import RouterPicker
from app.ui.chat.stream_coalescer import StreamCoalescer
from app.ui.error_presenter import error_text
from app.ui.privacy import unlock_confirmation
from app.ui.privacy.chat_lock import ChatLock
from app.ui.privacy.sent_off_view import SentOffView
from app.ui.task_runner import TaskRunner

if TYPE_CHECKING:
    from app.controller.session import Session

log = logging.getLogger(__name__)
REPLY = "reply"
METER = "meter"


class ChatPane(QWidget):
    sig_conversations_changed = Signal(int)
    """A chat was created, titled or got new activity: the sidebar reloads, showing it."""
    sig_reply_finished = Signal(object)
    """A reply ended (Done): the status bar shows its speed."""
    sig_busy_changed = Signal(bool)
    sig_action_requested = Signal(object)
    """A ``Fix`` offered next to an error, or a link of the empty state
    ("open_router_editor", "open_models")."""
    sig_undo_available_changed = Signal(bool)
    """A deleted message can be brought back now (True), or no longer (False)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.conversation_id: int | None = None
        self._router_name = session.default_router_name()
        self._runner = TaskRunner(self)
        self._editing: MessageWidget | None = None
        # The reply after your last message: the one Regenerate, Retry and Continue act on.
        self._newest_reply: int | None = None
        self._trace_dialogs: list[RouteTraceDialog] = []
        # A new chat's own lock choice, made before its first message created it
        # (None: as the "Lock new chats" setting says).
        self._new_chat_lock: bool | None = None
        self._new_chat_settings: ChatSettings | None = None  # likewise, from Chat settings
        # The message being sent, until the database holds it, and the chat made for it:
        # when the store refuses, the text goes back to the composer and the chat away.
        self._unsent: tuple[str, list[ImagePart]] = ("", [])
        self._new_chat: int | None = None
        self._stored = True
        self.sent_off_view: SentOffView | None = None
        self.coalescer = StreamCoalescer(self)

        self.title = QLabel("New chat")
        self.title.setAccessibleName("Chat title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.router_picker = RouterPicker()
        self.router_picker.setAccessibleName("Router for this chat")
        self.router_picker.setToolTip("Which router decides where this chat's messages go (Ctrl+K)")
        self.router_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.router_picker.currentTextChanged.connect(self._on_router_picked)
        header = QHBoxLayout()
        header.setContentsMargins(16, 10, 16, 6)
        header.addWidget(self.title, 1)
        self.meter = ContextMeter()
        self.meter.sig_clicked.connect(self.open_chat_settings)
        header.addWidget(self.meter)
        header.addSpacing(12)
        self.settings_button = QToolButton()
        self.settings_button.setText("Chat settings")
        self.settings_button.setAccessibleName("Chat settings")
        self.settings_button.setToolTip("This chat's system prompt, model, sampling and what happens "
                                        "when it outgrows the model's context")
        self.settings_button.setAutoRaise(True)
        self.settings_button.clicked.connect(self.open_chat_settings)
        header.addWidget(self.settings_button)
        self.lock = ChatLock()
        self.lock.sig_lock_requested.connect(self._on_lock_requested)
        self.lock.sig_sent_off_requested.connect(self.open_sent_off)
        header.addWidget(self.lock)
        header.addSpacing(12)
        router_label = QLabel("Router:")
        router_label.setBuddy(self.router_picker)
        header.addWidget(router_label)
        header.addWidget(self.router_picker)

        self.messages = MessageList(self._widget_for_row, self._refill_widget)
        self.empty_state = EmptyState()
        self.empty_state.sig_action_requested.connect(lambda link: self.sig_action_requested.emit(link))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Problem")
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setContentsMargins(16, 6, 16, 6)
        self.banner.hide()
        self.deleted_bar = DeletedMessageBar()
        self.deleted_bar.sig_undo_requested.connect(self._restore)
        self.deleted_bar.sig_undo_available_changed.connect(self.sig_undo_available_changed)
        self.composer = Composer()
        self.composer.sig_send_requested.connect(self.send)
        self.composer.sig_stop_requested.connect(self.stop)
        self.composer.sig_edit_last_requested.connect(self.edit_last)
        # Picked or not, the next keys typed are a message, not a router's initial.
        self.router_picker.sig_popup_closed.connect(self.composer.focus_input)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.empty_state, 1)
        layout.addWidget(self.messages, 1)
        layout.addWidget(self.banner)
        deleted_box = QHBoxLayout()
        deleted_box.setContentsMargins(16, 4, 16, 0)
        deleted_box.addWidget(self.deleted_bar)
        layout.addLayout(deleted_box)
        composer_box = QHBoxLayout()
        composer_box.setContentsMargins(16, 6, 16, 12)
        composer_box.addWidget(self.composer)
        layout.addLayout(composer_box)
        self.coalescer.sig_flushed.connect(self._on_flushed)
        self._streaming: MessageWidget | None = None
        # Esc leaves an edit; enabled only while editing, so it never competes with the
        # window's Esc (Stop), which is enabled only while a reply streams.
        self.cancel_edit_action = QAction("Cancel edit", self)
        self.cancel_edit_action.setShortcut(QKeySequence("Esc"))
        self.cancel_edit_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.cancel_edit_action.setEnabled(False)
        self.cancel_edit_action.triggered.connect(self._cancel_edit)
        self.addAction(self.cancel_edit_action)
        self.reload_routers()  # shows the lock too
        self._show_empty(True)

    # ---- routers -----------------------------------------------------------------------

    def reload_routers(self) -> None:
        names = self.session.router_names()
        if self._router_name not in names:
            names.insert(0, self._router_name)
        self.router_picker.blockSignals(True)
        self.router_picker.clear()
        self.router_picker.addItems(names)
        self.router_picker.setCurrentText(self._router_name)
        self.router_picker.blockSignals(False)
        self.empty_state.show_router(self._router_name, bool(self.session.settings.providers))
        self.refresh_privacy()  # a router or "Lock new chats" may have changed

    def use_router(self, name: str) -> None:
        """Route this chat with ``name`` from now on (the router editor's "Use in this chat")."""
        self._router_name = name
        self.reload_routers()
        self._on_router_picked(name)

    def focus_router_picker(self) -> None:
        self.router_picker.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.router_picker.showPopup()

    def router_name(self) -> str:
        return self._router_name

    def _on_router_picked(self, name: str) -> None:
        if not name:
            return
        self._router_name = name
        self.empty_state.show_router(name, bool(self.session.settings.providers))
        if self.conversation_id is not None:
            self.session.conversations.set_router(self.conversation_id, name)
        self.refresh_privacy()  # the router says what a chat holding private data does
        self.refresh_meter()

    def _router(self) -> Router | None:
        try:
            return self.session.router(self._router_name)
        except RouterFormatError as error:
            self.show_problem(f"The router “{self._router_name}” cannot be used: {error}. "
                              "Pick another router above; your message is still in the box.")
            return None

    # ---- conversations -----------------------------------------------------------------

    def open_conversation(self, cid: int | None) -> None:
        """Show a chat (None: a fresh one, created when its first message is sent)."""
        if self.is_busy():
            self.stop()
        self._cancel_edit()
        self.hide_problem()
        row = self.session.conversations.get(cid) if cid is not None else None
        self.conversation_id = row.id if row else None
        self.title.setText(row.title if row else "New chat")
        self._router_name = (row.router if row and row.router else self.session.default_router_name())
        self.reload_routers()
        rows = self.session.conversations.messages(row.id) if row else []
        self.deleted_bar.dismiss()  # Undo belongs to the chat it was offered in
        self._newest_reply = _reply_to_last(rows)
        self.messages.show_messages(rows)
        self._show_empty(not rows)
        self._new_chat_lock = None
        self._new_chat_settings = None
        self.refresh_privacy()
        self.refresh_meter()
        if self.sent_off_view is not None:
            self.sent_off_view.show_chat(self.conversation_id)
        self.composer.focus_input()

    def new_chat(self) -> None:
        self.open_conversation(None)

    def _show_empty(self, empty: bool) -> None:
        self.empty_state.setVisible(empty)
        self.messages.setVisible(not empty)

    # ---- sending -------------------------------------------------------------------------

    def is_busy(self) -> bool:
        return self._runner.busy(REPLY)

    def send(self, text: str, images: list[ImagePart]) -> None:
        if self.is_busy() or not (text.strip() or images):
            return
        router = self._router()
        if router is None:
            self.composer.set_text(text)
            return
        self.hide_problem()
        self._unsent = (text, images)
        if self._editing is not None:
            self._resend_edit(text, router)
            return
        if self.conversation_id is None:
            try:
                self._create_chat(router)
            except Exception as error:  # the database refused: the message must survive
                self._not_saved(error, None)
                return
        cid = self.conversation_id
        assert cid is not None
        user = self._add_message("user", text)
        user.set_attachments([(f"{i.mime} · {format_bytes(len(i.data))}", _thumbnail(i)) for i in images])
        self._start(self.session.chat.send(cid, text, router, images), user)

    def _create_chat(self, router: Router) -> None:
        """The chat a first message creates, with the lock and settings chosen before it."""
        self.conversation_id = self._new_chat = self.session.chat.new_conversation(router)
        self._apply_new_chat_lock(self.conversation_id)
        if self._new_chat_settings is not None:
            self.session.conversations.set_chat_settings(self.conversation_id, self._new_chat_settings)
            self._new_chat_settings = None

    def _not_saved(self, error: BaseException, user: MessageWidget | None) -> None:
        """The message never reached the database: take its widgets down, drop the empty
        chat made for it, and put it back in the composer, saying why."""
        if user is not None and shiboken6.isValid(user):
            self.messages.remove_from(user)  # and the reply widget after it
        if self._new_chat is not None:
            try:
                self.session.conversations.delete(self._new_chat)
            except Exception:  # the database that refused the message refuses this too
                log.info("the empty chat %s made for an unsaved message stays", self._new_chat)
            if self.conversation_id == self._new_chat:
                self.conversation_id = None
            self._new_chat = None
        self._show_empty(self.messages.message_count() == 0)
        text, images = self._unsent
        self.composer.give_back(text, images)
        words = error_text(error) or "It could not be stored."
        self.show_problem(f"Your message was not saved: {words} It is back in the box below.")

    def stop(self) -> None:
        if self.conversation_id is not None:
            self.session.chat.stop(self.conversation_id)

    def regenerate(self, message_id: int | None = None) -> None:
        """Answer the last message again (Retry on a failed reply, or Regenerate)."""
        if self.is_busy() or self.conversation_id is None:
            return
        router = self._router()
        if router is None:
            return
        # The reply after your last message gains a version in place; with none there
        # (it was deleted), a new one is added.
        last = self.messages.last_widget("assistant")
        again = last if isinstance(last, MessageWidget) and last.message_id in (None, self._newest_reply) \
            else None
        self._start(self.session.chat.regenerate(self.conversation_id, router), None, again)

    def edit_last(self) -> None:
        user = self.messages.last_widget("user")
        if isinstance(user, MessageWidget) and user.message_id is not None and not self.is_busy():
            self.edit(user.message_id)

    def edit(self, message_id: int) -> None:
        widget = self.messages.widget_for(message_id)
        if not isinstance(widget, MessageWidget) or self.is_busy():
            return
        self._editing = widget
        self.cancel_edit_action.setEnabled(True)
        self.composer.set_text(widget.text())
        self.show_problem("Editing your message: Enter sends it again and replaces the replies "
                          "after it; Esc cancels.", kind="info")

    def _resend_edit(self, text: str, router: Router) -> None:
        assert self._editing is not None and self.conversation_id is not None
        message_id = self._editing.message_id
        assert message_id is not None  # only stored messages can be edited
        self.messages.remove_from(self._editing)
        self._editing = None
        self.cancel_edit_action.setEnabled(False)
        user = self._add_message("user", text, message_id)
        self._start(self.session.chat.edit_and_resend(self.conversation_id, message_id, text, router), user)

    def _cancel_edit(self) -> None:
        if self._editing is not None:
            self._editing = None
            self.cancel_edit_action.setEnabled(False)
            self.composer.clear()
            self.hide_problem()

    # ---- versions, Continue, deleting one message ----------------------------------------------

    def choose_version(self, message_id: int, number: int) -> None:
        """Show another version of a reply (‹ ›); it is what the next request sends."""
        try:
            row = self.session.conversations.choose_version(message_id, number)
        except StoreError as error:  # the database refused: the version shown stays
            self.show_problem(f"That version cannot be shown: {error_text(error)}")
            return
        widget = self.messages.widget_for(message_id)
        if isinstance(widget, MessageWidget):
            self._fill(widget, row)
        self.messages.replace_row(row)
        self.refresh_meter()

    def continue_reply(self, message_id: int) -> None:
        """Ask the model that wrote the newest reply to go on with it (Continue)."""
        if self.is_busy() or self.conversation_id is None:
            return
        router = self._router()
        reply = self.messages.widget_for(message_id)
        if router is None or not isinstance(reply, MessageWidget):
            return
        self.hide_problem()
        self._start(self.session.chat.continue_reply(self.conversation_id, message_id, router), None,
                    reply, continued=True)

    def delete_message(self, message_id: int) -> None:
        """Delete one message (yours takes its reply along) and offer Undo for a few seconds."""
        if self.is_busy() or self.conversation_id is None:
            return
        row = self.session.conversations.message(message_id)
        try:
            deleted = self.session.conversations.delete_message(message_id)
        except StoreError as error:  # the database refused: the message stays, on screen too
            self.show_problem(f"The message was not deleted: {error_text(error)}")
            return
        if row is None or deleted is None:
            return
        if self._editing is not None and self._editing.message_id in deleted.ids:
            self._cancel_edit()  # nothing left to send again
        for mid in deleted.ids:
            if (widget := self.messages.widget_for(mid)) is not None:
                self.messages.remove(widget)
        self._messages_changed()
        self.deleted_bar.show_for(deleted, deleted_words(row.role, len(deleted.ids), row.versions))
        self.composer.focus_input()

    def can_undo_delete(self) -> bool:
        return self.deleted_bar.can_undo()

    def undo_delete(self) -> None:
        """Bring back the message deleted last, while its Undo lasts (the window's Ctrl+Z)."""
        self.deleted_bar.undo()

    def _restore(self, deleted: DeletedMessages) -> None:
        try:
            self.session.conversations.restore(deleted)
        except StoreError as error:  # the chat was deleted meanwhile, or the database refused
            self.show_problem(f"The message cannot be brought back: {error_text(error)}")
            return
        if deleted.conversation_id == self.conversation_id:
            self._cancel_edit()  # its widget is rebuilt below
            self.messages.show_messages(self.session.conversations.messages(deleted.conversation_id))
            self._messages_changed()

    def _messages_changed(self) -> None:
        """After a deletion or its Undo: what the chat holds, and what can act on it."""
        assert self.conversation_id is not None
        rows = self.session.conversations.messages(self.conversation_id)
        self._newest_reply = _reply_to_last(rows)
        self._show_empty(not rows)
        self._sync_actions(busy=False)
        self.refresh_privacy()
        self.refresh_meter()

    def _sync_actions(self, busy: bool) -> None:
        """Each message's actions as they can act now: Regenerate, Retry and Continue on the
        newest reply only, and no editing or deleting while a reply is being written."""
        for widget in self._widgets():
            widget.set_chat_busy(busy)
            if widget.is_assistant:
                widget.set_latest(widget is self._streaming or widget.message_id == self._newest_reply)

    # ---- one reply -------------------------------------------------------------------------

    def _start(self, events: AsyncIterator[ChatEvent], user: MessageWidget | None,
               reply: MessageWidget | None = None, continued: bool = False) -> None:
        """Stream a reply into a new widget, or into ``reply``: written again (a new
        version), or ``continued`` with its text kept."""
        self.deleted_bar.dismiss()  # what is sent now was read without it: the deletion stands
        if reply is None:
            reply = self._add_message("assistant", "")
            self._newest_reply = None  # until the new reply is stored
        elif not continued:
            reply.set_text("")
        reply.set_status("streaming")
        if not continued:
            reply.set_badge("Routing…", "The router is choosing a model")
        self._streaming = reply
        self._stored = False  # until the first event: the message may not be in the database
        self.coalescer.reset(reply.text() if continued else "")
        self._sync_actions(busy=True)
        self.messages.follow()
        self.composer.set_busy(True)
        self.sig_busy_changed.emit(True)
        self._runner.run(REPLY, self._run(events, user, reply),
                         on_failure=lambda error: self._reply_broke(reply, user, error))

    async def _run(self, events: AsyncIterator[ChatEvent], user: MessageWidget | None,
                   reply: MessageWidget) -> None:
        cid = self.conversation_id
        try:
            async for event in events:
                self._stored = True  # send() and edit_and_resend() store the message first
                self._new_chat = None  # it holds a message now: not an empty chat to drop
                # The user may have opened another chat meanwhile: the reply still runs to
                # its end (and is stored), but its widgets are gone.
                if shiboken6.isValid(reply):
                    self._on_event(event, user if user is None or shiboken6.isValid(user) else None, reply)
        finally:
            self._streaming = None
            self._sync_actions(busy=False)
            self.composer.set_busy(False)
            self.sig_busy_changed.emit(False)
            if cid is not None:
                self.sig_conversations_changed.emit(cid)

    def _reply_broke(self, reply: MessageWidget, user: MessageWidget | None, error: BaseException) -> None:
        """Anything a reply raises ends it in words; the pane and the message survive."""
        self.coalescer.flush()
        if user is not None and not self._stored:
            self._not_saved(error, user)
            return
        words = error_text(error, "Something went wrong while answering:")
        if words and shiboken6.isValid(reply):
            reply.set_status("failed", f"{words} Your message is saved; press Retry.")

    def _on_event(self, event: ChatEvent, user: MessageWidget | None, reply: MessageWidget) -> None:
        if isinstance(event, Delta):
            self.coalescer.push(event.text)
        elif isinstance(event, Reading):
            reply.set_progress(f"Reading the conversation… {event.done:,} of {event.total:,} tokens")
        elif isinstance(event, Routed):
            if user is not None:
                user.set_message_id(event.user_message_id)
            reply.set_message_id(event.message_id)
            if event.conversation_id == self.conversation_id:  # not a chat left meanwhile
                self._newest_reply = event.message_id
            route = Route.of_decision(event.decision)
            reply.set_badge(badge_text(route), route_sentence(route))
        elif isinstance(event, Titled):
            if event.conversation_id == self.conversation_id:
                self.title.setText(event.title)
        elif isinstance(event, FallbackUsed):
            reply.set_badge(trying_badge(event.failed, event.next_target),
                            trying_sentence(event.failed, event.reason, event.next_target))
        elif isinstance(event, Done):
            self.coalescer.flush()
            self._fill(reply, event.message)
            self.messages.replace_row(event.message)
            self._after_reply()
            self.sig_reply_finished.emit(event)
        elif isinstance(event, Failed):
            self.coalescer.flush()
            if event.message is not None:
                self._fill(reply, event.message)
                self.messages.replace_row(event.message)
            reply.set_status("failed", event.reason, action_for(event.fix))
            self._after_reply()

    def _on_flushed(self, text: str) -> None:
        if self._streaming is not None and shiboken6.isValid(self._streaming):
            self._streaming.set_text(text)
            self.messages.settle()

    # ---- message widgets -------------------------------------------------------------------

    def _widgets(self) -> list[MessageWidget]:
        return [w for w in self.messages.message_widgets() if isinstance(w, MessageWidget)]

    def _add_message(self, role: str, text: str, message_id: int | None = None) -> MessageWidget:
        widget = self._new_widget(role, message_id)
        widget.set_text(text)
        self._show_empty(False)
        self.messages.append(widget)
        return widget

    def _new_widget(self, role: str, message_id: int | None) -> MessageWidget:
        widget = MessageWidget(role, message_id)
        widget.sig_retry_requested.connect(self.regenerate)
        widget.sig_regenerate_requested.connect(self.regenerate)
        widget.sig_edit_requested.connect(self.edit)
        widget.sig_trace_requested.connect(self.show_trace)
        widget.sig_action_requested.connect(self.sig_action_requested)
        widget.sig_continue_requested.connect(self.continue_reply)
        widget.sig_delete_requested.connect(self.delete_message)
        widget.sig_version_requested.connect(self.choose_version)
        return widget

    def _widget_for_row(self, row: MessageRow) -> MessageWidget:
        widget = self._new_widget(row.role, row.id)
        self._show_row(widget, row)
        return widget

    def _refill_widget(self, widget: QWidget, row: MessageRow) -> None:
        """A message scrolled out of view lends its widget to one coming into view."""
        assert isinstance(widget, MessageWidget)
        widget.reuse_for(row.id)
        self._show_row(widget, row)

    def _show_row(self, widget: MessageWidget, row: MessageRow) -> None:
        self._fill(widget, row)
        widget.set_latest(row.id == self._newest_reply)
        widget.set_chat_busy(self.is_busy())

    @staticmethod
    def _fill(widget: MessageWidget, row: MessageRow) -> None:
        widget.set_text(row.content)
        if row.attachments:
            widget.set_attachments([(f"{a.get('mime', 'file')} · {format_bytes(int(a.get('bytes', 0)))}", None)
                                    for a in row.attachments])
        if row.role != "assistant":
            return
        route = Route.of_message(row)
        widget.set_badge(badge_text(route), route_sentence(route))
        widget.set_stats(stats_text(row.target, row.tokens_out, row.latency_ms, row.ttft_ms, row.cost))
        widget.set_status(row.status, row.error)
        widget.set_versions(row.version, row.versions)

    def show_trace(self, message_id: int) -> None:
        row = self.session.conversations.message(message_id)
        if row is None:
            return
        question = self._question_of(row)
        router = self.session.router_or_none(self._router_name)
        teach = [(r.id, f"{r.label} → {r.route_to}") for r in router.rules if r.classified] \
            if router is not None and question else []
        dialog = RouteTraceDialog(row, self, teach=teach,
                                  on_teach=lambda rule_id: self._teach(rule_id, question))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget_dialog(dialog))
        dialog.finished.connect(lambda *_: self.composer.focus_input())
        self._trace_dialogs.append(dialog)
        dialog.show()

    def _question_of(self, reply: MessageRow) -> str:
        """The user's message a reply answered: the last one before it."""
        rows = self.session.conversations.messages(reply.conversation_id)
        before = [r for r in rows if r.id < reply.id and r.role == "user"]
        return before[-1].content if before else ""

    def _teach(self, rule_id: str, question: str) -> str:
        try:
            router = self.session.routers.add_example(self._router_name, rule_id, question)
        except (RouterFormatError, OSError) as exc:
            return f"Could not add the example: {exc}"
        rule = router.rule(rule_id)
        return (f"Added as an example of “{rule.label}” in the router “{router.name}” "
                f"({len(rule.examples)} examples now).")

    def _forget_dialog(self, dialog: RouteTraceDialog) -> None:
        if dialog in self._trace_dialogs:
            self._trace_dialogs.remove(dialog)

    # ---- context and chat settings -----------------------------------------------------------

    def refresh_meter(self) -> None:
        """Measure the open chat for the model that would answer it next (after opening a
        chat, each reply, a router or settings change)."""
        router = self.session.router_or_none(self._router_name)
        if self.conversation_id is None or router is None:
            self.meter.show_use(None)
            return
        self._runner.run(METER, self.session.chat.context_use(self.conversation_id, router),
                         on_success=self._show_use, on_failure=lambda _error: self.meter.show_use(None))

    def _show_use(self, use: ContextUse | None) -> None:
        self.meter.show_use(use)

    def chat_settings(self) -> ChatSettings:
        if self.conversation_id is None:
            return self._new_chat_settings or ChatSettings()
        return self.session.conversations.chat_settings(self.conversation_id)

    def open_chat_settings(self) -> None:
        dialog = ChatSettingsDialog(self.chat_settings(), self.session.settings.context_policy,
                                    self.session.routers.target_choices(), self)
        if dialog.exec() == QDialog.DialogCode.Accepted and (chosen := dialog.chosen()) is not None:
            self.apply_chat_settings(chosen)
        self.composer.focus_input()

    def apply_chat_settings(self, chosen: ChatSettings) -> None:
        """Keep the chat's settings (a new chat's until its first message creates it)."""
        if self.conversation_id is None:
            self._new_chat_settings = chosen
        else:
            self.session.conversations.set_chat_settings(self.conversation_id, chosen)
        self.refresh_meter()

    # ---- privacy ---------------------------------------------------------------------------

    def refresh_privacy(self) -> None:
        """Show the open chat's lock as the controller decides it now (after opening a chat,
        each reply, a router change and a lock change)."""
        if self.conversation_id is None:
            chosen = self._new_chat_lock
            self.lock.show_new_chat(self.session.settings.lock_new_chats if chosen is None else chosen)
            return
        router = self.session.router_or_none(self._router_name)
        if router is None:
            self.lock.set_usable(False, f"The router “{self._router_name}” cannot be read, so "
                                        "this chat's privacy cannot be shown. Pick another router.")
            return
        self.lock.show_privacy(self.session.chat.privacy(self.conversation_id, router))

    def _on_lock_requested(self, on: bool) -> None:
        cid = self.conversation_id
        if cid is None:  # applied when the first message creates the chat
            self._new_chat_lock = on
        elif on:
            self.session.chat.set_lock(cid, True)
        else:
            self._unlock(cid)
        self.refresh_privacy()

    def _unlock(self, cid: int) -> None:
        """A chat holding private data is unlocked only once the user agreed to what
        would be sent where; a chat the user locked with nothing private simply opens."""
        router = self.session.router_or_none(self._router_name)
        warning = self.session.chat.privacy(cid, router).unlock_warning if router else ""
        if not warning:
            self.session.chat.set_lock(cid, None)
        elif unlock_confirmation.confirm_unlock(self, warning):
            self.session.chat.set_lock(cid, False)

    def _apply_new_chat_lock(self, cid: int) -> None:
        if self._new_chat_lock is not None:  # new_conversation already applied the setting
            self.session.chat.set_lock(cid, True if self._new_chat_lock else None)
            self._new_chat_lock = None

    def _after_reply(self) -> None:
        self.refresh_privacy()  # the message just answered may have made the chat private
        self.refresh_meter()
        if self.sent_off_view is not None and self.sent_off_view.isVisible():
            self.sent_off_view.show_chat(self.conversation_id)  # the first reply created it

    def open_sent_off(self) -> None:
        """ "Sent off this computer", for this chat (View menu, or the header's link)."""
        if self.sent_off_view is None:
            self.sent_off_view = SentOffView(self.session.chat, self.session.conversations, self)
            self.sent_off_view.finished.connect(lambda *_: self.composer.focus_input())
        self.sent_off_view.show_chat(self.conversation_id)
        self.sent_off_view.show()
        self.sent_off_view.raise_()

    # ---- inline problems -----------------------------------------------------------------

    def show_problem(self, text: str, kind: str = "error") -> None:
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        self.banner.show()

    def hide_problem(self) -> None:
        self.banner.hide()


def _reply_to_last(rows: list[MessageRow]) -> int | None:
    """The reply after the chat's last message of yours, which Regenerate writes again."""
    last_user = max((i for i, row in enumerate(rows) if row.role == "user"), default=None)
    if last_user is None:
        return None
    return next((row.id for row in rows[last_user + 1:] if row.role == "assistant"), None)


def _thumbnail(image: ImagePart) -> QPixmap | None:
    pixmap = QPixmap()
    return pixmap if pixmap.loadFromData(image.data) else None
