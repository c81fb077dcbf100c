"""Finding routers: user files beside templates, and a broken file hides nothing else."""

from __future__ import annotations

import json

import pytest

from app.controller.router_folders import RouterFolders
from app.core.router import library
from app.core.router.fields import RouterFormatError


def write(name: str, data: object) -> None:
    folder = library.user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data) if not isinstance(data, str) else data)


def test_templates_are_listed_with_local_only_first():
    names = RouterFolders().names()
    assert names[0] == library.LOCAL_ONLY
    assert {"Save money", "Privacy first", "Specialists", "Office hours"} <= set(names)


def test_a_broken_user_file_is_left_out_but_others_still_load():
    write("broken", "{not json")
    write("mine", {"schema": 1, "name": "Mine", "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert "Mine" in RouterFolders().names()
    assert RouterFolders().find("Mine").name == "Mine"
    assert RouterFolders().find("Save money").name == "Save money"
    with pytest.raises(RouterFormatError):
        RouterFolders().find("broken")  # asked for by name: its problem is reported


def test_a_user_router_wins_over_a_template_of_the_same_name():
    write("my-local", {"schema": 1, "name": "Local only", "description": "mine",
                       "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert RouterFolders().names().count("Local only") == 1
    assert RouterFolders().find("Local only").description == "mine"


def test_a_router_is_found_by_file_stem_and_in_any_case():
    write("work-stuff", {"schema": 1, "name": "Work stuff", "fallback": ["local:SmolLM2-135M-Instruct"]})
    folders = RouterFolders()
    assert folders.find("work-stuff").name == "Work stuff"
    assert folders.find("WORK STUFF").name == "Work stuff"
    assert folders.find("save-money").name == "Save money"
    with pytest.raises(RouterFormatError, match="no router called"):
        folders.find("nothing like it")


def test_a_changed_file_is_read_again():
    folders = RouterFolders()
    write("mine", {"schema": 1, "name": "Mine", "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert folders.find("Mine").description == ""
    write("mine", {"schema": 1, "name": "Mine", "description": "changed, and longer",
                   "fallback": ["local:SmolLM2-135M-Instruct"]})
    assert folders.find("Mine").description == "changed, and longer"
