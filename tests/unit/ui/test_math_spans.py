"""Where a reply's prose holds math, and where it only looks like it (no Qt needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ui.chat.math_spans import Math, split_math


def formulas(text: str) -> list[Math]:
    return [piece for piece in split_math(text) if isinstance(piece, Math)]


def test_inline_and_display_delimiters() -> None:
    text = r"Inline $a^2$ and \(b_1\); display $$\int x\,dx$$ and \[c = d\]."
    assert formulas(text) == [
        Math("$a^2$", "a^2", display=False),
        Math(r"\(b_1\)", "b_1", display=False),
        Math(r"$$\int x\,dx$$", r"\int x\,dx", display=True),
        Math(r"\[c = d\]", "c = d", display=True),
    ]


def test_display_math_over_several_lines() -> None:
    text = "$$\n\\frac{a}{b}\n= c\n$$"
    assert formulas(text) == [Math(text, "\n\\frac{a}{b}\n= c\n", display=True)]


@pytest.mark.parametrize("text", [
    "It costs $5 and $10 to print.",
    "Between $5/$6 a page.",
    "From $ 5 to $ 6.",
    "A lone $ sign, then words $",
    "Prices: $3.50, $4.25 and $12.",
    r"An escaped \$x\$ is text.",
    "Empty: $$ $$.",
    "$$$$",
])
def test_currency_and_lone_dollars_are_not_math(text: str) -> None:
    assert formulas(text) == []
    assert split_math(text) == [text]


def test_closing_dollar_needs_a_non_space_before_it_and_no_digit_after() -> None:
    # "$ " cannot close, so the formula runs on to the next dollar that can (as in pandoc).
    assert formulas("$x $ and $y$") == [Math("$x $ and $y$", "x $ and $y", display=False)]
    assert formulas("$x$5 is not a formula") == []


def test_code_spans_are_left_alone() -> None:
    assert formulas("Use `$x$` or ``a $b$ ` c`` here") == []
    assert formulas("Code `\\(x\\)` then $y$") == [Math("$y$", "y", display=False)]
    # A price before a code span does not pair with a dollar inside it.
    assert formulas("A book costs $5 and $10; in code `area = 1/3  # $x$ stays`.") == []
    # An unmatched backtick is a literal one: what follows can still hold math.
    assert formulas("a ` b $c$") == [Math("$c$", "c", display=False)]


def test_an_indented_code_block_is_left_alone() -> None:
    assert formulas("    $x$ = 1\n    $$y$$") == []


def test_an_unclosed_formula_is_returned_unclosed() -> None:
    [math] = formulas(r"Streaming: \[ \frac{a}{b} \, c")
    assert not math.closed and math.display and math.source == r"\[ \frac{a}{b} \, c"
    [math] = formulas("Then $$x^2 +")
    assert not math.closed and math.latex == "x^2 +"
    # A lone dollar is a dollar sign, not the start of a formula.
    assert formulas("Streaming $\\frac{a") == []


def test_an_escaped_dollar_inside_math_does_not_close_it() -> None:
    assert formulas(r"$a \$ b$") == [Math(r"$a \$ b$", r"a \$ b", display=False)]


@given(st.text(alphabet="ab $\\()[]`\n*_{}", max_size=60))
def test_pieces_join_back_into_the_text(text: str) -> None:
    pieces = split_math(text)
    assert "".join(p if isinstance(p, str) else p.source for p in pieces) == text
    assert all(p for p in pieces)  # no empty pieces

