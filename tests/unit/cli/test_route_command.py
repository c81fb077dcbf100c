import json
import subprocess
import sys

import pytest

from app.__main__ import main
from app.core.secrets import SERVICE
from tests.support.cloud import set_up_cloud

SAVE_MONEY = "Save money"


@pytest.fixture(autouse=True)
def cloud_set_up(memory_keyring):
    """The templates' cloud providers set up with keys: `route` sees what `ask` would."""
    set_up_cloud(memory_keyring)


def route(capsys, *args):
    code = main(["route", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_contract(capsys):
    code, out, err = route(capsys, "--router", SAVE_MONEY, "--message", "mail bob@example.com", "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert {"target", "rule", "reason", "trace", "needs_classifier", "elapsed_us"} <= set(result)
    assert result["target"] == "local:SmolLM2-135M-Instruct"
    assert result["rule"] == "private_stays_local"
    assert result["trace"][0] == {"kind": "privacy", "rule": None, "matched": True, "detail":
                                  "kept on this computer: this message holds private data "
                                  "(email address found)"}
    assert result["trace"][1:] == [{"kind": "rule", "rule": "private_stays_local",
                                "label": "Private data stays local", "matched": True,
                                "detail": "email address found", "target": "local:SmolLM2-135M-Instruct"}]


def test_conversation_file_routes_the_last_user_message(capsys, tmp_path):
    conversation = tmp_path / "c.json"
    conversation.write_text(json.dumps([
        {"role": "user", "content": "my email is bob@example.com"},
        {"role": "assistant", "content": "noted"},
        {"role": "user", "content": [{"type": "text", "text": "what is in this picture?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
    ]))
    code, out, _ = route(capsys, "--router", "specialists", "--conversation", str(conversation), "--json")
    result = json.loads(out)
    assert code == 0
    assert (result["target"], result["rule"]) == ("openai:gpt-4o", "images")


def test_image_flag(capsys):
    _, out, _ = route(capsys, "--router", "Specialists", "--message", "what is this?", "--image", "--json")
    assert json.loads(out)["rule"] == "images"


def test_offline_makes_remote_targets_unavailable(capsys):
    _, out, _ = route(capsys, "--router", "Specialists", "--message", "what is this?", "--image",
                      "--offline", "--json")
    result = json.loads(out)
    assert result["target"] == "local:SmolLM2-135M-Instruct"
    assert "offline mode" in result["trace"][1]["detail"]


def test_now_picks_the_time_rule(capsys):
    args = ["--router", "Office hours", "--message", "hello", "--json"]
    _, out, _ = route(capsys, *args, "--now", "2026-11-25T10:00:00+01:00")
    assert json.loads(out)["rule"] == "working_hours"
    _, out, _ = route(capsys, *args, "--now", "2026-11-28T10:00:00+01:00")
    assert json.loads(out)["rule"] is None


def test_human_output(capsys):
    code, out, _ = route(capsys, "--router", SAVE_MONEY, "--message", "def f():\n    return 1\n")
    assert code == 0
    assert out.splitlines()[0] == ("This message goes to gpt-4o-mini (via openai) because the rule "
                                   "“Code” matched: 2 code-like lines.")
    assert "✓ Code: " in out  # rules by their titles, each line marked as the trace dialog marks it


def test_a_router_without_rules_says_so(capsys):
    code, out, _ = route(capsys, "--router", "Local only", "--message", "hello")
    assert code == 0
    assert out.splitlines()[0].startswith("This router has no rules, so the first available model")
    assert "no rule matched" not in out.lower()


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda p: p.write_text("{nope"), ["--router", "{p}", "--message", "x"], "is not valid JSON"),
        (lambda p: p.write_text('{"schema": 1, "name": "x", "fallback": ["bad"]}'),
         ["--router", "{p}", "--message", "x"], 'fallback[0]: expected "provider:model"'),
        (lambda p: None, ["--router", "No such router", "--message", "x"], "no router called"),
        (lambda p: p.write_text("[1]"), ["--router", "Local only", "--conversation", "{p}"],
         'item 0: expected an object with "role" and "content"'),
        (lambda p: p.write_text('[{"role": "assistant", "content": "hi"}]'),
         ["--router", "Local only", "--conversation", "{p}"], "no user message to route"),
        (lambda p: None, ["--router", "Local only", "--message", "x", "--now", "tomorrow"],
         '--now: "tomorrow" is not an ISO 8601 time'),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, setup, args, message):
    path = tmp_path / "input.json"
    setup(path)
    code, out, err = route(capsys, *[a.replace("{p}", str(path)) for a in args])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_process_prints_no_traceback(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": 1, "name": "x", "fallback": ["local:m"], "rules": [{"id": "r", '
                      '"when": {"type": "regex", "pattern": "(a"}, "route_to": "local:m"}]}')
    proc = subprocess.run([sys.executable, "-m", "app", "route", "--router", str(broken),
                           "--message", "x", "--json"], capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "rules[0].when.pattern: invalid regular expression" in proc.stderr


def test_no_display_names_the_headless_alternative(capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)  # offscreen is a display of sorts
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "needs a display" in err and "python -m app route" in err


def test_a_provider_without_a_key_is_unavailable_as_for_ask(capsys, memory_keyring):
    memory_keyring.delete_password(SERVICE, "openai")
    _, out, _ = route(capsys, "--router", "Specialists", "--message", "what is this?", "--image", "--json")
    result = json.loads(out)
    assert result["rule"] != "images"
    images = next(t for t in result["trace"] if t["rule"] == "images")
    assert images["matched"] and "no API key for openai" in images["detail"]
