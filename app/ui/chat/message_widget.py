"""One message in the chat: its text, attachments, status, route badge and actions.

The widget only shows state and emits what the user asked for; ``main_window.py`` wires
the signals to the controller. It sizes itself by height-for-width, so it belongs in a
``QVBoxLayout`` inside a ``QScrollArea`` with ``setWidgetResizable(True)``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeySequence,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.fixes import Fix
from app.ui import theme
from app.ui.chat.code_block import CodeBlock, CopyButton
from app.ui.chat.markdown import Segment, split_segments
from app.ui.chat.prose_label import ProseLabel
from app.ui.chat.version_switcher import VersionSwitcher

STATUSES = ("streaming", "complete", "incomplete", "failed")
_THUMBNAIL_PX = 96
_TYPING_FRAMES = ("·", "··", "···")
_TYPING_MS = 400


class _Panel(QFrame):
    """A rounded box whose colour is read from the palette each time it paints."""

    def __init__(self, color: Callable[[QPalette], QColor], parent: QWidget | None = None):
        super().__init__(parent)
        self.color = color

    def paintEvent(self, event: QPaintEvent) -> None:
        theme.paint_panel(self, self.color(self.palette()))


_ROUNDING_PX = 2  # font advances are rounded; without slack a fitting text gets "…"


class _ElidedButton(QToolButton):
    """A flat button whose text shortens with "…" rather than widen the chat."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._full_text = ""
        # QToolButton is Fixed by default, which would pin it to its full text's width.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_full_text(self, text: str) -> None:
        self._full_text = text
        self.setText(text)
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        metrics = self.fontMetrics()
        extra = metrics.horizontalAdvance(self._full_text) - metrics.horizontalAdvance(self.text())
        return QSize(hint.width() + extra + _ROUNDING_PX, hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = self.sizeHint()
        return QSize(min(hint.width(), 80), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        padding = super().sizeHint().width() - metrics.horizontalAdvance(self.text())
        available = self.width() - padding
        if metrics.horizontalAdvance(self._full_text) <= available:
            self.setText(self._full_text)  # elidedText may cut a text that fits, by rounding
        else:
            self.setText(metrics.elidedText(self._full_text, Qt.TextElideMode.ElideRight, available))


class _BubbleLabel(QLabel):
    """A user message's text: as wide as its longest line, up to a readable measure.

    A word-wrapped QLabel guesses a narrow width from its text's area, which wraps a
    one-line message into a column of words.
    """

    MAX_WIDTH_PX = 520

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        longest = max((metrics.horizontalAdvance(line) for line in self.text().splitlines()), default=0)
        width = min(longest + _ROUNDING_PX, self.MAX_WIDTH_PX)
        return QSize(width, self.heightForWidth(width))


def _wrapping_label(text_format: Qt.TextFormat) -> QLabel:
    label = QLabel()
    label.setTextFormat(text_format)
    label.setWordWrap(True)
    # Ignored: a word-wrapped label's minimum width is its longest word, and one long
    # URL would otherwise widen the whole chat. It still gets all the width there is.
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


def _prose_label() -> ProseLabel:
    label = ProseLabel()
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextBrowserInteraction
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setOpenExternalLinks(True)
    return label


def _flat_button(text: str, name: str, accessible_name: str, tooltip: str,
                 parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setObjectName(name)
    button.setAutoRaise(True)
    button.setAccessibleName(accessible_name)
    button.setToolTip(tooltip)
    return button


def _discard(widget: QWidget) -> None:
    # Hidden at once: deleteLater leaves it painted where it was until the event loop runs.
    widget.hide()
    widget.deleteLater()


class MessageWidget(QFrame):
    """A user message (plain text in a tinted bubble) or an assistant reply (Markdown)."""

    sig_retry_requested = Signal(int)
    """Retry a failed or incomplete reply. Argument: the message id (0: never stored)."""
    sig_regenerate_requested = Signal(int)
    """Write this assistant reply again. Argument: the message id."""
    sig_edit_requested = Signal(int)
    """Edit this user message and rerun. Argument: the message id."""
    sig_trace_requested = Signal(int)
    """Show the route receipt (the badge was clicked). Argument: the message id."""
    sig_action_requested = Signal(object)
    """Run an error's fix. Argument: the controller's ``Fix``."""
    sig_continue_requested = Signal(int)
    """Go on with this reply where it stopped or was cut off. Argument: the message id."""
    sig_delete_requested = Signal(int)
    """Delete this message (the chat offers Undo). Argument: the message id."""
    sig_version_requested = Signal(int, int)
    """Show another version of this reply. Arguments: the message id, the version's number."""

    def __init__(self, role: str, message_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if role not in ("user", "assistant"):
            raise ValueError(f"role must be 'user' or 'assistant', not {role!r}")
        self._role = role
        self._message_id = message_id
        self._text = ""
        self._status = "complete"
        self._segments: list[Segment] = []
        self._segment_widgets: list[QWidget] = []
        self._chips: list[QLabel] = []
        self._typing_frame = 0
        self._fix: Fix | None = None
        self._note = False  # complete, with a note: cut off at its length limit
        self._latest = True  # the chat's newest reply: Regenerate, Retry and Continue act on it
        self._chat_busy = False  # a reply is being written in this chat: edits and deletes wait
        self.setAccessibleName("Assistant message" if self.is_assistant else "Your message")

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 6)
        layout.setSpacing(4)
        self._attachments = QWidget()
        self._attachments_row = QHBoxLayout(self._attachments)
        self._attachments_row.setContentsMargins(0, 0, 0, 0)
        self._attachments.setMinimumWidth(1)  # many attachments squeeze; the chat keeps its width
        self._attachments.hide()
        self._build_badge(layout)
        layout.addWidget(self._attachments)
        self._build_body(layout)
        self._build_status(layout)
        self._build_footer(layout)

        self._apply_theme()
        self._sync_buttons()

    # -- construction ------------------------------------------------------------------

    def _build_body(self, layout: QVBoxLayout) -> None:
        if self.is_assistant:
            self._body = QWidget()
            self._segments_layout = QVBoxLayout(self._body)
            self._segments_layout.setContentsMargins(0, 0, 0, 0)
            self._segments_layout.setSpacing(8)
            layout.addWidget(self._body)
            self._typing = QLabel(_TYPING_FRAMES[-1])
            self._typing.setObjectName("typingIndicator")
            self._typing.setAccessibleName("Writing reply")
            self._typing.hide()
            self._typing_timer = QTimer(self)
            self._typing_timer.setInterval(_TYPING_MS)
            self._typing_timer.timeout.connect(self._next_typing_frame)
            layout.addWidget(self._typing)
            # "Reading the conversation… 1,800 of 3,900 tokens": before the first word of
            # a long chat, the local model's progress instead of a dot for minutes.
            self._progress = QLabel()
            self._progress.setObjectName("readingProgress")
            self._progress.setAccessibleName("Reading progress")
            self._progress.hide()
            layout.addWidget(self._progress)
            return
        self._bubble = _Panel(theme.user_bubble)
        # The label's size hint is a pleasant bubble width (at most ~80 characters); the
        # bubble never grows past it, and its explicit minimum stops a long word from
        # widening the chat (the label's own minimum would be that word).
        self._bubble.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        self._bubble.setMinimumWidth(1)
        self._user_label = _BubbleLabel()
        self._user_label.setTextFormat(Qt.TextFormat.PlainText)  # shown as typed, never markup
        self._user_label.setWordWrap(True)
        self._user_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        bubble_layout = QVBoxLayout(self._bubble)
        bubble_layout.setContentsMargins(12, 8, 12, 8)
        bubble_layout.addWidget(self._user_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self._bubble)
        layout.addLayout(row)

    def _build_status(self, layout: QVBoxLayout) -> None:
        self._status_box = _Panel(theme.error_background)
        self._status_box.setObjectName("statusBox")
        self._status_label = _wrapping_label(Qt.TextFormat.PlainText)
        self._status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._retry_button = QPushButton("Retry")
        self._retry_button.setObjectName("retryButton")
        self._retry_button.setToolTip("Try this reply again")
        self._retry_button.setAccessibleName("Retry")
        # Retry answers the chat's last message again: it needs no stored reply.
        self._retry_button.clicked.connect(lambda: self.sig_retry_requested.emit(self._message_id or 0))
        self._continue_button = QPushButton("Continue")
        self._continue_button.setObjectName("continueButton")
        self._continue_button.setToolTip("Ask the same model to go on with this reply where it stopped")
        self._continue_button.setAccessibleName("Continue reply")
        self._continue_button.clicked.connect(lambda: self._emit_id(self.sig_continue_requested))
        self._action_button = QPushButton()
        self._action_button.setObjectName("actionButton")
        self._action_button.clicked.connect(
            lambda: self.sig_action_requested.emit(self._fix))
        row = QHBoxLayout(self._status_box)
        row.setContentsMargins(12, 8, 8, 8)
        row.addWidget(self._status_label, 1)
        row.addWidget(self._action_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self._continue_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self._retry_button, 0, Qt.AlignmentFlag.AlignTop)
        self._status_box.hide()
        layout.addWidget(self._status_box)

    def _build_badge(self, layout: QVBoxLayout) -> None:
        # Above the reply, where the model is named first (it reads "Routing…" meanwhile).
        self._badge = _ElidedButton(self)
        self._badge.setObjectName("badgeButton")
        self._badge.setAutoRaise(True)
        self._badge.setCursor(Qt.CursorShape.PointingHandCursor)
        self._badge.setAccessibleName("Route")
        self._badge.setToolTip("Show how this reply was routed")
        self._badge.clicked.connect(lambda: self._emit_id(self.sig_trace_requested))
        self._badge.hide()
        if self.is_assistant:
            layout.addWidget(self._badge, 0, Qt.AlignmentFlag.AlignLeft)

    def _build_footer(self, layout: QVBoxLayout) -> None:
        self._stats = QLabel(self)
        self._stats.setObjectName("statsLabel")
        self._stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._stats.setMinimumWidth(1)  # clipped in a very narrow chat rather than widen it
        self._stats.hide()
        self._copy_button = CopyButton(lambda: self._text, "Copy message",
                                       "Copy the whole message", self)
        self._copy_button.setObjectName("copyMessageButton")
        self._edit_button = _flat_button("Edit", "editButton", "Edit message",
                                         "Edit this message and send it again", self)
        self._edit_button.clicked.connect(lambda: self._emit_id(self.sig_edit_requested))
        self._regenerate_button = _flat_button(
            "Regenerate", "regenerateButton", "Regenerate reply", "Write this reply again", self)
        self._regenerate_button.clicked.connect(
            lambda: self._emit_id(self.sig_regenerate_requested))
        self._versions = VersionSwitcher(self)
        self._versions.sig_version_requested.connect(self._on_version_requested)
        self._delete_button = _flat_button("Delete", "deleteMessageButton", "Delete message", "", self)
        self._delete_button.clicked.connect(lambda: self._emit_id(self.sig_delete_requested))
        # The Delete key on a message that has focus (its text was clicked or tabbed to).
        self._delete_action = QAction("Delete message", self)
        self._delete_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self._delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._delete_action.triggered.connect(lambda: self._emit_id(self.sig_delete_requested))
        self.addAction(self._delete_action)
        self._word_delete()
        row = QHBoxLayout()
        row.setSpacing(2)
        if self.is_assistant:
            self._edit_button.hide()
            row.addWidget(self._stats)
            row.addStretch(1)
            row.addWidget(self._versions)
            row.addWidget(self._copy_button)
            row.addWidget(self._regenerate_button)
        else:
            self._regenerate_button.hide()
            self._versions.hide()
            row.addStretch(1)
            row.addWidget(self._stats)
            row.addWidget(self._edit_button)
            row.addWidget(self._copy_button)
        row.addWidget(self._delete_button)
        layout.addLayout(row)

    # -- public API ----------------------------------------------------------------------

    @property
    def role(self) -> str:
        return self._role

    @property
    def is_assistant(self) -> bool:
        return self._role == "assistant"

    @property
    def message_id(self) -> int | None:
        return self._message_id

    def set_message_id(self, message_id: int) -> None:
        self._message_id = message_id
        self._sync_buttons()

    def reuse_for(self, message_id: int) -> None:
        """Become the widget of another stored message of the same role, to be filled with
        its text, attachments, badge, stats, status and versions (as a new widget is): what
        only some messages have is cleared here."""
        if self._chips or self._attachments.isVisibleTo(self):
            self.set_attachments([])
        self._fix = None
        self.set_message_id(message_id)

    @property
    def status(self) -> str:
        return self._status

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """Show ``text``; while streaming, call it with the whole reply so far.

        Only the segments that changed are touched, so earlier code blocks keep their
        widgets, selection and scroll position while the tail grows.
        """
        if text == self._text:
            return
        self._text = text
        if not self.is_assistant:
            self._user_label.setText(text)
        else:
            if self._progress.isVisibleTo(self):
                self._progress.hide()
                self._set_typing(self._status == "streaming")
            self._update_segments(split_segments(text))
            if self.isVisible():
                # Laid out now, not when the posted layout requests arrive: those would
                # have the window paint the grown paragraph twice.
                self._segments_layout.activate()
                self._layout.activate()
        self._sync_buttons()

    def set_progress(self, text: str | None) -> None:
        """Show what happens before the reply's first word; None hides it."""
        if not self.is_assistant:
            return
        self._progress.setText(text or "")
        showing = bool(text) and not self._text and self._status == "streaming"
        self._progress.setVisible(showing)
        self._set_typing(self._status == "streaming" and not showing)  # one sign of life, not two

    def segment_widgets(self) -> list[QWidget]:
        """The prose labels and :class:`CodeBlock` widgets of a reply, in order."""
        return list(self._segment_widgets)

    def set_badge(self, text: str | None, tooltip: str = "") -> None:
        """Show the route badge (assistant only); ``None`` hides it."""
        if not self.is_assistant:
            raise ValueError("only an assistant message has a route badge")
        self._badge.setVisible(bool(text))
        self._badge.set_full_text(text or "")
        self._badge.setToolTip(tooltip or "Show how this reply was routed")
        self._badge.setAccessibleName(f"Route: {text}" if text else "Route")
        self._badge.setAccessibleDescription(tooltip)

    def set_versions(self, version: int, count: int) -> None:
        """Version ``version`` of ``count`` of this reply is shown (‹ 2/3 › when more than one)."""
        self._versions.set_versions(version, count)
        self._word_delete()
        self._sync_buttons()

    def versions(self) -> tuple[int, int]:
        return self._versions.version(), self._versions.count()

    def set_latest(self, latest: bool) -> None:
        """Whether this is the chat's newest reply: only that one can be regenerated,
        retried or continued (each answers the chat's last message)."""
        self._latest = latest
        self._sync_buttons()

    def set_chat_busy(self, busy: bool) -> None:
        """A reply is being written in this chat: editing and deleting wait until it ends."""
        self._chat_busy = busy
        self._sync_buttons()

    def set_stats(self, text: str) -> None:
        self._stats.setText(text)
        self._stats.setVisible(bool(text))

    def set_status(self, status: str, error: str | None = None,
                   action: tuple[str, Fix] | None = None) -> None:
        """Show how the reply stands; see ``STATUSES``.

        ``error`` is shown as given, so it must already be in plain words. ``action`` is
        ``(label, fix)`` for a fix button, shown only with ``"failed"``.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        self._status = status
        self._note = status == "complete" and bool(error)
        self._set_typing(status == "streaming")
        if self.is_assistant and status != "streaming":
            self._progress.hide()
        # A complete reply with a note ended early on purpose: cut off at its length limit.
        problem = status in ("incomplete", "failed") or (status == "complete" and bool(error))
        if status == "incomplete":
            message = "Stopped — this reply is incomplete."
            self._status_box.color = theme.warning_background
        elif status == "complete":
            message = error or ""
            self._status_box.color = theme.warning_background
        else:
            message = error or "Something went wrong, and no reason was given."
            self._status_box.color = theme.error_background
        if problem:
            self._status_label.setText(message)
            self._status_box.setAccessibleName(message)
            self._status_box.update()
        self._status_box.setVisible(problem)
        show_action = status == "failed" and action is not None
        if action is not None and show_action:
            label, self._fix = action
            self._action_button.setText(label)
            self._action_button.setToolTip(label.rstrip("…."))
            self._action_button.setAccessibleName(label.rstrip("…."))
        self._action_button.setVisible(show_action)
        self.setAccessibleDescription(message if problem else "")
        self._sync_buttons()

    def set_attachments(self, items: list[tuple[str, QPixmap | None]]) -> None:
        """Show ``(label, thumbnail)`` pairs; without a thumbnail, a chip: a file icon and
        the label."""
        while (item := self._attachments_row.takeAt(0)) is not None:
            if (widget := item.widget()) is not None:
                _discard(widget)
        self._chips.clear()
        if not self.is_assistant:
            self._attachments_row.addStretch(1)
        for label, pixmap in items:
            self._attachments_row.addWidget(self._attachment(label, pixmap), 0,
                                            Qt.AlignmentFlag.AlignVCenter)
        if self.is_assistant:
            self._attachments_row.addStretch(1)
        self._attachments.setVisible(bool(items))
        self._apply_theme()

    # -- internals -----------------------------------------------------------------------

    def _update_segments(self, segments: list[Segment]) -> None:
        for index, segment in enumerate(segments):
            if index < len(self._segments):
                old = self._segments[index]
                if old == segment:
                    continue
                if old.kind == segment.kind:
                    self._fill(self._segment_widgets[index], segment)
                    continue
                self._segments_layout.removeWidget(self._segment_widgets[index])
                _discard(self._segment_widgets[index])
                self._segment_widgets[index] = self._new_segment_widget(segment)
            else:
                self._segment_widgets.append(self._new_segment_widget(segment))
            self._segments_layout.insertWidget(index, self._segment_widgets[index])
        for stale in self._segment_widgets[len(segments):]:
            self._segments_layout.removeWidget(stale)
            _discard(stale)
        del self._segment_widgets[len(segments):]
        self._segments = segments

    def _new_segment_widget(self, segment: Segment) -> QWidget:
        widget: QWidget = CodeBlock() if segment.kind == "code" else _prose_label()
        self._fill(widget, segment)
        return widget

    @staticmethod
    def _fill(widget: QWidget, segment: Segment) -> None:
        if isinstance(widget, CodeBlock):
            widget.set_code(segment.text, segment.lang, segment.closed)
        elif isinstance(widget, ProseLabel):
            widget.set_markdown(segment.text)

    def _attachment(self, label: str, pixmap: QPixmap | None) -> QWidget:
        if pixmap is not None and not pixmap.isNull():
            thumb = QLabel()
            if max(pixmap.width(), pixmap.height()) > _THUMBNAIL_PX:
                pixmap = pixmap.scaled(_THUMBNAIL_PX, _THUMBNAIL_PX,
                                       Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            thumb.setPixmap(pixmap)
            thumb.setToolTip(label)
            thumb.setAccessibleName(f"Attached image: {label}")
            return thumb
        chip = _Panel(theme.code_header_background)
        # The style's icon, not an emoji: a desktop without an emoji font draws "🖼" as a box.
        icon = QLabel()
        icon.setObjectName("attachmentIcon")
        size = self.fontMetrics().height()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
                       .pixmap(QSize(size, size), self.devicePixelRatioF()))
        text = QLabel(label)
        text.setAccessibleName(f"Attachment: {label}")
        self._chips.append(text)
        chip_layout = QHBoxLayout(chip)
        chip_layout.setContentsMargins(8, 3, 8, 3)
        chip_layout.setSpacing(4)
        chip_layout.addWidget(icon)
        chip_layout.addWidget(text)
        return chip

    def _emit_id(self, signal: SignalInstance) -> None:
        # The buttons that need an id are disabled until there is one (see _sync_buttons).
        if self._message_id is not None:
            signal.emit(self._message_id)

    def _on_version_requested(self, number: int) -> None:
        if self._message_id is not None:
            self.sig_version_requested.emit(self._message_id, number)

    def _word_delete(self) -> None:
        if not self.is_assistant:
            tip = "Delete this message and the reply to it (Delete key; Undo brings them back)"
        elif self._versions.count() > 1:
            tip = "Delete this reply with all its versions (Delete key; Undo brings it back)"
        else:
            tip = "Delete this reply (Delete key; Undo brings it back)"
        self._delete_button.setToolTip(tip)

    def _sync_buttons(self) -> None:
        """Each action shows only where it can act: nothing to copy or write again while a
        reply streams or when it failed empty, Edit only on a stored message of yours,
        Regenerate, Retry and Continue only on the chat's newest reply."""
        has_id = self._message_id is not None
        streaming = self._status == "streaming"
        settled = has_id and not streaming and not self._chat_busy
        problem = self._status in ("incomplete", "failed")
        newest = self.is_assistant and self._latest
        self._retry_button.setVisible(problem and newest)  # a note is not a failure to retry
        self._retry_button.setEnabled(not self._chat_busy)
        self._continue_button.setVisible(newest and has_id and bool(self._text) and (problem or self._note))
        self._continue_button.setEnabled(settled)
        self._regenerate_button.setVisible(newest and not streaming and not problem)  # Retry is there
        self._regenerate_button.setEnabled(settled)
        self._edit_button.setVisible(not self.is_assistant and has_id)
        self._edit_button.setEnabled(settled)
        self._delete_button.setVisible(has_id and not streaming)
        self._delete_button.setEnabled(settled)
        self._delete_action.setEnabled(settled)
        self._versions.setVisible(self.is_assistant and self._versions.count() > 1 and not streaming)
        self._badge.setEnabled(has_id)
        self._copy_button.setVisible(bool(self._text) and not streaming)
        self._copy_button.setEnabled(bool(self._text))

    def _set_typing(self, on: bool) -> None:
        if not self.is_assistant:
            return
        self._typing.setVisible(on)
        if on:
            self._typing_timer.start()
        else:
            self._typing_timer.stop()

    def _next_typing_frame(self) -> None:
        self._typing_frame = (self._typing_frame + 1) % len(_TYPING_FRAMES)
        self._typing.setText(_TYPING_FRAMES[self._typing_frame])

    def _apply_theme(self) -> None:
        muted = theme.muted_text(self.palette())
        quiet: list[QWidget] = [self._stats, self._badge, self._copy_button,
                                self._edit_button, self._regenerate_button, self._delete_button,
                                *self._chips]
        # Its parent palette may not have reached it yet during a palette change: pass ours.
        self._versions.set_text_colour(muted, self.palette().color(QPalette.ColorRole.Window))
        if self.is_assistant:
            quiet += [self._typing, self._progress]
        for widget in quiet:
            theme.set_foreground(widget, muted)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.is_assistant:
            theme.paint_panel(self, theme.assistant_background(self.palette()))
