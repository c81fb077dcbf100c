import pytest

from app.core.router.conditions import Keywords


@pytest.mark.parametrize(
    ("cond", "message", "matched", "detail"),
    [
        (Keywords(("invoice", "contract")), "Please check this Invoice", True, 'keyword "invoice" found'),
        (Keywords(("invoice",)), "nothing here", False, 'none of "invoice" found'),
        (Keywords(("a", "b"), match="all"), "a and b", True, 'all of "a", "b" found'),
        (Keywords(("alpha", "beta"), match="all"), "alpha only", False, 'keyword "beta" not found'),
        (Keywords(("secret",), match="none"), "public note", True, 'none of "secret" found'),
        (Keywords(("secret",), match="none"), "top SECRET plan", False, 'keyword "secret" found'),
    ],
)
def test_modes(make_ctx, cond, message, matched, detail):
    m = cond.evaluate(make_ctx(message))
    assert (m.matched, m.detail) == (matched, detail)


def test_case_sensitive(make_ctx):
    cond = Keywords(("SQL",), case_sensitive=True)
    assert cond.evaluate(make_ctx("write SQL")).matched
    assert not cond.evaluate(make_ctx("write sql")).matched


def test_whole_word(make_ctx):
    cond = Keywords(("cat",), whole_word=True)
    assert cond.evaluate(make_ctx("the cat sat")).matched
    assert cond.evaluate(make_ctx("Cat.")).matched
    assert not cond.evaluate(make_ctx("concatenate")).matched


def test_whole_word_with_symbols(make_ctx):
    # \b would fail after "+": "c++" must still count as a whole word.
    cond = Keywords(("c++", ".net"), whole_word=True)
    assert cond.evaluate(make_ctx("I write c++ daily")).matched
    assert cond.evaluate(make_ctx("port it to .net")).matched
    assert not cond.evaluate(make_ctx("c++x")).matched


def test_substring_without_whole_word(make_ctx):
    assert Keywords(("cat",)).evaluate(make_ctx("concatenate")).matched


def test_many_words_detail_is_short(make_ctx):
    cond = Keywords(tuple(f"w{i}" for i in range(10)))
    assert cond.evaluate(make_ctx("none")).detail.endswith("(+6 more) found")
