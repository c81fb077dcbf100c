"""A paragraph of a reply: Markdown, with its math drawn and its block quotes barred.

Plain Markdown goes to Qt's own renderer, as before. A paragraph holding math or a block
quote is parsed by the same renderer into a ``QTextDocument`` first, changed there, and
handed to the label as HTML: each formula becomes an image (see ``math_render``), display
math gets a centred line of its own, and each block quote sits in a one-cell table whose
left border is the bar (Qt's rich text draws borders on table cells only). Colours come
from the palette, and a palette or font change draws the paragraph again.

Each formula stands in the Markdown as a placeholder and is put in its place after parsing,
so Markdown never sees LaTeX (it would turn ``\\,`` into ``,``). Formulas are drawn on a
background thread; until one is, and for good if it cannot be or is still open in a
streaming reply, its source is shown as written.

A formula in a heading is drawn at the heading's size (measured from the laid-out text);
display math in a list item gets a line of its own inside that item.

Copying a selection puts each formula's source on the clipboard (Qt's copy would give an
object-replacement character for each image).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QMimeData, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetrics,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
    QTextFormat,
    QTextFrameFormat,
    QTextImageFormat,
    QTextTableCellFormat,
    QTextTableFormat,
)
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from app.ui import theme
from app.ui.chat.math_render import MathImage, MathRequest, math_renderer
from app.ui.chat.math_spans import Math, split_math

_QUOTE_LINE = re.compile(r"(?m)^ {0,3}>")
_QUOTE_LEVEL = QTextFormat.Property.BlockQuoteLevel
_BAR_PX = 3
_BAR_GAP_PX = 10  # between the bar and the quoted text
_QUOTE_MARGIN_PX = 4  # before the bar
_OBJECT = "\ufffc"  # what Qt's copy gives for an image
_LINE_BREAKS = "\u2029\u2028\ufdd0\ufdd1"  # paragraph and line separators, table edges


def _placeholder(index: int) -> str:
    # Private-use characters: Markdown treats them as letters and leaves them alone.
    return f"\ue000{index}\ue001"


class ProseLabel(QLabel):
    """A word-wrapped, selectable label for one prose segment of a reply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._markdown = ""
        self._sources: dict[str, str] = {}  # formula image URL -> its LaTeX as written
        self._waiting: set[MathRequest] = set()  # formulas being drawn, shown as source meanwhile
        self._fit_width = 0  # the width formulas were last fitted to (0: not laid out yet)
        self._widest = 0.0  # the widest formula's natural width
        self._shrunk = False  # some formula was drawn narrower than natural to fit
        self._watching = False
        self._heights: dict[int, int] = {}  # width → height, for the text shown now
        self.setTextFormat(Qt.TextFormat.MarkdownText)
        self.setWordWrap(True)
        # Ignored: a word-wrapped label's minimum width is its longest word, and one long
        # URL would otherwise widen the whole chat. It still gets all the width there is.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def markdown(self) -> str:
        """The segment's Markdown as given (``text()`` is HTML once it holds math)."""
        return self._markdown

    def set_markdown(self, text: str) -> None:
        self._markdown = text
        self._render()

    def formula_count(self) -> int:
        """How many formulas are drawn as images (not shown as source)."""
        return len(self._sources)

    def drawing(self) -> bool:
        """Whether some formula is still being drawn (and shown as source meanwhile)."""
        return bool(self._waiting)

    # -- rendering -------------------------------------------------------------------------

    def _render(self) -> None:
        self._heights.clear()
        pieces = split_math(self._markdown)
        maths = [piece for piece in pieces if isinstance(piece, Math)]
        self._waiting.clear()
        self._sources = {}
        if not maths and not _QUOTE_LINE.search(self._markdown):
            self.setAccessibleName("")
            self.setTextFormat(Qt.TextFormat.MarkdownText)
            self.setText(self._markdown)
            return
        # Each formula stands in the Markdown as a placeholder Markdown leaves alone, and is
        # put in its place after parsing: as a picture, or as its source, typed as written.
        parts = iter(range(len(maths)))
        document = QTextDocument()
        document.setDefaultFont(self.font())
        document.setMarkdown("".join(piece if isinstance(piece, str) else _placeholder(next(parts))
                                     for piece in pieces))
        self._widest = 0.0
        self._shrunk = False
        for index, math in reversed(list(enumerate(maths))):
            cursor = document.find(_placeholder(index))
            if cursor.isNull():
                continue  # Markdown took it as part of a link's address or similar
            image = self._draw(math, _text_size(document, cursor)) if math.closed else None
            if image is None:
                cursor.insertText(math.source)
                continue
            self._sources[image.url] = math.source
            self._widest = max(self._widest, image.width)
            self._shrunk |= _insert_formula(cursor, math, image, self._fit_width)
        _bar_quotes(document, self._bar_color())
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setText(document.toHtml())
        # A screen reader would otherwise read each formula as an "object": it reads the
        # LaTeX instead, as a person reading the reply aloud would.
        spoken = _with_sources(document, 0, document.toRawText(), self._sources).strip()
        self.setAccessibleName(spoken if self._sources else "")

    def _draw(self, math: Math, text_size: tuple[int, int] | None) -> MathImage | None:
        if text_size is None:
            metrics = QFontMetrics(self.font())
            text_size = metrics.xHeight(), metrics.height()
        x_height, line_height = text_size
        request = MathRequest(math.latex.strip(), math.display, x_height, line_height + 2,
                              self.palette().color(self.foregroundRole()).name(),
                              self.devicePixelRatioF())
        renderer = math_renderer()
        if not self._watching:
            renderer.sig_drawn.connect(self._on_drawn)
            QGuiApplication.clipboard().dataChanged.connect(self._fix_copied_formulas)
            self._watching = True
        image, drawing = renderer.image(request)
        if drawing:
            self._waiting.add(request)
        return image

    def _on_drawn(self, request: MathRequest) -> None:
        if request in self._waiting:
            self._render()

    def _bar_color(self) -> QColor:
        palette = self.palette()
        return theme.mix(palette.color(QPalette.ColorRole.WindowText),
                         palette.color(QPalette.ColorRole.Window), 0.55)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # A formula wider than the chat would be cut off (it cannot wrap): it is shown
        # smaller instead, refitted when the width changes.
        width = self.contentsRect().width()
        if width == self._fit_width:
            return
        self._fit_width = width
        if self._shrunk or self._widest > width:
            self._render()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange) and self._markdown:
            self._render()

    # -- size --------------------------------------------------------------------------------
    # QLabel answers sizeHint, minimumSizeHint and heightForWidth each by laying its whole
    # document out again: three or four layouts of the paragraph per streamed update. Its
    # width is Ignored (the chat gives it the column), so only its height for a width
    # matters; that is found once per text and width.

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            if len(self._heights) >= 4:  # a resize drag asks at every width on its way
                self._heights.clear()
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def sizeHint(self) -> QSize:
        width = self.width() if self.testAttribute(Qt.WidgetAttribute.WA_Resized) else 480
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        # One line: the layout asks heightForWidth for the real height at its width.
        return QSize(0, self.fontMetrics().lineSpacing())

    # -- copying -----------------------------------------------------------------------------

    def copied_text(self) -> str:
        """The selection as plain text, each formula as its LaTeX source."""
        start, selected = self.selectionStart(), self.selectedText()
        if start < 0 or not selected:
            return ""
        document = QTextDocument()
        document.setHtml(self.text())
        return _with_sources(document, start, selected, self._sources)

    def _fix_copied_formulas(self) -> None:
        # Qt's own copy (Ctrl+C or the context menu) wrote the selection with U+FFFC for
        # each image; when that selection is ours, write it again with the sources.
        if not self._sources or not self.hasSelectedText():
            return
        clipboard = QGuiApplication.clipboard()
        copied = clipboard.mimeData()
        if copied is None or _OBJECT not in copied.text():
            return
        if copied.text().replace(_OBJECT, "") != _plain(self.selectedText()).replace(_OBJECT, ""):
            return  # another widget's copy
        fixed = QMimeData()
        fixed.setText(self.copied_text())
        if copied.hasHtml():
            fixed.setHtml(copied.html())
        clipboard.setMimeData(fixed)


def _with_sources(document: QTextDocument, start: int, text: str,
                  sources: dict[str, str]) -> str:
    """``text``, which stands at ``start`` in ``document``, as plain text with each formula
    image replaced by its LaTeX source."""
    cursor = QTextCursor(document)
    out: list[str] = []
    for offset, char in enumerate(text):
        if char == _OBJECT:
            cursor.setPosition(start + offset + 1)  # the format of the character before
            out.append(sources.get(cursor.charFormat().toImageFormat().name(), ""))
        elif char in _LINE_BREAKS:
            out.append("\n")
        elif char == "\u00a0":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


def _plain(selected: str) -> str:
    return selected.replace("\u2029", "\n").replace("\u2028", "\n").replace("\u00a0", " ")


def _text_size(document: QTextDocument, cursor: QTextCursor) -> tuple[int, int] | None:
    """The x-height and line height, in pixels, of the text where ``cursor`` stands: a
    formula in a heading is drawn as large as the heading."""
    block = cursor.block()
    document.documentLayout().blockBoundingRect(block)  # lays the block out
    # The placeholder's digits are in the text's own font (its private-use marks may not be).
    runs = block.layout().glyphRuns(cursor.selectionStart() + 1 - block.position(), 1)
    if not runs:
        return None
    font = runs[0].rawFont()
    return round(font.xHeight()), round(font.ascent() + font.descent())


def _insert_formula(cursor: QTextCursor, math: Math, image: MathImage, fit_width: int) -> bool:
    """Put ``image`` in place of the selected placeholder; True if it was shrunk to fit."""
    # Quoted text is indented by the bars before it (nested quotes have more than one).
    level = cursor.blockFormat().intProperty(_QUOTE_LEVEL)
    room = fit_width - level * (_QUOTE_MARGIN_PX + _BAR_PX + _BAR_GAP_PX)
    scale = min(1.0, room / image.width) if fit_width > 0 and room > 0 else 1.0
    fmt = QTextImageFormat()
    fmt.setName(image.url)
    fmt.setWidth(image.width * scale)
    fmt.setHeight(image.height * scale)
    fmt.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignBaseline if image.on_baseline
                             else QTextCharFormat.VerticalAlignment.AlignMiddle)
    around = cursor.charFormat()
    if around.isAnchor():  # a formula in a link's text is part of the link
        fmt.setAnchor(True)
        fmt.setAnchorHref(around.anchorHref())
    cursor.removeSelectedText()
    if not math.display:
        cursor.insertImage(fmt)
        return scale < 1.0
    if cursor.currentList() is not None:
        # A new paragraph in a list would be a new item: a line of its own instead.
        _trim_spaces(cursor, QTextCursor.MoveOperation.PreviousCharacter)
        if not cursor.atBlockStart():
            cursor.insertText("\u2028")
        cursor.insertImage(fmt)
        _trim_spaces(cursor, QTextCursor.MoveOperation.NextCharacter)
        if not cursor.atBlockEnd():
            cursor.insertText("\u2028")
        return scale < 1.0
    _trim_spaces(cursor, QTextCursor.MoveOperation.PreviousCharacter)
    if not cursor.atBlockStart():
        cursor.insertBlock()
    cursor.insertImage(fmt)
    line = QTextCursor(cursor.block())
    _trim_spaces(cursor, QTextCursor.MoveOperation.NextCharacter)
    if not cursor.atBlockEnd():
        cursor.insertBlock()
    centred = line.blockFormat()
    centred.setAlignment(Qt.AlignmentFlag.AlignHCenter)
    line.setBlockFormat(centred)
    return scale < 1.0


def _trim_spaces(cursor: QTextCursor, direction: QTextCursor.MoveOperation) -> None:
    # The spaces (or soft line break) between a display formula and the text around it
    # would start or end a line of their own.
    while True:
        probe = QTextCursor(cursor)
        if not probe.movePosition(direction, QTextCursor.MoveMode.KeepAnchor):
            return
        if probe.selectedText() not in (" ", "\u2028", "\t"):
            return
        probe.removeSelectedText()


def _bar_quotes(document: QTextDocument, color: QColor) -> None:
    """Each run of quoted blocks moved into a one-cell table with a left border."""
    for start, end in reversed(_quote_runs(document)):
        cursor = QTextCursor(document)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        inner = QTextDocument()
        inner.setDefaultFont(document.defaultFont())
        QTextCursor(inner).insertFragment(cursor.selection())
        _unquote_one_level(inner)
        _bar_quotes(inner, color)  # a quote inside the quote gets its own bar
        cursor.removeSelectedText()
        cursor.setBlockFormat(QTextBlockFormat())
        table = cursor.insertTable(1, 1, _quote_table_format())
        cell = table.cellAt(0, 0)
        cell.setFormat(_quote_cell_format(color))
        cell.firstCursorPosition().insertFragment(QTextDocumentFragment(inner))


def _quote_runs(document: QTextDocument) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    block = document.begin()
    while block.isValid():
        quoted = block.blockFormat().intProperty(_QUOTE_LEVEL) > 0
        if quoted and QTextCursor(block).currentTable() is None:
            end = block.position() + block.length() - 1
            if runs and runs[-1][1] + 1 == block.position():
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((block.position(), end))
        block = block.next()
    return runs


def _unquote_one_level(document: QTextDocument) -> None:
    # Qt's Markdown indents a quote by a fixed step per level on both sides; inside the bar
    # the padding stands for one level.
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        level = fmt.intProperty(_QUOTE_LEVEL)
        if level > 0:
            step = fmt.leftMargin() / level
            fmt.setLeftMargin(step * (level - 1))
            if level == 1:
                fmt.clearProperty(_QUOTE_LEVEL)
                fmt.setRightMargin(0)
            else:
                fmt.setProperty(_QUOTE_LEVEL, level - 1)
            QTextCursor(block).setBlockFormat(fmt)
        block = block.next()


def _quote_table_format() -> QTextTableFormat:
    fmt = QTextTableFormat()
    fmt.setBorder(0)
    fmt.setBorderCollapse(True)
    fmt.setCellSpacing(0)
    fmt.setCellPadding(0)
    fmt.setLeftMargin(_QUOTE_MARGIN_PX)
    fmt.setTopMargin(2)
    fmt.setBottomMargin(2)
    return fmt


def _quote_cell_format(color: QColor) -> QTextTableCellFormat:
    fmt = QTextTableCellFormat()
    fmt.setLeftBorder(_BAR_PX)
    fmt.setLeftBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
    fmt.setLeftBorderBrush(QBrush(color))
    fmt.setLeftPadding(_BAR_GAP_PX)
    return fmt
