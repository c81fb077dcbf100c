from app.core.router.conditions import CodePresent, ImageAttached, PrivateData, TargetAvailable


def test_image(make_ctx):
    assert not ImageAttached().evaluate(make_ctx("look")).matched
    m = ImageAttached().evaluate(make_ctx("look", images=2))
    assert m.matched and m.detail == "2 images attached"


def test_code(make_ctx):
    m = CodePresent().evaluate(make_ctx("fix this:\n```python\nprint(1)\n```"))
    assert m.matched and "fenced code block" in m.detail
    assert not CodePresent().evaluate(make_ctx("What a lovely day it is.")).matched


def test_private_data_card_is_luhn_checked(make_ctx):
    m = PrivateData().evaluate(make_ctx("charge 4242 4242 4242 4242 please"))
    assert m.matched and m.detail == "card number ending 4242 found"
    assert not PrivateData(("card",)).evaluate(make_ctx("charge 4242 4242 4242 4241")).matched


def test_private_data_kinds_are_respected(make_ctx):
    message = "mail me at jane@example.com"
    assert PrivateData().evaluate(make_ctx(message)).matched
    m = PrivateData(("card",)).evaluate(make_ctx(message))
    assert not m.matched and m.detail == "no card number found"


def test_private_data_detail_never_shows_the_secret(make_ctx):
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
    m = PrivateData().evaluate(make_ctx(f"my key is {key}"))
    assert m.matched and key not in m.detail and key[8:20] not in m.detail


def test_target_available(make_ctx):
    cond = TargetAvailable("openai:gpt-4o")
    assert cond.evaluate(make_ctx("x")).detail == "openai:gpt-4o is available"
    m = cond.evaluate(make_ctx("x", down={"openai:gpt-4o": "offline mode"}))
    assert not m.matched and m.detail == "openai:gpt-4o is unavailable (offline mode)"
