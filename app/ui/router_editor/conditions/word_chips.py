"""Words as removable chips, with a line edit after them to type more.

Enter or a comma turns what was typed into a chip; Backspace in the empty edit removes
the last chip; each chip's × removes it. Text still in the edit counts as a word, so a
word typed and not yet confirmed is never lost when the rule is saved.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOptionFrame,
    QToolButton,
    QWidget,
)

from app.ui.router_editor.conditions.flow_layout import FlowLayout

PLACEHOLDER = "Type a word or phrase, then Enter"
_LINE_EDIT_MARGIN = 2  # QLineEdit's horizontalMargin: text never starts at the frame
_ROUNDING = 2  # whole-pixel advances round each glyph; the text laid out may run a little wider


class _Chip(QWidget):
    sig_remove_requested = Signal()

    def __init__(self, word: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.word = word
        self.setAccessibleName(f"Word “{word}”")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 1, 2, 1)
        layout.setSpacing(2)
        label = QLabel(word, self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(label)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("×")
        self.remove_button.setAutoRaise(True)
        self.remove_button.setAccessibleName(f"Remove “{word}”")
        self.remove_button.setToolTip(f"Remove “{word}”")
        self.remove_button.clicked.connect(self.sig_remove_requested)
        layout.addWidget(self.remove_button)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.brush(QPalette.ColorRole.AlternateBase))
        radius = rect.height() / 2
        painter.drawRoundedRect(rect, radius, radius)


class _WordEdit(QLineEdit):
    sig_commit = Signal()
    sig_backspace_when_empty = Signal()

    def fit_placeholder(self) -> None:
        """At least as wide as the placeholder: a clipped hint ("…then E…") says nothing.
        Measured the way QLineEdit lays out its text: the style's frame and margins
        around the text, plus the line edit's own two pixels a side."""
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        margins = self.textMargins()
        text = QSize(self.fontMetrics().horizontalAdvance(self.placeholderText()) + _ROUNDING
                     + 2 * _LINE_EDIT_MARGIN + margins.left() + margins.right(),
                     self.fontMetrics().height())
        size = self.style().sizeFromContents(QStyle.ContentsType.CT_LineEdit, option, text, self)
        self.setMinimumWidth(size.width())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit_placeholder()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Accepted here, so Enter adds a word instead of pressing a dialog's default button.
            self.sig_commit.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Backspace and not self.text() and not self.hasSelectedText():
            self.sig_backspace_when_empty.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class WordChips(QWidget):
    sig_changed = Signal()
    """The user added or removed a word, or typed in the edit."""
    sig_chips_changed = Signal()
    """A chip appeared or went: the controls to Tab through changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._chips: list[_Chip] = []
        self._flow = FlowLayout(self, spacing=4)
        self.edit = _WordEdit(self)
        self.edit.setAccessibleName("Add word")
        self.edit.setPlaceholderText(PLACEHOLDER)
        self.edit.fit_placeholder()
        self.edit.setClearButtonEnabled(False)
        self._flow.addWidget(self.edit)
        self.edit.sig_commit.connect(self._commit)
        self.edit.sig_backspace_when_empty.connect(self._remove_last)
        self.edit.textEdited.connect(self._on_text_edited)

    def words(self) -> list[str]:
        pending = self.edit.text().strip()
        return [chip.word for chip in self._chips] + ([pending] if pending else [])

    def set_words(self, words: list[str]) -> None:
        """Load ``words`` as they are (no signal): duplicates and spaces are kept."""
        for chip in self._chips:
            self._discard(chip)
        self._chips = []
        self.edit.clear()
        for word in words:
            self._add_chip(word)

    def focus_widgets(self) -> list[QWidget]:
        return [chip.remove_button for chip in self._chips] + [self.edit]

    def _add_chip(self, word: str) -> None:
        chip = _Chip(word, self)
        chip.sig_remove_requested.connect(lambda: self._remove(chip))
        self._flow.insertWidget(len(self._chips), chip)
        self._chips.append(chip)

    def _add_typed(self, texts: list[str]) -> bool:
        known = {chip.word for chip in self._chips}
        added = False
        for text in texts:
            word = text.strip()
            if word and word not in known:
                self._add_chip(word)
                known.add(word)
                added = True
        return added

    def _commit(self) -> None:
        text = self.edit.text()
        self.edit.clear()
        self._add_typed([text])
        self.sig_chips_changed.emit()
        self.sig_changed.emit()

    def _on_text_edited(self, text: str) -> None:
        if "," in text:
            *done, rest = text.split(",")
            self.edit.setText(rest.lstrip())
            if self._add_typed(done):
                self.sig_chips_changed.emit()
        self.sig_changed.emit()

    def _remove(self, chip: _Chip) -> None:
        index = self._chips.index(chip)
        had_focus = chip.remove_button.hasFocus()
        self._chips.remove(chip)
        self._discard(chip)
        if had_focus:  # keep the keyboard user near where they were
            following = self._chips[index].remove_button if index < len(self._chips) else self.edit
            following.setFocus()
        self.sig_chips_changed.emit()
        self.sig_changed.emit()

    def _remove_last(self) -> None:
        if self._chips:
            self._remove(self._chips[-1])

    def _discard(self, chip: _Chip) -> None:
        self._flow.removeWidget(chip)
        chip.hide()
        chip.deleteLater()  # may be inside its own button's clicked handler
