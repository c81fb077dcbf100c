"""The editor's draft: validity from the core, dirtiness by meaning, error paths."""

from __future__ import annotations

from app.core.router import Router, RouterFormatError
from app.core.router.conditions import Measure
from app.core.router.schema import Rule
from app.ui.router_editor.router_draft import RouterDraft, rule_error_at

ROUTER = Router("R", ("local:m",), (Rule("big", "local:m", when=Measure("message_tokens", ">", 4000)),))


def test_the_same_router_written_another_way_is_not_a_change():
    draft = RouterDraft.of(ROUTER)
    assert not draft.dirty
    draft.rules[0]["when"]["value"] = 4000  # int where the dump wrote 4000.0
    draft.data = dict(reversed(list(draft.data.items())))
    assert not draft.dirty
    draft.rules[0]["when"]["value"] = 4001
    assert draft.dirty
    draft.revert()
    assert not draft.dirty


def test_validation_is_the_cores_with_the_exact_field():
    draft = RouterDraft.of(ROUTER)
    draft.rules[0]["when"] = {"type": "regex", "pattern": "(unclosed"}
    error = draft.validate(lambda name: None)
    assert isinstance(error, RouterFormatError)
    assert error.path == "rules[0].when.pattern"
    assert rule_error_at(error.path) == (0, "when.pattern")
    assert rule_error_at("fallback[1]") == (None, "fallback[1]")
    assert rule_error_at("rules[3]") == (3, "")


def test_a_taken_name_is_an_error_at_the_name():
    draft = RouterDraft.of(ROUTER)
    error = draft.validate(lambda name: "another router is already called \"R\"")
    assert isinstance(error, RouterFormatError) and error.path == "name"
    assert draft.validate(lambda name: None) == ROUTER


def test_rule_ids_are_derived_valid_and_unique():
    draft = RouterDraft.of(ROUTER)
    assert draft.unique_rule_id("Big", None) == "big_2"
    assert draft.unique_rule_id("Big", 0) == "big"  # its own id is not taken
    assert draft.unique_rule_id("Contracts → Claude!", None) == "contracts_claude"
    assert draft.unique_rule_id("  ", None) == "rule"
