"""Finding routers: user files beside templates, and a broken file hides nothing else."""

from __future__ import annotations

import json

import pytest

from app.core.router import library
from app.core.router.fields import RouterFormatError


def write(name: str, data: object) -> None:
    folder = library.user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data) if not isinstance(data, str) else data)


def test_templates_are_listed_with_local_only_first():
    names = library.router_names()
    assert names[0] == library.LOCAL_ONLY
    assert {"Save money", "Privacy first", "Specialists", "Office hours"} <= set(names)


def test_a_broken_user_file_is_left_out_but_others_still_load():
    write("broken", "{not json")
    write("mine", {"schema": 1, "name": "Mine", "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert "Mine" in library.router_names()
    assert library.find_router("Mine").name == "Mine"
    assert library.find_router("Save money").name == "Save money"
    with pytest.raises(RouterFormatError):
        library.find_router("broken")  # asked for by name: its problem is reported


def test_a_user_router_wins_over_a_template_of_the_same_name():
    write("my-local", {"schema": 1, "name": "Local only", "description": "mine",
                       "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert library.router_names().count("Local only") == 1
    assert library.find_router("Local only").description == "mine"
