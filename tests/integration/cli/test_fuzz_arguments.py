"""Fuzz: command-line arguments, through ``app.__main__.main`` in this process. Whatever
the arguments, a command exits 0, 1 or 2 with at most one ``error:`` line and no
traceback (argparse's own refusals included: they exit 2 through SystemExit).

Values aim where commands break: text with undecodable bytes (argparse hands them over
as lone surrogates), very long text, ids beyond 64 bits, NaN and 1e400 as numbers,
times at the ends of the calendar, and paths that are devices, folders or missing. The
data folder (SWITCHBOARD_HOME, the autouse fixture) is shared by a test's examples, so
later ones meet the chats earlier ones left. ``ask`` answers offline with the bundled
model, four tokens at most."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.__main__ import main
from app.core.store import default_db_path
from tests.support.fuzz_inputs import ONE_LINE_MAX, outcome

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

CLI = settings(max_examples=50, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# What a shell can pass: no NUL; undecodable bytes as surrogate escapes, as Python decodes argv.
words = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30)
undecodable = st.binary(min_size=1, max_size=12).map(lambda b: b.decode("utf-8", "surrogateescape")) \
    .filter(lambda s: "\x00" not in s)
text = st.one_of(words, undecodable, st.sampled_from(["", " ", "-", "--", "-x", "--json", "hello", "a\nb",
                                                      "x" * 100_000, "é" * 3000, "\u202e", "\x1b[31m"]))
ids = st.one_of(st.integers(-3, 10).map(str), st.sampled_from(
    ["0", "-1", "1e3", "nan", "", " 1", "１", str(2**63 - 1), str(2**63), "9" * 30, "9" * 5000]))
numbers = st.sampled_from(["0.5", "0", "2", "-0", "nan", "inf", "-inf", "1e400", "1e-400", "x", "", "0x1"])
# Times at the very ends of the calendar: test_route_at_the_ends_of_the_calendar_is_one_line.
ODD_TIMES = ["2026-11-25T22:30+01:00", "2026-11-25", "0002-01-01T00:00+14:00", "9998-12-31T23:59:59-23:59",
             "2026-13-01", "2026-02-30T10:00", "2026-11-25T22:30+24:00", "2026-W48-3", "20261125T2230Z"]
times = st.one_of(st.sampled_from(ODD_TIMES), text)
paths = st.sampled_from(["/dev/zero", "/dev/null", "/dev/urandom", "/", ".", "/etc/passwd", "/nonexistent/x",
                         "x" * 5000])
templates = st.sampled_from(["Local only", "Save money", "save-money", "Office hours", "Privacy first",
                             "Specialists"])
routers = st.one_of(templates, templates, templates, text, paths)


def run_cli(argv: list[str]) -> tuple[int, str]:
    """The command's exit status and stderr, checked against the promise.

    Output goes where Python's own streams would take it: stdout strict UTF-8, stderr
    with backslashreplace (so a stray surrogate on stdout fails here as on a terminal)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0) and bad usage (2)
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
        finally:
            out.flush()
            err.flush()
    written = err.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
    outcome(f"exit {code}")
    assert code in (0, 1, 2), (code, written[-2000:])
    assert "Traceback" not in written, written[-3000:]
    errors = [line for line in written.splitlines() if "error:" in line]
    assert len(errors) <= 1, [line[:300] for line in errors]
    return code, written


def conversations() -> int:
    path = default_db_path()
    if not path.exists():
        return 0
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])


def optional(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """The option with a value (most often), left out, or with its value missing."""
    given_value = values.map(lambda v: [flag, v])
    return st.one_of(given_value, st.just([]), given_value, st.just([flag]))


def switches(*flags: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(flags), unique=True).map(list)


route_argv = st.tuples(
    st.just(["route"]), routers.map(lambda r: ["--router", r]),
    st.one_of(text.map(lambda m: ["--message", m]), text.map(lambda m: ["--message", m]),
              paths.map(lambda p: ["--conversation", p])),
    optional("--now", times), switches("--image", "--offline", "--json"),
).map(lambda parts: [a for part in parts for a in part])
history_argv = st.one_of(
    st.tuples(st.just(["history"]), optional("--conversation", ids), optional("--search", text)),
    st.tuples(st.just(["usage"]), optional("--conversation", ids), switches("--json")),
    st.tuples(st.just(["egress"]), optional("--conversation", ids), switches("--json")),
    st.tuples(st.just(["export"]), optional("--conversation", ids),
              optional("--format", st.sampled_from(["md", "json", "pdf", ""])),
              optional("--output", st.sampled_from(["/", "/dev/full", "/nonexistent/dir/x.md", "/dev/null"]))),
).map(lambda parts: [a for part in parts for a in part])
def rarely(flag: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """The option one time in four: each one that is refused stops ``ask`` before it answers."""
    return st.one_of(st.just([]), st.just([]), st.just([]), optional(flag, values))


ask_argv = st.tuples(
    st.just(["ask", "--offline", "--max-tokens"]),
    st.sampled_from(["4", "4", "4", "4", "4", "0", "-1", "9" * 30, "x"]).map(lambda n: [n]),
    rarely("--temperature", numbers), rarely("--top-p", numbers), rarely("--system", text),
    rarely("--model", st.sampled_from(["local:SmolLM2-135M-Instruct", "openai:gpt-4o", "x", "local:"])),
    rarely("--context-policy", st.sampled_from(["rolling", "summarize", "stop", "bogus"])),
    rarely("--conversation", ids), rarely("--router", routers),
    rarely("--image", paths), switches("--local-only"),
    text.map(lambda t: ["--", t]),  # the message last, after "--": it may start with "-"
).map(lambda parts: [a for part in parts for a in part])
# Arguments ask takes, with hostile text: these reach the store and the model.
ask_accepted_argv = st.tuples(
    st.just(["ask", "--offline", "--max-tokens", "4"]),
    st.one_of(st.just([]), text.map(lambda t: ["--system", t])),
    st.one_of(st.just([]), st.sampled_from(["rolling", "summarize", "stop"]).map(lambda p: ["--context-policy", p])),
    st.one_of(st.just([]), st.sampled_from(["0", "0.7", "2"]).map(lambda t: ["--temperature", t])),
    switches("--local-only"), text.map(lambda t: ["--", t]),
).map(lambda parts: [a for part in parts for a in part])


@CLI
@given(argv=route_argv)
def test_route_with_any_arguments_exits_cleanly(argv: list[str]) -> None:
    run_cli(argv)


@CLI
@given(argv=history_argv)
def test_history_usage_egress_and_export_with_any_arguments_exit_cleanly(
        argv: list[str]) -> None:
    run_cli(argv)


@settings(CLI, max_examples=6)
@given(argv=ask_argv | ask_accepted_argv)
def test_ask_offline_with_any_arguments_exits_cleanly(argv: list[str]) -> None:
    run_cli(argv)


@settings(CLI, max_examples=30)
@given(argv=st.tuples(st.sampled_from(["route", "history", "usage", "egress", "export"]),
                      st.lists(st.one_of(text, st.sampled_from(["--json", "--conversation", "--router", "--message",
                                                                "--search", "--help", "--now", "--output"])),
                               max_size=5)).map(lambda t: [t[0], *t[1]]))
def test_any_tokens_after_a_command_exit_cleanly(argv: list[str]) -> None:
    run_cli(argv)


@pytest.mark.parametrize("now", ["0001-01-01T00:00:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59:59-23:59"])
def test_route_at_the_ends_of_the_calendar_is_one_line(now: str) -> None:
    run_cli(["route", "--router", "Office hours", "--message", "hi", "--now", now])


@pytest.mark.parametrize("argv", [["route", "--router", "Local only", "--message", "hi", "--now", "x" * 100_000],
                                  ["history", "x" * 100_000]])
def test_an_error_quoting_a_very_long_argument_stays_a_short_line(argv: list[str]) -> None:
    code, err = run_cli(argv)
    [line] = [line for line in err.splitlines() if "error:" in line]
    assert code == 2 and len(line) <= ONE_LINE_MAX + 200, len(line)


@pytest.mark.parametrize("refused", [["--temperature", "5"], ["--top-p", "nan"], ["--max-tokens", "0"]])
def test_ask_refusing_its_chat_settings_leaves_no_chat_behind(refused: list[str]) -> None:
    before = conversations()
    code, err = run_cli(["ask", "--offline", "hello", *refused])
    assert code == 2 and "error:" in err
    assert conversations() == before


def test_refused_arguments_leave_no_chat_behind() -> None:
    run_cli(["history", "--conversation", "9" * 30])
    run_cli(["ask", "--offline", "hello", "--image", "/dev/zero"])
    assert conversations() == 0
    assert not os.path.exists(default_db_path()) or conversations() == 0
