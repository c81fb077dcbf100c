"""Math and block quotes in a reply: drawn, coloured from the palette, copied as source,
never mistaken for prices or code, and never broken by a reply cut mid-formula."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLayout, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.ui.chat.code_block import CodeBlock
from app.ui.chat.math_render import render_math, too_complex
from app.ui.chat.message_widget import MessageWidget
from app.ui.chat.prose_label import ProseLabel

Factory = Callable[[], MessageWidget]
_IMAGE = re.compile(r'<img src="data:image/png;base64,([^"]+)"')


@pytest.fixture
def make(qtbot: QtBot) -> Factory:
    def factory() -> MessageWidget:
        widget = MessageWidget("assistant", 7)
        qtbot.addWidget(widget)
        return widget
    return factory


def shown(qtbot: QtBot, widget: QWidget, width: int = 560) -> QWidget:
    # As in test_message_widget: the host's layout keeps the message's minimum size off the
    # window, which the offscreen platform would warn about. The host owns the widget, and
    # the caller keeps the host (qtbot holds it only weakly).
    host = QWidget()
    qtbot.addWidget(host)
    layout = QVBoxLayout(host)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    layout.addWidget(widget)
    layout.addStretch(1)
    host.resize(width, 500)
    host.show()
    qtbot.waitExposed(host)
    return host


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, colour in [(roles.Window, "#202124"), (roles.WindowText, "#e8eaed"),
                         (roles.Base, "#181818"), (roles.Text, "#e8eaed"),
                         (roles.Button, "#303134"), (roles.ButtonText, "#e8eaed")]:
        palette.setColor(role, QColor(colour))
    return palette


def prose(reply: MessageWidget) -> list[ProseLabel]:
    return [w for w in reply.segment_widgets() if isinstance(w, ProseLabel)]


def drawn(qtbot: QtBot, reply: MessageWidget) -> list[ProseLabel]:
    """The reply's prose labels once every formula in them is drawn (off the UI thread)."""
    qtbot.waitUntil(lambda: not any(label.drawing() for label in prose(reply)), timeout=20_000)
    return prose(reply)


def shown_text(label: ProseLabel) -> str:
    """What the label shows, as plain text (each formula image as U+FFFC)."""
    document = QTextDocument()
    if label.textFormat() == Qt.TextFormat.RichText:
        document.setHtml(label.text())
    else:
        document.setMarkdown(label.text())
    return document.toPlainText()


def formula_images(label: ProseLabel) -> list[QImage]:
    return [QImage.fromData(base64.b64decode(data)) for data in _IMAGE.findall(label.text())]


def ink(image: QImage) -> QColor:
    """The colour of a formula's darkest-alpha pixels: its ink."""
    best = QColor(0, 0, 0, 0)
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() > best.alpha():
                best = colour
    return best


def test_inline_and_display_math_are_drawn(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text("Inline $x^2$ and \\(\\frac{1}{3}\\).\n\n$$\\int_0^1 x\\,dx$$\n\n"
                   "Said \\[e^{i\\pi} + 1 = 0\\] in words.")
    inline, display, mid = drawn(qtbot, reply)
    assert [inline.formula_count(), display.formula_count(), mid.formula_count()] == [2, 1, 1]
    assert inline.textFormat() == Qt.TextFormat.RichText
    assert shown_text(inline) == "Inline \ufffc and \ufffc."
    assert all(not image.isNull() and image.width() > 4 for image in formula_images(inline))
    # Display math takes a centred line of its own, without the spaces around it.
    assert 'align="center"' in display.text()
    assert shown_text(mid) == "Said\n\ufffc\nin words."
    # The label keeps the Markdown it was given; the message, its whole text.
    assert inline.markdown() == "Inline $x^2$ and \\(\\frac{1}{3}\\)."


@pytest.mark.parametrize("text", ["It costs $5 and $10 to print.", "From $5/$6 a page.",
                                  "Pay $ 5 now, $ 6 later."])
def test_prices_are_not_math(make: Factory, text: str) -> None:
    reply = make()
    reply.set_text(text)
    [label] = prose(reply)
    assert label.formula_count() == 0
    assert label.textFormat() == Qt.TextFormat.MarkdownText
    assert shown_text(label) == text


def test_code_spans_and_code_blocks_are_not_touched(make: Factory) -> None:
    reply = make()
    reply.set_text("Write `$x$` or `\\(y\\)` literally.\n\n```tex\n$$\\frac{a}{b}$$ and $x$\n```")
    label, block = reply.segment_widgets()
    assert isinstance(label, ProseLabel) and isinstance(block, CodeBlock)
    assert label.formula_count() == 0
    assert shown_text(label) == "Write $x$ or \\(y\\) literally."
    assert block.code == "$$\\frac{a}{b}$$ and $x$"


def test_backslashes_survive_where_math_is_not_drawn(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    # Malformed (ziamath cannot parse "x^" with nothing after it) and unclosed formulas
    # are shown as written, with every backslash; Markdown would turn "\," into ",".
    reply.set_text("Bad $x^$ here.\n\nCut \\[ a \\, b \\{c\\}")
    bad, cut = drawn(qtbot, reply)
    assert bad.formula_count() == 0 and shown_text(bad) == "Bad $x^$ here."
    assert cut.formula_count() == 0 and shown_text(cut) == "Cut \\[ a \\, b \\{c\\}"


def test_a_streaming_formula_is_raw_until_it_closes(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_status("streaming")
    source = "The sum is $$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$ so $n\\,=\\,3$ gives 6."
    for end in range(1, len(source) + 1):
        reply.set_text(source[:end])  # never raises, whatever the cut
    [label] = drawn(qtbot, reply)
    assert label.formula_count() == 2
    reply.set_text(source[:source.index("{2}")])
    [label] = prose(reply)
    assert label.formula_count() == 0
    assert shown_text(label) == "The sum is $$\\sum_{k=1}^{n} k = \\frac{n(n+1)}"


def test_copying_a_selection_gives_the_latex(qtbot: QtBot) -> None:
    reply = MessageWidget("assistant", 7)
    reply.set_text("Area $x^2$ and $$\\frac{a}{b}$$ done.")
    host = shown(qtbot, reply)
    assert host.isVisible()
    [label] = drawn(qtbot, reply)
    label.setFocus()
    label.setSelection(0, len(shown_text(label)))
    QTest.keyClick(label, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Area $x^2$ and\n$$\\frac{a}{b}$$\ndone."
    # The Copy button still copies the whole reply as written.
    assert label.copied_text() == "Area $x^2$ and\n$$\\frac{a}{b}$$\ndone."


def test_formulas_take_their_colour_from_the_palette(qtbot: QtBot) -> None:
    reply = MessageWidget("assistant", 7)
    reply.set_text("Light $\\alpha + \\beta$ text.")
    host = shown(qtbot, reply)
    [label] = drawn(qtbot, reply)
    text_colour = label.palette().color(QPalette.ColorRole.WindowText)
    [light] = formula_images(label)
    assert abs(ink(light).lightness() - text_colour.lightness()) < 40
    host.setPalette(dark_palette())
    [label] = drawn(qtbot, reply)
    [dark] = formula_images(label)
    assert ink(dark).lightness() > 180  # light ink on the dark background
    assert shown_text(label) == "Light \ufffc text."


def bar_columns(label: ProseLabel) -> list[int]:
    """Columns in the label's left 40 px where some pixel is far from the background."""
    image = label.grab().toImage()
    background = label.palette().color(QPalette.ColorRole.Window)
    columns = []
    for x in range(min(40, image.width())):
        column = [image.pixelColor(x, y) for y in range(image.height())]
        if sum(abs(c.lightness() - background.lightness()) > 40 for c in column) >= 8:
            columns.append(x)
    return columns


@pytest.mark.parametrize("dark", [False, True])
def test_block_quotes_have_a_bar(qtbot: QtBot, dark: bool) -> None:
    reply = MessageWidget("assistant", 7)
    reply.set_text("> Quoted **words** over\n> two lines.\n>\n> > And a nested quote.")
    host = shown(qtbot, reply)
    if dark:
        host.setPalette(dark_palette())
    [label] = prose(reply)
    lines = [line for line in shown_text(label).split("\n") if line]
    assert lines == ["Quoted words over two lines.", "And a nested quote."]
    columns = bar_columns(label)
    # Two bars (outer and nested), each a few pixels wide, the text indented past them.
    runs = [x for x in columns if x - 1 not in columns]
    assert len(runs) >= 2, columns
    assert 2 <= runs[0] <= 8


def test_plain_paragraphs_stay_markdown(make: Factory) -> None:
    reply = make()
    reply.set_text("Just **words**.")
    [label] = prose(reply)
    assert label.textFormat() == Qt.TextFormat.MarkdownText
    assert label.text() == "Just **words**."


def test_render_math_gives_none_for_what_it_cannot_draw(qtbot: QtBot) -> None:
    for latex in ["", "x^", "\\frac{a", "\\left( x", "a" * 3000]:
        assert render_math(latex, False, 7, 16, "#000000") is None
    image = render_math("\\sqrt{x}", True, 7, 16, "#000000")
    assert image is not None and image.width > 0 and image.url.startswith("data:image/png")


def test_formulas_are_drawn_off_the_ui_thread(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text(r"A formula seen nowhere else: $\sum_{j=0}^{41} q_j^{7}$.")
    [label] = prose(reply)
    # set_text returned before the formula was drawn: its source is shown meanwhile.
    assert label.drawing() and label.formula_count() == 0
    assert shown_text(label) == r"A formula seen nowhere else: $\sum_{j=0}^{41} q_j^{7}$."
    [label] = drawn(qtbot, reply)
    assert label.formula_count() == 1


def test_a_formula_too_deep_to_draw_in_time_is_shown_as_source(make: Factory) -> None:
    # Twelve levels take ziamath about half a minute; it is not even tried.
    deep = r"\frac{1}{" * 12 + "x" + "}" * 12
    assert too_complex(deep) and not too_complex(r"\frac{\sqrt{x^{2}}}{\left(y\right)}")
    reply = make()
    reply.set_text(f"Deep: ${deep}$")
    [label] = prose(reply)
    assert not label.drawing() and label.formula_count() == 0
    assert shown_text(label) == f"Deep: ${deep}$"


def image_widths(label: ProseLabel) -> list[float]:
    return [float(width) for width in re.findall(r'<img src="data:[^"]+" width="([\d.]+)"', label.text())]


def test_a_formula_wider_than_the_chat_is_shown_smaller(qtbot: QtBot) -> None:
    reply = MessageWidget("assistant", 7)
    reply.set_text(r"Wide: $$\sum_{k=0}^{n} \binom{n}{k} x^k y^{n-k} = (x + y)^n, \quad"
                   r" \text{for every natural number } n \text{ and all } x, y$$ end.")
    host = shown(qtbot, reply, width=300)
    [label] = drawn(qtbot, reply)
    qtbot.waitUntil(lambda: bool(image_widths(label))
                    and image_widths(label)[0] <= label.contentsRect().width())
    narrow = image_widths(label)[0]
    host.resize(1200, 500)  # room again: natural size
    qtbot.waitUntil(lambda: image_widths(label)[0] > narrow)
    assert image_widths(label)[0] < label.contentsRect().width()


def test_a_screen_reader_hears_the_latex(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text("> Area $x^2$ and\n> $$\\frac{a}{b}$$ done.\n\nNo math here.")
    quoted, plain = drawn(qtbot, reply)
    assert quoted.accessibleName() == "Area $x^2$ and\n$$\\frac{a}{b}$$\ndone."
    assert plain.accessibleName() == ""  # Qt reads the label's own text


def image_heights(label: ProseLabel) -> list[float]:
    return [float(h) for h in re.findall(r'<img src="data:[^"]+" width="[\d.]+" height="([\d.]+)"',
                                         label.text())]


def test_math_in_a_heading_is_as_large_as_the_heading(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text("# Energy $E = mc^2$\n\nIn the text $E = mc^2$ too.")
    heading, text = drawn(qtbot, reply)
    [large], [small] = image_heights(heading), image_heights(text)
    assert large > small * 1.3


def test_display_math_in_a_list_item_stays_in_that_item(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text("- first $$a^2 + b^2$$ then more\n- second")
    [label] = drawn(qtbot, reply)
    assert label.formula_count() == 1
    assert label.text().count("<li") == 2
    assert shown_text(label).split("\n") == ["first", "\ufffc", "then more", "second"]


def test_a_formula_in_a_link_is_part_of_the_link(qtbot: QtBot, make: Factory) -> None:
    reply = make()
    reply.set_text("See [the proof of $a^2 + b^2 = c^2$](https://example.com/proof).")
    [label] = drawn(qtbot, reply)
    assert label.formula_count() == 1
    assert '<a href="https://example.com/proof"><img ' in label.text()
