"""Splitting Markdown into prose and fenced code, and colouring code (no Qt needed)."""

from __future__ import annotations

import pytest

from app.ui.chat.markdown import Segment, highlight, pygments_style, split_segments


def prose(text: str) -> Segment:
    return Segment("prose", text)


def code(text: str, lang: str = "", closed: bool = True) -> Segment:
    return Segment("code", text, lang, closed)


def test_empty_input_has_no_segments() -> None:
    assert split_segments("") == []
    assert split_segments("\n  \n") == []


def test_prose_is_cut_into_paragraphs() -> None:
    assert split_segments("Hello **there**\n\n- a\n- b\n") == [prose("Hello **there**"), prose("- a\n- b")]
    assert split_segments("# Title\n\none\n\n\n\ntwo") == [prose("# Title"), prose("one"), prose("two")]


def test_a_loose_list_stays_one_block() -> None:
    text = "1. first\n\n2. second\n\n   more of the second\n\nAfter the list."
    assert split_segments(text) == [prose("1. first\n\n2. second\n\n   more of the second"),
                                    prose("After the list.")]


def test_text_before_and_after_a_fence() -> None:
    text = "Before:\n\n```python\nx = 1\ny = 2\n```\n\nAfter."
    assert split_segments(text) == [prose("Before:"), code("x = 1\ny = 2", "python"),
                                    prose("After.")]


def test_language_is_the_first_word_of_the_info_string() -> None:
    assert split_segments("```js title=app.js\nlet a\n```") == [code("let a", "js")]


def test_fence_without_language() -> None:
    assert split_segments("```\nplain\n```") == [code("plain", "")]


def test_tilde_fence_may_hold_backtick_fences() -> None:
    text = "~~~markdown\n```python\nx\n```\n~~~\n"
    assert split_segments(text) == [code("```python\nx\n```", "markdown")]


def test_longer_fence_is_closed_only_by_a_run_as_long() -> None:
    text = "````md\n```\ninner\n```\n````\nend"
    assert split_segments(text) == [code("```\ninner\n```", "md"), prose("end")]


def test_backticks_inside_code_do_not_close_it() -> None:
    text = "```sh\necho `date` ``x``\n```"
    assert split_segments(text) == [code("echo `date` ``x``", "sh")]


def test_inline_triple_backticks_are_not_a_fence() -> None:
    assert split_segments("```not a fence``` here") == [prose("```not a fence``` here")]


def test_fence_indented_up_to_three_spaces_is_dedented() -> None:
    text = "   ```py\n   a\n     b\n c\n   ```"
    assert split_segments(text) == [code("a\n  b\nc", "py")]


def test_four_spaces_is_not_a_fence() -> None:
    assert split_segments("    ```\n    x") == [prose("    ```\n    x")]


def test_adjacent_blocks_drop_the_blank_prose_between() -> None:
    assert split_segments("```a\n1\n```\n\n~~~b\n2\n~~~") == [code("1", "a"), code("2", "b")]


@pytest.mark.parametrize(("text", "expected"), [
    ("Look:\n```py", [prose("Look:"), code("", "py", closed=False)]),
    ("Look:\n```py\nfor i in", [prose("Look:"), code("for i in", "py", closed=False)]),
    ("```py\nx\n``", [code("x\n``", "py", closed=False)]),
])
def test_unclosed_fence_at_the_end_is_open_code(text: str, expected: list[Segment]) -> None:
    assert split_segments(text) == expected


def test_windows_line_endings() -> None:
    assert split_segments("a\r\n```py\r\nx\r\n```\r\n") == [prose("a"), code("x", "py")]


def test_highlight_colours_known_languages_inline() -> None:
    html = highlight("def f():\n    return '<a>'", "python", False)
    assert '<span style="' in html
    assert "class=" not in html
    assert "&lt;a&gt;" in html
    assert not html.endswith("\n")


def test_highlight_keeps_a_trailing_newline_only_if_the_code_has_one() -> None:
    assert highlight("x = 1\n", "python", False).endswith("\n")


def test_highlight_depends_on_the_theme() -> None:
    assert highlight("x = 1", "python", True) != highlight("x = 1", "python", False)
    assert pygments_style(True) != pygments_style(False)


@pytest.mark.parametrize("lang", ["", "no-such-language"])
def test_unknown_language_is_escaped_plain_text(lang: str) -> None:
    assert highlight("a < b && c", lang, False) == "a &lt; b &amp;&amp; c"


def test_language_names_are_case_insensitive() -> None:
    assert highlight("x = 1", "Python", False) == highlight("x = 1", "python", False)
