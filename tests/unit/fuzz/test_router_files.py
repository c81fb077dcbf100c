"""Fuzz: router files. Whatever a router file holds, ``load_router`` returns a router that
decides (and explains) a message without an exception, or raises RouterFormatError with
one plain line naming the file; it never rewrites the file, and one broken file in the
user's folder hides no other router."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.controller.router_folders import RouterFolders
from app.core.paths import router_templates_dir
from app.core.router import (
    RouteContext,
    RouterFormatError,
    StickyState,
    Turn,
    decide,
    dump_router,
    load_router,
    parse_router,
)
from app.core.router.library import user_routers_dir
from tests.support.fuzz_inputs import (
    assert_one_line,
    dumps,
    json_files,
    json_values,
    outcome,
    raw_tokens,
    texts,
)
from tests.support.special_paths import (
    fifo,
    folder,
    link_loop,
    link_to_device,
    link_to_fifo,
    unix_socket,
)

# Hypothesis warns when it prints a failing case of many kilobytes; the failure is the news.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

TEMPLATES = sorted(router_templates_dir().glob("*.json"))
SEEDS = [json.loads(path.read_text(encoding="utf-8")) for path in TEMPLATES]
# Every key the format knows, so that mutations often put a real key in the wrong place.
KEYS = ("schema", "name", "description", "fallback", "sticky", "minutes", "messages", "classifier",
        "target", "method", "timeout_s", "context_turns", "max_message_tokens", "decide_by",
        "embedding_model", "threshold", "margin", "privacy", "history", "rules", "id", "type",
        "title", "enabled", "when", "examples", "route_to", "private", "all", "any", "not", "words",
        "match", "case_sensitive", "whole_word", "pattern", "flags", "op", "value", "from", "to",
        "weekdays", "timezone", "kinds", "min_lines")
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
router_files = st.sampled_from(SEEDS).flatmap(lambda seed: json_files(seed, keys=KEYS))

# ---- routers made from the format's own grammar, each field valid or hostile ----------

hostile = json_values | raw_tokens
names = st.sampled_from(["Mine", "r1", "a.b-c_d", "x" * 300])


def field(valid: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """A valid value 19 times in 20, so that parsing often gets past every field."""
    return st.integers(0, 19).flatmap(lambda n: hostile if n == 0 else valid)


target = field(st.sampled_from(["local:SmolLM2-135M-Instruct", "openai:gpt-4o", "gemini:x", "local:" + "m" * 300]))
whole = st.integers(-2, 10) | st.sampled_from([2**53, 2**53 - 1, 10**15, 10**9, 527_040, 527_041])
numbers = whole | st.floats(-1e300, 1e300) | st.sampled_from([1e308, -1e308, 5e-324, 0.0])
clock = st.sampled_from(["09:00", "17:30", "00:00", "23:59", "24:00", "9:00", "٠٩:٠٠", "²:00", "09:60"])
pattern = st.sampled_from([r"\d+", "(" * 3000 + ")" * 3000, "(?:a{10000}){10000}", "a{99999999999}",
                           "(?:(?:a{1000}){1000}){1000}", "[[" * 500, r"\p{Lu}", "(?<n>x)(?P=m)",
                           "x" * 20_000, r"(a+)+$", "(?i)hello", "[", "\\"])
leaf = st.one_of(
    st.fixed_dictionaries({"type": st.just("keywords"), "words": field(st.lists(texts, min_size=1, max_size=3))},
                          optional={"match": field(st.sampled_from(["any", "all", "none"])),
                                    "whole_word": field(st.booleans()), "case_sensitive": field(st.booleans())}),
    st.fixed_dictionaries({"type": st.just("regex"), "pattern": field(pattern)},
                          optional={"flags": field(st.lists(st.sampled_from(["ignorecase", "dotall", "multiline"])))}),
    st.fixed_dictionaries({"type": st.sampled_from(["message_tokens", "conversation_tokens", "message_count",
                                                    "message_chars"]),
                           "op": field(st.sampled_from(["<", "<=", ">", ">="])), "value": field(numbers)}),
    st.fixed_dictionaries({"type": st.sampled_from(["message_tokens", "message_chars"]), "op": st.just("between"),
                           "value": field(st.lists(numbers, min_size=2, max_size=2).map(sorted))}),
    st.fixed_dictionaries({"type": st.just("time"), "from": field(clock), "to": field(clock)},
                          optional={"weekdays": field(st.lists(st.sampled_from(["mon", "sun", "Fri"]), min_size=1)),
                                    "timezone": field(st.sampled_from(["UTC", "Europe/Berlin", "../etc", "/etc/passwd",
                                                                       "Europe/Berlin/", "x" * 300]))}),
    st.fixed_dictionaries({"type": st.sampled_from(["image", "code", "pii"])},
                          optional={"min_lines": field(whole),
                                    "kinds": field(st.lists(st.sampled_from(["email", "card", "iban"]), min_size=1))}),
    st.fixed_dictionaries({"type": st.just("available"), "target": target}),
)
conditions = st.recursive(leaf, lambda inner: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda c: {"not": c}, inner)), max_leaves=5)
calculated = st.fixed_dictionaries(
    {"id": field(names), "route_to": target, "when": field(conditions)},
    optional={"title": field(texts), "enabled": field(st.booleans()), "private": field(st.booleans())})
classified = st.fixed_dictionaries(
    {"id": field(names), "route_to": target, "type": st.just("classified"), "description": field(texts)},
    optional={"examples": field(st.lists(texts, max_size=3)), "enabled": field(st.booleans())})
grammar_routers = st.fixed_dictionaries(
    {"schema": field(st.just(1)), "name": field(names), "fallback": field(st.lists(target, min_size=1, max_size=3)),
     "rules": field(st.lists(calculated | classified, max_size=3, unique_by=lambda r: str(r.get("id"))))},
    optional={"description": field(texts),
              "sticky": field(st.fixed_dictionaries({"minutes": field(whole)}, optional={"messages": field(whole)})),
              "privacy": field(st.fixed_dictionaries({"history": field(st.sampled_from(["local", "redact", "omit"]))})),
              "classifier": field(st.fixed_dictionaries({}, optional={
                  "target": target, "method": field(st.sampled_from(["loglik", "grammar"])),
                  "timeout_s": field(numbers), "context_turns": field(whole), "max_message_tokens": field(whole),
                  "decide_by": field(st.sampled_from(["auto", "examples", "llm"])),
                  "embedding_model": field(st.just("local:all-MiniLM-L6-v2")),
                  "threshold": field(numbers), "margin": field(numbers)}))},
)

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
TURNS = [Turn("user", "hello, my mail is a@b.example"), Turn("assistant", "hi"),
         Turn("user", "```py\nprint(1)\n```\nwhy?", images=1)]


def check_usable(router_data_path: Path) -> None:
    """``load_router`` either refuses the file in one line or gives a router that works."""
    before = router_data_path.read_bytes()
    try:
        router = load_router(router_data_path)
    except RouterFormatError as exc:
        outcome("refused")
        # Reading problems name the file; format problems name the field (the caller
        # names the router: "router Mine: rules[0].route_to: …").
        assert_one_line(str(exc))
        assert_one_line(exc.problem)
    else:
        outcome("accepted")
        assert parse_router(dump_router(router)) == router
        rule = router.rules[0].id if router.rules else "r"
        sticky = StickyState(router.fallback[0], rule, NOW - timedelta(minutes=3))
        for state in (None, sticky):
            decision = decide(router, RouteContext(TURNS, NOW), state)
            assert decision.reason
            assert all(entry.detail is not None for entry in decision.trace)
    assert router_data_path.read_bytes() == before, "the router file was rewritten"


@FUZZ
@given(content=router_files)
def test_any_router_file_loads_or_is_refused_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "fuzzed.json"
    path.write_bytes(content)
    check_usable(path)


@FUZZ
@given(data=grammar_routers)
def test_a_router_made_from_the_grammar_loads_or_is_refused(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "grammar.json"
    path.write_text(dumps(data), encoding="utf-8")
    check_usable(path)


@FUZZ
@given(data=st.dictionaries(st.sampled_from(KEYS), st.none() | st.booleans() | st.integers()
                            | st.text(max_size=5) | st.lists(st.integers(), max_size=2), max_size=8))
def test_a_router_object_made_of_known_keys_loads_or_is_refused(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    check_usable(path)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(content=router_files)
def test_a_broken_router_in_the_users_folder_hides_no_other(content: bytes) -> None:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.json").write_bytes(content)
    folders = RouterFolders()
    assert folders.find("Local only").name == "Local only"
    assert folders.find("save money").name == "Save money"
    entries = folders.entries()
    for entry in entries:
        if entry.problem is not None:
            assert_one_line(entry.problem)
    assert {"Local only", "Save money"} <= {e.name for e in entries}
    assert (folder / "broken.json").read_bytes() == content


# ---- paths that are not regular files --------------------------------------------------


def _dangling_link(path: Path) -> None:
    path.symlink_to(path.with_name("gone.json"))


def _unreadable(path: Path) -> None:
    path.write_text("{}", encoding="utf-8")
    path.chmod(0)


def _huge(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(5 << 20)  # sparse: 5 MB of NULs without writing them


SPECIAL_PATHS = {"fifo": fifo, "folder": folder, "socket": unix_socket, "link to a fifo": link_to_fifo,
                 "link to /dev/zero": link_to_device, "dangling link": _dangling_link,
                 "link loop": link_loop, "5 MB": _huge}
if os.geteuid() != 0:  # root reads a file whatever its mode: the case would test nothing
    SPECIAL_PATHS["unreadable"] = _unreadable


@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_a_router_path_that_is_no_router_file_is_one_line(tmp_path: Path, make) -> None:
    path = tmp_path / "odd.json"
    make(path)
    with pytest.raises(RouterFormatError) as caught:
        load_router(path)
    assert_one_line(str(caught.value), "odd.json")


@pytest.mark.parametrize("make", SPECIAL_PATHS.values(), ids=SPECIAL_PATHS.keys())
def test_an_odd_path_in_the_users_folder_hides_no_other(make) -> None:
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    make(folder / "odd.json")
    folders = RouterFolders()
    assert folders.find("Local only").name == "Local only"
    for entry in folders.entries():
        if entry.problem is not None:
            assert_one_line(entry.problem)
