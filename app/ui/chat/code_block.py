"""One fenced code block in a reply: a header with the language and Copy, then the code."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QFontDatabase,
    QGuiApplication,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStyle,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import theme
from app.ui.chat.markdown import highlight

_RADIUS = 6.0
_COPIED_MS = 1500


class CopyButton(QToolButton):
    """A flat "Copy" button that puts ``text()`` on the clipboard and says so briefly."""

    def __init__(self, text: Callable[[], str], accessible_name: str, tooltip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self.setText("Copy")
        self.setAutoRaise(True)
        self.setToolTip(tooltip)
        self.setAccessibleName(accessible_name)
        # Wide enough for "Copied" as well, so nothing beside it shifts when it flips.
        metrics = self.fontMetrics()
        self.setMinimumWidth(self.sizeHint().width() + metrics.horizontalAdvance("Copied")
                             - metrics.horizontalAdvance("Copy"))
        self._restore = QTimer(self)  # owned by the button, so it dies with it
        self._restore.setSingleShot(True)
        self._restore.setInterval(_COPIED_MS)
        self._restore.timeout.connect(lambda: self.setText("Copy"))
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._text())
        self.setText("Copied")
        self._restore.start()


class _CodeView(QTextEdit):
    """Read-only code that scrolls sideways and is always exactly as tall as its lines.

    Long lines scroll inside the block instead of widening the chat. The vertical scroll
    bar is off and the height is fixed to the content, so the chat's own scroll area is
    the only vertical one (and wheel events reach it: an unscrollable bar ignores them).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # The block paints its own rounded background behind the view.
        self.viewport().setAutoFillBackground(False)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.document().setDocumentMargin(10)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTabChangesFocus(True)  # Tab leaves the block; it never inserts anything

    def fit_height(self) -> None:
        doc = self.document()
        height = round(doc.size().height()) + 2 * self.frameWidth()
        bar = self.horizontalScrollBar()
        overlays = self.style().styleHint(QStyle.StyleHint.SH_ScrollBar_Transient, None, bar)
        if not overlays and doc.idealWidth() > self.width() - 2 * self.frameWidth():
            height += bar.sizeHint().height()
        if height != self.height():
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:
        # QTextEdit's default hint is 256 px wide; the chat decides the width.
        return QSize(0, self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Whether the horizontal bar shows depends on the width.
        self.fit_height()


class CodeBlock(QFrame):
    """A syntax-coloured, selectable code block with a Copy button."""

    def __init__(self, code: str = "", lang: str = "", closed: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._code = ""
        self._lang = ""
        self._closed = True
        self._rendered = False
        self._coloured_upto = 0  # code[:this] is fully coloured; the rest is plain text
        self._dark = theme.is_dark(self.palette())

        self._lang_label = QLabel()
        self._copy_button = CopyButton(lambda: self._code, "Copy code", "Copy this code")
        self._copy_button.setObjectName("copyCodeButton")

        self._header = QWidget()
        header = QHBoxLayout(self._header)
        header.setContentsMargins(10, 2, 4, 2)
        header.addWidget(self._lang_label)
        header.addStretch(1)
        header.addWidget(self._copy_button)

        self._view = _CodeView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header)
        layout.addWidget(self._view)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self._apply_theme()
        self.set_code(code, lang, closed)

    @property
    def code(self) -> str:
        return self._code

    @property
    def lang(self) -> str:
        return self._lang

    @property
    def closed(self) -> bool:
        """False while the fence is still open (the reply is streaming or was stopped)."""
        return self._closed

    def set_code(self, code: str, lang: str = "", closed: bool = True) -> None:
        """Show ``code``; an open block that only grew is updated at its end."""
        if self._rendered and (code, lang, closed) == (self._code, self._lang, self._closed):
            return
        grew = (self._rendered and not closed and lang == self._lang
                and code.startswith(self._code))
        shown = len(self._code)
        self._code, self._lang, self._closed = code, lang, closed
        self._lang_label.setText(lang or "code")
        self.setAccessibleName(f"{lang} code" if lang else "Code")
        if grew:
            self._append(shown)
        else:
            self._render()

    def _render(self) -> None:
        self._view.setHtml(self._pre(highlight(self._code, self._lang, self._dark)))
        if self._code.endswith("\n"):
            # Qt drops a <pre>'s last newline; keep it, or the text and code would differ.
            end = QTextCursor(self._view.document())
            end.movePosition(QTextCursor.MoveOperation.End)
            end.insertText("\n", QTextCharFormat())
        self._coloured_upto = self._code.rfind("\n") + 1
        self._view.fit_height()
        self._rendered = True

    def _append(self, shown: int) -> None:
        """Extend a streaming block without re-colouring what is already there.

        Colouring the whole block on every token grows with its length (milliseconds for
        a few hundred characters). Instead each line is coloured once it is complete, on
        its own, and the unfinished last line is plain text. A line coloured on its own can
        be wrong inside a multi-line string or comment; the block is coloured as a whole
        again when its fence closes.
        """
        code = self._code
        lines_end = code.rfind("\n") + 1
        # The document's plain text is exactly the code, so a character offset in the code
        # is also a cursor position in the document.
        cursor = QTextCursor(self._view.document())
        if lines_end > self._coloured_upto:
            cursor.setPosition(self._coloured_upto)
            cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
            lines = code[self._coloured_upto:lines_end - 1]
            if lines:
                cursor.insertHtml(self._pre(highlight(lines, self._lang, self._dark)))
            cursor.insertText("\n" + code[lines_end:], QTextCharFormat())
            self._coloured_upto = lines_end
        else:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(code[shown:], QTextCharFormat())
        self._view.fit_height()

    def _pre(self, body: str) -> str:
        family = html.escape(self._view.font().family())
        return f'<pre style="margin:0; font-family:\'{family}\'">{body}</pre>'

    def _apply_theme(self) -> None:
        palette = self.palette()
        theme.set_foreground(self._lang_label, theme.muted_text(palette))
        theme.set_foreground(self._copy_button, theme.muted_text(palette))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
            dark = theme.is_dark(self.palette())
            if dark != self._dark:
                self._dark = dark
                self._render()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        outline = QPainterPath()
        outline.addRoundedRect(QRectF(self.rect()), _RADIUS, _RADIUS)
        painter.fillPath(outline, theme.code_background(palette))
        painter.setClipPath(outline)
        painter.fillRect(self._header.geometry(), theme.code_header_background(palette))
        painter.end()
