import json

import pytest

from app.core.router import RouterFormatError, dump_router, load_router, parse_router, save_router
from app.core.router.conditions import AllOf, Keywords, Measure


def router(**overrides):
    data = {"schema": 1, "name": "R", "fallback": ["local:m"], "rules": [
        {"id": "kw", "when": {"type": "keywords", "words": ["x"]}, "route_to": "openai:gpt-4o"}]}
    data.update(overrides)
    return data


def rules(*items):
    return router(rules=list(items))


def error_of(data):
    with pytest.raises(RouterFormatError) as err:
        parse_router(data)
    return str(err.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "image"}},
               {"id": "b", "route_to": "local:m", "when": {"type": "code"}},
               {"id": "c", "route_to": "local:m", "when": {"all": [
                   {"type": "message_tokens", "op": ">", "value": "lots"}]}}),
         "rules[2].when.all[0].value: expected a number, got text 'lots'"),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "message_tokens", "op": ">", "value": True}}),
         "rules[0].when.value: expected a number, got a boolean True"),
        (rules({"id": "a", "route_to": "gpt4", "when": {"type": "image"}}),
         'rules[0].route_to: expected "provider:model", got "gpt4"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "colour"}}),
         "rules[0].when.type: unknown condition text 'colour' (expected one of keywords, regex,"),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "image"}, "route_too": "x"}),
         'rules[0].route_too: unknown field (expected one of "id", "type",'),
        (rules({"id": "a", "route_to": "local:m"}),
         'rules[0].when: missing (or set "type": "classified" and give a "description")'),
        (rules({"id": "a", "type": "classified", "route_to": "local:m"}),
         "rules[0].description: missing"),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "image"}},
               {"id": "a", "route_to": "local:m", "when": {"type": "image"}}),
         'rules[1].id: "a" is already used by rules[0]'),
        (rules({"id": "a b", "route_to": "local:m", "when": {"type": "image"}}),
         'rules[0].id: "a b" may use only letters'),
        (rules({"id": "a", "route_to": "local:m", "when": {"all": []}}),
         "rules[0].when.all: must not be empty"),
        (rules({"id": "a", "route_to": "local:m", "when": {"all": [{"type": "image"}], "any": []}}),
         'rules[0].when: a group has exactly one key'),
        (rules({"id": "a", "route_to": "local:m", "when": {"not": {"type": "time", "from": "25:00", "to": "06:00"}}}),
         'rules[0].when.not.from: "25:00" is not a time of day'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "time", "from": "9am", "to": "06:00"}}),
         'rules[0].when.from: expected a time as "HH:MM", got "9am"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "time", "from": "09:00", "to": "17:00", "timezone": "Mars/Base"}}),
         'rules[0].when.timezone: unknown timezone "Mars/Base"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "time", "from": "09:00", "to": "17:00", "weekdays": ["funday"]}}),
         'rules[0].when.weekdays: unknown day "funday"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "message_chars", "op": "between", "value": [10, 5]}}),
         "rules[0].when.value: low 10 is above high 5"),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "message_chars", "op": "between", "value": 5}}),
         'rules[0].when.value: with "between", expected [low, high]'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "message_chars", "op": "~", "value": 5}}),
         'rules[0].when.op: expected one of "<", "<=", ">", ">=", "between"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "pii", "kinds": ["dna"]}}),
         'rules[0].when.kinds: unknown kind "dna"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "keywords", "words": ["ok", ""]}}),
         "rules[0].when.words[1]: expected non-empty text, got text ''"),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "keywords", "words": ["x"], "match": "some"}}),
         'rules[0].when.match: expected one of "any", "all", "none"'),
        (rules({"id": "a", "route_to": "local:m", "when": {"type": "available", "target": "nope"}}),
         'rules[0].when.target: expected "provider:model", got "nope"'),
        (rules({"id": "a", "route_to": "local:m", "type": "classified", "description": "d", "when": {"type": "image"}}),
         "rules[0].when: a classified rule is decided by its description"),
        (rules("not a rule"), "rules[0]: expected an object, got text 'not a rule'"),
        (router(fallback=[]), "fallback: must not be empty"),
        (router(fallback=["local:m", "bad"]), 'fallback[1]: expected "provider:model", got "bad"'),
        (router(name=" "), "name: must not be empty"),
        (router(schema=2), "schema: version 2 is newer than this Switchboard understands (1)"),
        (router(schema="1"), "schema: expected 1"),
        (router(sticky={}), 'sticky: expected "minutes" or "messages"'),
        (router(sticky={"minutes": 0}), "sticky.minutes: must be at least 1, got 0"),
        (router(sticky={"minutes": 1.5}), "sticky.minutes: expected a whole number"),
        (router(colour="red"), "colour: unknown field"),
        ([], "expected an object, got a list"),
    ],
)
def test_errors_name_the_exact_field(data, message):
    assert error_of(data).startswith(message)


def test_missing_schema():
    data = router()
    del data["schema"]
    assert error_of(data) == "schema: missing"


def test_round_trip_of_a_full_router():
    data = {
        "schema": 1, "name": "Full", "description": "every kind",
        "fallback": ["local:m", "openai:gpt-4o-mini"], "sticky": {"minutes": 5, "messages": 2},
        "rules": [
            {"id": "a", "title": "A", "enabled": False, "when": {"all": [
                {"type": "keywords", "match": "all", "words": ["x", "y"], "case_sensitive": True, "whole_word": True},
                {"not": {"type": "regex", "pattern": "^z", "flags": ["ignorecase"]}},
                {"any": [{"type": "message_tokens", "op": "between", "value": [1, 9]},
                         {"type": "conversation_tokens", "op": ">", "value": 6000},
                         {"type": "message_count", "op": "<=", "value": 3},
                         {"type": "message_chars", "op": ">=", "value": 2.5}]},
                {"type": "time", "from": "22:00", "to": "06:00", "weekdays": ["fri"], "timezone": "UTC"},
                {"type": "image"}, {"type": "code", "min_lines": 3}, {"type": "pii", "kinds": ["card"]},
                {"type": "available", "target": "openai:gpt-4o"},
            ]}, "route_to": "local:m"},
            {"id": "b", "type": "classified", "description": "Hard maths", "route_to": "anthropic:claude"},
        ],
    }
    loaded = parse_router(data)
    assert dump_router(loaded) == data
    assert parse_router(dump_router(loaded)) == loaded


def test_typed_objects():
    loaded = parse_router(rules({"id": "a", "route_to": "local:m", "when": {"all": [
        {"type": "keywords", "words": ["x"]}, {"type": "message_tokens", "op": ">", "value": 5}]}}))
    assert loaded.rules[0].when == AllOf((Keywords(("x",)), Measure("message_tokens", ">", 5)))


def test_load_reports_bad_json_with_position(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"schema": 1,\n "name": }')
    with pytest.raises(RouterFormatError, match=r"r.json is not valid JSON: Expecting value at line 2, column 10"):
        load_router(path)


def test_load_reports_missing_file(tmp_path):
    with pytest.raises(RouterFormatError, match="nope.json cannot be read: no such file or directory"):
        load_router(tmp_path / "nope.json")


def test_load_reports_binary_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RouterFormatError, match="r.json is not UTF-8 text"):
        load_router(path)


def test_save_then_load(tmp_path):
    original = parse_router(router(description="d", sticky={"messages": 3}))
    path = tmp_path / "r.json"
    save_router(original, path)
    assert load_router(path) == original
    assert json.loads(path.read_text())["schema"] == 1
    assert not list(tmp_path.glob("*.tmp"))
