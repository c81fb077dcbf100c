"""The message composer: a growing text box, image attachments, and Send/Stop.

The widget shows state and forwards intent: it emits ``sig_send_requested`` with the text
and images, ``sig_stop_requested`` while a reply streams, and ``sig_edit_last_requested``
when Up is pressed in an empty composer. ``main_window.py`` connects them to the
controller; nothing here knows about models or conversations.

Layout (one rounded box, then the error line under it)::

    ┌──────────────────────────────────────────┐
    │ [thumb ×] [thumb ×]                      │  hidden while nothing is attached
    │ Message Switchboard — Enter to send, …   │  grows from 1 to 8 lines, then scrolls
    │ [Attach image…]                   [Send] │
    └──────────────────────────────────────────┘
     ⚠ notes.txt is not an image (PNG, JPEG, GIF or WebP)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QEvent,
    QIODevice,
    QMimeData,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAccessible,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QEnterEvent,
    QFocusEvent,
    QFontMetricsF,
    QIcon,
    QImage,
    QImageReader,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

try:  # Qt 6.8+; pyproject allows 6.7, where errors are shown but not announced
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # pragma: no cover - depends on the installed Qt
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc]

from app.core.byte_size import format_bytes
from app.core.providers.base import ImagePart
from app.ui.chat import image_attachment as attachments
from app.ui.chat.image_attachment import Attachment, AttachmentError

PLACEHOLDER = "Message Switchboard — Enter to send, Shift+Enter for a new line"

MIN_LINES = 1
MAX_LINES = 8
THUMBNAIL_SIDE = 56
_REMOVE_BUTTON_SIDE = 18
# More than this many refusals from one drop would push the chat off screen; the rest are
# counted instead of listed.
_MAX_ERROR_LINES = 3


def _local_files(mime: QMimeData) -> list[str]:
    """Paths of the local files a paste or drop carries; web links are not files."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def _image_from_mime(mime: QMimeData) -> QImage | None:
    data = mime.imageData()
    if isinstance(data, QImage):
        return data
    if isinstance(data, QPixmap):
        return data.toImage()
    return None


def _thumbnail_pixmap(data: bytes, side: int, ratio: float) -> QPixmap | None:
    """A ``side``×``side`` centre crop of the image, or None if Qt cannot decode it.

    Sniffing accepted the bytes already; a format this Qt build cannot decode still goes to
    the provider and only gets a placeholder here.
    """
    pixels = max(1, round(side * ratio))
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)  # phone photos are stored sideways with an EXIF turn
    full = reader.size()
    if full.isValid() and not full.isEmpty():
        # Decoders such as JPEG's can scale while decoding: a 6000 px photo never needs to
        # sit in memory at full size just to become a 112 px thumbnail.
        cover = full.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatioByExpanding)
        if cover.width() < full.width():
            reader.setScaledSize(cover)
    image = reader.read()
    buffer.close()
    if image.isNull():
        return None
    image = image.scaled(pixels, pixels, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                         Qt.TransformationMode.SmoothTransformation)
    image = image.copy((image.width() - pixels) // 2, (image.height() - pixels) // 2,
                       pixels, pixels)
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _paperclip_icon(colour: QColor, side: int = 16) -> QIcon:
    """A paper clip in ``colour``: QStyle has none, and most desktops outside Linux lack an
    icon theme to ask for one."""
    path = QPainterPath()
    # Nested U loops on a 24-unit grid, drawn upright and then turned 45 degrees.
    path.moveTo(15, 8)
    path.lineTo(15, 18)
    path.arcTo(QRectF(7, 14, 8, 8), 0, -180)
    path.lineTo(7, 6)
    path.arcTo(QRectF(7, 3, 6, 6), 180, -180)
    path.lineTo(13, 17)
    path.arcTo(QRectF(9, 15, 4, 4), 0, -180)
    path.lineTo(9, 8)
    icon = QIcon()
    for ratio in (1.0, 2.0):
        pixmap = QPixmap(round(side * ratio), round(side * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(side / 24, side / 24)
        painter.translate(12, 12)
        painter.rotate(45)
        painter.translate(-12, -12)
        painter.setPen(QPen(colour, 1.8, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawPath(path)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _rich_tooltip(*lines: str) -> str:
    # Tooltips guess rich text; a file named "<b>.png" must not turn into markup.
    return "<qt>" + "<br>".join(html.escape(line) for line in lines) + "</qt>"


@dataclass(slots=True)
class _Entry:
    attachment: Attachment
    thumbnail: QPixmap | None  # made once on attach, so rebuilding the row costs nothing


class _MessageInput(QPlainTextEdit):
    """Plain-text input that reports Enter, Up-when-empty and pasted or dropped images."""

    sig_submit_requested = Signal()
    """Enter without Shift."""
    sig_up_in_empty_requested = Signal()
    """Up with nothing typed."""
    sig_files_received = Signal(list)
    """list[str]: local file paths pasted or dropped onto the input."""
    sig_image_received = Signal(QImage)
    """Raw image data pasted or dropped onto the input."""
    sig_focus_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setPlaceholderText(PLACEHOLDER)
        # Tab must leave the box, or keyboard users are trapped in it.
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(2)
        # Setting the margin is itself an undo step: left there, an empty box would say it
        # has something to undo, and keep Ctrl+Z from the window (undo a deleted chat).
        self.document().clearUndoRedoStacks()
        # The plain-text layout reports its height in visual lines (wrapped lines
        # included), which is exactly what the 1-to-8-line growth needs.
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def line_count(self) -> int:
        return max(1, round(self.document().documentLayout().documentSize().height()))

    def height_for_lines(self, lines: int) -> int:
        margins = self.contentsMargins()
        viewport = self.viewportMargins()
        document_margin = self.document().documentMargin()
        # Lines are laid out with their leading, at fractional heights. QPlainTextEdit counts
        # a line as visible only if it ends at least margin + 1 px above the viewport's
        # bottom; one pixel less and it scrolls the first line out of sight.
        text = QFontMetricsF(self.font()).lineSpacing() * lines
        return (math.ceil(text + 2 * document_margin) + 1
                + margins.top() + margins.bottom() + viewport.top() + viewport.bottom())

    def _fit_height(self) -> None:
        lines = min(MAX_LINES, max(MIN_LINES, self.line_count()))
        height = self.height_for_lines(lines)
        if self.minimumHeight() != height or self.maximumHeight() != height:
            self.setFixedHeight(height)
        # Past the cap the box stops growing and scrolls instead.
        policy = (Qt.ScrollBarPolicy.ScrollBarAsNeeded if self.line_count() > MAX_LINES
                  else Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if self.verticalScrollBarPolicy() != policy:
            self.setVerticalScrollBarPolicy(policy)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                # A real paragraph break rather than Qt's default U+2028 line separator, so
                # the text reads the same as what set_text("a\nb") produces.
                self.textCursor().insertText("\n")
                self.ensureCursorVisible()
            else:
                self.sig_submit_requested.emit()
            event.accept()
            return
        if (key == Qt.Key.Key_Up and modifiers == Qt.KeyboardModifier.NoModifier
                and self.document().isEmpty()):
            self.sig_up_in_empty_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        if _local_files(source) or source.hasImage():
            return True
        return super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        # Used by paste and by drops onto the text, so both route the same way.
        files = _local_files(source)
        if files:
            self.sig_files_received.emit(files)
            return
        image = _image_from_mime(source)
        # Office suites put a picture of the copied text next to the text itself; a user
        # who copied a paragraph wants the paragraph.
        if image is not None and not source.hasText():
            self.sig_image_received.emit(image)
            return
        super().insertFromMimeData(source)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.sig_focus_changed.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.sig_focus_changed.emit(False)


class _Box(QFrame):
    """The rounded field around input, thumbnails and buttons; its edge shows focus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._focused = False
        self.setBackgroundRole(QPalette.ColorRole.Base)

    def set_focused(self, focused: bool) -> None:
        self._focused = focused
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        width = 2.0 if self._focused else 1.0
        edge = palette.color(QPalette.ColorRole.Highlight if self._focused
                             else QPalette.ColorRole.Mid)
        rect = QRectF(self.rect()).adjusted(width / 2, width / 2, -width / 2, -width / 2)
        painter.setPen(QPen(edge, width))
        painter.setBrush(palette.brush(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 8, 8)


class _RemoveButton(QAbstractButton):
    """The small round × in a thumbnail's corner, painted from the palette."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(_REMOVE_BUTTON_SIDE, _REMOVE_BUTTON_SIDE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def sizeHint(self) -> QSize:
        return QSize(_REMOVE_BUTTON_SIDE, _REMOVE_BUTTON_SIDE)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        hot = self.underMouse() or self.isDown() or self.hasFocus()
        fill = palette.color(QPalette.ColorRole.Highlight if hot else QPalette.ColorRole.Window)
        mark = palette.color(QPalette.ColorRole.HighlightedText if hot
                             else QPalette.ColorRole.WindowText)
        circle = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(fill)
        painter.drawEllipse(circle)
        if self.hasFocus():
            painter.setPen(QPen(palette.color(QPalette.ColorRole.HighlightedText), 1.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(circle.adjusted(1.5, 1.5, -1.5, -1.5))
        painter.setPen(QPen(mark, 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        centre = circle.center()
        arm = circle.width() * 0.2
        painter.drawLine(centre + QPointF(-arm, -arm), centre + QPointF(arm, arm))
        painter.drawLine(centre + QPointF(-arm, arm), centre + QPointF(arm, -arm))

    def enterEvent(self, event: QEnterEvent) -> None:
        super().enterEvent(event)
        self.update()

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self.update()


class _Thumbnail(QWidget):
    sig_remove_requested = Signal()

    def __init__(self, entry: _Entry, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = entry.thumbnail
        attachment = entry.attachment
        size = format_bytes(attachment.size)
        self.setFixedSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        self.setToolTip(_rich_tooltip(attachment.name, size))
        self.setAccessibleName(f"Image {number}: {attachment.name}")
        self.setAccessibleDescription(size)

        self.remove_button = _RemoveButton(self)
        self.remove_button.setAccessibleName(f"Remove image {number}")
        self.remove_button.setToolTip(_rich_tooltip(f"Remove {attachment.name}"))
        self.remove_button.move(THUMBNAIL_SIDE - _REMOVE_BUTTON_SIDE - 2, 2)
        self.remove_button.clicked.connect(self.sig_remove_requested)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        path = QPainterPath()
        path.addRoundedRect(rect, 6, 6)
        painter.save()
        painter.setClipPath(path)
        if self._pixmap is not None:
            painter.drawPixmap(self.rect(), self._pixmap)
        else:
            painter.fillRect(self.rect(), palette.brush(QPalette.ColorRole.AlternateBase))
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
            icon.paint(painter, self.rect().adjusted(14, 14, -14, -14))
        painter.restore()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)


class Composer(QWidget):
    """Where the user writes a message and attaches images."""

    sig_send_requested = Signal(str, list)
    """(text, images): the stripped text and a list[ImagePart]; the composer has cleared."""
    sig_stop_requested = Signal()
    """Stop pressed, or Esc, while a reply streams."""
    sig_edit_last_requested = Signal()
    """Up pressed in an empty composer: put my last message back here to edit it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._busy = False
        self._entries: list[_Entry] = []
        self._sent: list[_Entry] = []  # the images last sent, so give_back() keeps their names
        self._thumbnails: list[_Thumbnail] = []
        self._last_dialog_dir = ""

        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Message composer")

        self._box = _Box(self)
        box_layout = QVBoxLayout(self._box)
        box_layout.setContentsMargins(10, 8, 8, 8)
        box_layout.setSpacing(6)

        self._thumbnail_row = QWidget(self._box)
        self._thumbnail_row.setObjectName("composer_thumbnails")
        self._thumbnail_row.setAccessibleName("Attached images")
        self._thumbnail_layout = QHBoxLayout(self._thumbnail_row)
        self._thumbnail_layout.setContentsMargins(0, 0, 0, 0)
        self._thumbnail_layout.setSpacing(8)
        self._thumbnail_layout.addStretch(1)
        self._thumbnail_row.hide()
        box_layout.addWidget(self._thumbnail_row)

        self._input = _MessageInput(self._box)
        self._input.setObjectName("composer_input")
        self._input.setAccessibleName("Message")
        self._input.setAccessibleDescription(
            "Enter sends, Shift+Enter starts a new line, Up in an empty box edits your"
            " last message")
        box_layout.addWidget(self._input)

        self._attach_button = QToolButton(self._box)
        self._attach_button.setObjectName("composer_attach")
        self._attach_button.setText("Attach image…")
        self._update_attach_icon()
        self._attach_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._attach_button.setAutoRaise(True)
        self._attach_button.setAccessibleName("Attach image")
        self._attach_button.setToolTip(
            f"Attach up to {attachments.MAX_IMAGES} images ({attachments.ACCEPTED_FORMATS}),"
            f" {format_bytes(attachments.MAX_IMAGE_BYTES)} each."
            " You can also paste or drop them here.")
        self._attach_button.clicked.connect(self._choose_files)

        self._send_button = QPushButton("Send", self._box)
        self._send_button.setObjectName("composer_send")
        self._send_button.setDefault(True)
        self._send_button.clicked.connect(self._on_send_button)
        # As wide as its widest label, so turning into Stop does not shift the layout.
        widths: list[int] = []
        for label in ("Send", "Stop"):
            self._send_button.setText(label)
            widths.append(self._send_button.sizeHint().width())
        self._send_button.setMinimumWidth(max(widths))

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self._attach_button)
        buttons.addStretch(1)
        buttons.addWidget(self._send_button)
        box_layout.addLayout(buttons)

        self._error_row = QWidget(self)
        error_layout = QHBoxLayout(self._error_row)
        error_layout.setContentsMargins(4, 0, 4, 0)
        error_layout.setSpacing(6)
        self._error_icon = QLabel(self._error_row)
        self._error_icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self._error_label = QLabel(self._error_row)
        self._error_label.setObjectName("composer_error")
        # File names are user data: never let one be read as markup.
        self._error_label.setTextFormat(Qt.TextFormat.PlainText)
        self._error_label.setWordWrap(True)
        self._error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_layout.addWidget(self._error_icon, 0, Qt.AlignmentFlag.AlignTop)
        error_layout.addWidget(self._error_label, 1)
        self._error_row.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._box)
        layout.addWidget(self._error_row)

        self.setFocusProxy(self._input)
        self._input.sig_submit_requested.connect(self._on_submit)
        self._input.sig_up_in_empty_requested.connect(self._on_up_in_empty)
        self._input.sig_files_received.connect(self.attach_files)
        self._input.sig_image_received.connect(self.attach_image)
        self._input.sig_focus_changed.connect(self._box.set_focused)
        self._input.textChanged.connect(self._update_send_button)
        self._update_send_button()

    # -- public API ---------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While a reply streams, Send becomes Stop, Enter does not send and Esc stops."""
        self._busy = busy
        self._update_send_button()

    def is_busy(self) -> bool:
        return self._busy

    def text(self) -> str:
        return self._input.toPlainText()

    def set_text(self, text: str) -> None:
        self._input.setPlainText(text)
        self._input.moveCursor(QTextCursor.MoveOperation.End)
        self.focus_input()

    def images(self) -> list[ImagePart]:
        return [entry.attachment.part for entry in self._entries]

    def attach_files(self, paths: list[str]) -> None:
        """Attach image files (file dialog, drop, pasted file URLs); refusals show inline."""
        if not paths:
            return
        errors: list[str] = []
        left_out: list[str] = []
        added = 0
        for path in paths:
            if len(self._entries) >= attachments.MAX_IMAGES:
                left_out.append(path)
                continue
            try:
                self._add(attachments.read_image_file(path))
            except AttachmentError as error:
                errors.append(str(error))
                continue
            added += 1
        if left_out:
            errors.append(self._too_many_message(left_out))
        self._after_attach(added, errors)

    def attach_image(self, image: QImage) -> None:
        """Attach an image that arrived as pixels (a paste), stored as PNG."""
        if len(self._entries) >= attachments.MAX_IMAGES:
            self._after_attach(0, [self._too_many_message([attachments.PASTED_IMAGE_NAME])])
            return
        try:
            self._add(attachments.attachment_from_qimage(image))
        except AttachmentError as error:
            self._after_attach(0, [str(error)])
            return
        self._after_attach(1, [])

    def clear(self) -> None:
        self._input.clear()
        # What was sent is in the chat now: Ctrl+Z in the empty box is the window's again.
        self._input.document().clearUndoRedoStacks()
        self._entries.clear()
        self._rebuild_thumbnails()
        self._show_errors([])
        self._update_send_button()

    def focus_input(self) -> None:
        self._input.setFocus(Qt.FocusReason.OtherFocusReason)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The drawn clip must follow light/dark switches. The check is for a palette change
        # that arrives from a parent while __init__ is still building the children.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_attach_button"):
            self._update_attach_icon()

    def _update_attach_icon(self) -> None:
        icon = QIcon.fromTheme(QIcon.ThemeIcon.MailAttachment)
        if icon.isNull():
            icon = _paperclip_icon(self.palette().color(QPalette.ColorRole.ButtonText))
        self._attach_button.setIcon(icon)

    # -- sending and stopping -------------------------------------------------------------

    def _on_submit(self) -> None:
        if self._busy:
            return  # Enter must not queue a second message behind a streaming reply
        text = self._input.toPlainText().strip()
        images = self.images()
        if not text and not images:
            return
        # Clear before emitting: a handler that puts text back (say, after refusing to
        # send) must not have it wiped afterwards.
        self._sent = list(self._entries)
        self.clear()
        self.sig_send_requested.emit(text, images)

    def give_back(self, text: str, images: list[ImagePart]) -> None:
        """Put a message back in the box, its text and images: the app could not store
        it, and what the user wrote must not be lost. Anything typed since stays, after it."""
        typed = self.text().strip()
        self.set_text(f"{text}\n\n{typed}" if typed and text else text or typed)
        sent = {id(entry.attachment.part): entry for entry in self._sent}
        returned = [sent.get(id(part)) or _Entry(Attachment(f"Image {n}", part), _thumbnail_pixmap(
            part.data, THUMBNAIL_SIDE, self.devicePixelRatioF())) for n, part in enumerate(images, 1)]
        self._entries = [*returned, *self._entries][:attachments.MAX_IMAGES]
        self._rebuild_thumbnails()
        self._update_send_button()

    def _on_send_button(self) -> None:
        if self._busy:
            self.sig_stop_requested.emit()
        else:
            self._on_submit()
        self.focus_input()

    def _on_up_in_empty(self) -> None:
        # Images count as content: Up must not swap a prepared message for an old one. While
        # a reply streams, the last message is the one being answered, so it is not editable.
        if not self._entries and not self._busy:
            self.sig_edit_last_requested.emit()

    def _update_send_button(self) -> None:
        button = self._send_button
        if self._busy:
            button.setText("Stop")
            button.setAccessibleName("Stop reply")
            button.setToolTip("Stop the reply (Esc)")
            button.setEnabled(True)
        else:
            button.setText("Send")
            button.setAccessibleName("Send message")
            button.setToolTip("Send the message (Enter)")
            button.setEnabled(bool(self._input.toPlainText().strip() or self._entries))

    def event(self, event: QEvent) -> bool:
        # Claim Esc while busy, so a window-wide Esc shortcut does not take it first.
        if (event.type() == QEvent.Type.ShortcutOverride and self._busy
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Reached from the input and the buttons alike: none of them handles Esc itself.
        if event.key() == Qt.Key.Key_Escape and self._busy:
            self.sig_stop_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- attachments ----------------------------------------------------------------------

    def _choose_files(self) -> None:
        """The one place the file dialog opens; tests call ``attach_files`` instead."""
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Attach images", self._last_dialog_dir, attachments.FILE_DIALOG_FILTER)
        if paths:
            self._last_dialog_dir = str(Path(paths[0]).parent)
            self.attach_files(paths)
        self.focus_input()

    def _add(self, attachment: Attachment) -> None:
        thumbnail = _thumbnail_pixmap(attachment.part.data, THUMBNAIL_SIDE,
                                      self.devicePixelRatioF())
        decodable = attachment.part.mime.encode() in {
            bytes(mime.data()) for mime in QImageReader.supportedMimeTypes()}
        if thumbnail is None and decodable:
            # Right magic number, broken body (a truncated download, say). Qt reads this
            # format, so the provider would fail on it too, only later and less clearly.
            raise AttachmentError(
                f"{attachment.name} could not be read as an image; the file may be damaged")
        self._entries.append(_Entry(attachment, thumbnail))

    def _remove(self, index: int) -> None:
        if not 0 <= index < len(self._entries):
            return
        del self._entries[index]
        self._show_errors([])
        self._rebuild_thumbnails()
        self._update_send_button()
        # The pressed button is gone; keep a keyboard user near where they were.
        if self._thumbnails:
            self._thumbnails[min(index, len(self._thumbnails) - 1)].remove_button.setFocus()
        else:
            self.focus_input()

    def _rebuild_thumbnails(self) -> None:
        for thumbnail in self._thumbnails:
            self._thumbnail_layout.removeWidget(thumbnail)
            thumbnail.hide()
            # Later, not now: this may run inside the clicked() of a button it owns.
            thumbnail.deleteLater()
        self._thumbnails = []
        for index, entry in enumerate(self._entries):
            thumbnail = _Thumbnail(entry, index + 1, self._thumbnail_row)
            thumbnail.sig_remove_requested.connect(
                lambda index=index: self._remove(index))
            self._thumbnail_layout.insertWidget(index, thumbnail)
            # A layout shows a new child of a visible parent only on the next event-loop
            # pass; show it now so the row and its buttons are right when this returns.
            thumbnail.show()
            self._thumbnails.append(thumbnail)
        self._thumbnail_row.setVisible(bool(self._entries))
        # Tab order follows the row left to right, then into the text.
        previous: QWidget | None = None
        for thumbnail in self._thumbnails:
            if previous is not None:
                QWidget.setTabOrder(previous, thumbnail.remove_button)
            previous = thumbnail.remove_button
        if previous is not None:
            QWidget.setTabOrder(previous, self._input)

    def _after_attach(self, added: int, errors: list[str]) -> None:
        if added:
            self._rebuild_thumbnails()
            self._update_send_button()
        if errors or added:
            self._show_errors(errors)

    @staticmethod
    def _too_many_message(left_out: list[str]) -> str:
        limit = attachments.MAX_IMAGES
        if len(left_out) == 1:
            name = Path(left_out[0]).name or left_out[0]
            return f"{name} was not added: a message can carry at most {limit} images"
        return f"{len(left_out)} files were not added: a message can carry at most {limit} images"

    def _show_errors(self, errors: list[str]) -> None:
        if not errors:
            self._error_label.clear()
            self._error_row.hide()
            return
        lines = errors[:_MAX_ERROR_LINES]
        if len(errors) > _MAX_ERROR_LINES:
            lines[-1] = f"{len(errors) - _MAX_ERROR_LINES + 1} more files were not added"
        message = "\n".join(lines)
        self._error_label.setText(message)
        self._error_label.setAccessibleName(message)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        side = self._error_label.fontMetrics().height()
        self._error_icon.setPixmap(icon.pixmap(QSize(side, side), self.devicePixelRatioF()))
        self._error_row.show()
        # A sighted user sees the line appear; a screen-reader user would not notice it.
        if QAccessibleAnnouncementEvent is not None:
            announcement = QAccessibleAnnouncementEvent(self._error_label, message)
            QAccessible.updateAccessibility(announcement)

    # -- drag and drop onto the composer's frame, buttons and thumbnails ------------------

    @staticmethod
    def _carries_images(mime: QMimeData) -> bool:
        return bool(_local_files(mime)) or mime.hasImage()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._carries_images(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._carries_images(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = _local_files(mime)
        image = None if files else _image_from_mime(mime)
        if not files and image is None:
            event.ignore()
            return
        event.acceptProposedAction()
        if files:
            self.attach_files(files)
        elif image is not None:
            self.attach_image(image)
        self.focus_input()
