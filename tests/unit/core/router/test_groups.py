from app.core.router.conditions import AllOf, AnyOf, Keywords, Measure, Not


def test_all_reports_first_failure(make_ctx):
    cond = AllOf((Keywords(("a",)), Keywords(("zzz",))))
    m = cond.evaluate(make_ctx("a b"))
    assert not m.matched and m.detail == 'none of "zzz" found'


def test_all_joins_details(make_ctx):
    cond = AllOf((Keywords(("invoice",)), Measure("message_chars", ">", 3)))
    m = cond.evaluate(make_ctx("invoice 7"))
    assert m.matched and m.detail == 'keyword "invoice" found and message 9 characters > 3'


def test_any_reports_first_match(make_ctx):
    cond = AnyOf((Keywords(("x",)), Keywords(("b",))))
    m = cond.evaluate(make_ctx("a b"))
    assert m.matched and m.detail == 'keyword "b" found'


def test_not_and_nesting(make_ctx):
    cond = AllOf((AnyOf((Keywords(("x",)), Not(Keywords(("secret",))))), Keywords(("hi",))))
    assert cond.evaluate(make_ctx("hi there")).matched
    m = cond.evaluate(make_ctx("hi secret"))
    assert not m.matched


def test_not_detail(make_ctx):
    m = Not(Keywords(("secret",))).evaluate(make_ctx("public"))
    assert m.matched and m.detail == 'not: none of "secret" found'
