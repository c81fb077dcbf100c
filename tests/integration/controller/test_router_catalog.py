"""The router catalog over a real session: templates, the user's folder, the store and
the settings file on this test's SWITCHBOARD_HOME."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.controller.route_preview import PreviewInput, parse_history
from app.controller.target_choices import TargetChoice, target_choices
from app.core.providers.config import ProviderConfig
from app.core.router import Router, RouterFormatError, Turn, load_router
from app.core.router.library import user_routers_dir
from app.core.settings import ProviderSettings, Settings


async def test_templates_are_listed_once_and_a_changed_one_is_marked(session):
    catalog = session.routers
    entries = {e.name: e for e in catalog.entries()}
    assert {"Local only", "Save money", "Privacy first", "Specialists", "Office hours"} <= set(entries)
    assert all(e.origin == "template" and e.path is None for e in entries.values())

    changed = replace(catalog.load("Save money"), description="mine now")
    path = catalog.save(changed, previous_name="Save money")
    assert path.parent == user_routers_dir()
    entry = next(e for e in catalog.entries() if e.name == "Save money")
    assert entry.origin == "changed template" and entry.path == path
    assert catalog.load("Save money").description == "mine now"
    assert [e.name for e in catalog.entries()].count("Save money") == 1

    assert catalog.delete("Save money") == "template"  # reset: the shipped one is back
    assert catalog.load("Save money").description != "mine now"


async def test_rename_moves_the_file_and_repoints_chats_and_the_default(session):
    catalog = session.routers
    router = catalog.blank("Work")
    first = catalog.save(router)
    catalog.set_default("Work")
    cid = session.store.create_conversation(router="Work")
    other = session.store.create_conversation(router="Save money")

    second = catalog.save(replace(router, name="Office"), previous_name="Work")
    assert not first.exists() and second.exists()
    assert load_router(second).name == "Office"
    assert session.store.conversation(cid).router == "Office"
    assert session.store.conversation(other).router == "Save money"
    assert Settings.load().default_router == "Office"
    assert session.default_router_name() == "Office"  # chosen explicitly: no "Local only" override

    catalog.delete("Office")
    assert session.store.conversation(cid).router is None
    assert Settings.load().default_router == "Save money"


async def test_names_stay_unique_and_templates_cannot_be_deleted(session):
    catalog = session.routers
    assert catalog.unique_name("Save money") == "Save money (2)"
    assert catalog.blank().name == "New router"
    catalog.save(catalog.blank())
    assert catalog.blank().name == "New router (2)"
    with pytest.raises(RouterFormatError, match="already called"):
        catalog.save(Router("save money", ("local:x",)))  # a new router under a taken name
    with pytest.raises(RouterFormatError, match="built-in template"):
        catalog.delete("Local only")


async def test_a_name_too_long_for_a_file_is_refused_before_saving(session):
    catalog = session.routers
    assert "at most 100 characters" in (catalog.name_problem("N" * 300, None) or "")
    path = catalog.save(catalog.blank("N" * 100))  # the longest name still makes a file
    assert load_router(path).name == "N" * 100 and len(path.name) <= 105


async def test_a_broken_user_file_is_listed_with_its_problem(session):
    user_routers_dir().mkdir(parents=True)
    (user_routers_dir() / "broken.json").write_text('{"schema": 1, "name": "B", "fallback": 3}')
    entry = next(e for e in session.routers.entries() if e.name == "broken")
    assert entry.problem is not None and "fallback" in entry.problem


async def test_import_names_the_file_and_the_field(session, tmp_path):
    bad = tmp_path / "shared.json"
    bad.write_text(json.dumps({"schema": 1, "name": "S", "fallback": ["local:x"],
                               "rules": [{"id": "r", "when": {"type": "regex", "pattern": "("},
                                          "route_to": "local:x"}]}))
    with pytest.raises(RouterFormatError) as caught:
        session.routers.read_import(bad)
    assert caught.value.path == "shared.json: rules[0].when.pattern"
    assert "invalid regular expression" in caught.value.problem
    bad.write_text("{not json")
    with pytest.raises(RouterFormatError, match="shared.json is not valid JSON"):
        session.routers.read_import(bad)


def test_target_choices_flag_what_cannot_answer():
    providers = [ProviderSettings(ProviderConfig("anthropic", "anthropic", "https://x", "claude-a"),
                                  ("claude-b",)),
                 ProviderSettings(ProviderConfig("ollama", "openai", "http://127.0.0.1:1/v1", "llama3",
                                                 key_required=False))]
    choices = target_choices(providers, ["Smol"], ["anthropic:claude-c", "openai:gpt-x"],
                             has_key=lambda pid: False, also=["gemini:pro", "local:Missing"])
    assert choices == [
        TargetChoice("local:Smol"),
        TargetChoice("anthropic:claude-a", "no API key for anthropic"),
        TargetChoice("anthropic:claude-b", "no API key for anthropic"),
        TargetChoice("ollama:llama3"),
        TargetChoice("anthropic:claude-c", "no API key for anthropic"),
        TargetChoice("gemini:pro", "gemini is not set up"),
        TargetChoice("local:Missing", "model not downloaded"),
    ]
    assert choices[-1].label == "local:Missing — model not downloaded"


def test_history_lines_name_their_speaker():
    assert parse_history("hi\nassistant: hello\n\n user : more") == (
        Turn("user", "hi"), Turn("assistant", "hello"), Turn("user", "more"))
    given = PreviewInput("now", image=True, history=(Turn("user", "before"),))
    assert given.turns() == [Turn("user", "before"), Turn("user", "now", 1)]
