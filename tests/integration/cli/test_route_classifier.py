"""`python -m app route` runs the classifier when plain-English rules are left."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.__main__ import main
from tests.support.cloud import set_up_cloud
from tests.unit.conftest import memory_keyring  # noqa: F401 - a fixture this module uses

SAVE_MONEY = "Save money"


@pytest.fixture(autouse=True)
def cloud_set_up(memory_keyring):  # noqa: F811 - the imported fixture, requested by name
    """The templates' cloud providers set up with keys: `route` sees what `ask` would."""
    set_up_cloud(memory_keyring)


def route(capsys, *args):
    code = main(["route", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.model
def test_classifier_runs_when_needed_and_is_reported(capsys):
    _, out, _ = route(capsys, "--router", SAVE_MONEY, "--message", "prove that sqrt 2 is irrational", "--json")
    result = json.loads(out)
    assert result["needs_classifier"] == ["hard_reasoning"]
    classifier = result["classifier"]
    # The template's rule has examples: the bundled encoder decides it, no model reads it.
    assert classifier["model"] == "local:all-MiniLM-L6-v2" and classifier["method"] == "examples", classifier.get("undecided")
    assert classifier["answer"] == "hard_reasoning" and "error" not in classifier
    assert result["trace"][-1]["kind"] == "classifier"


@pytest.mark.model
def test_rules_without_examples_are_read_by_the_classifier_model(capsys, tmp_path):
    path = tmp_path / "no-examples.json"
    path.write_text(json.dumps({
        "schema": 1, "name": "No examples", "fallback": ["local:SmolLM2-135M-Instruct"],
        "classifier": {"timeout_s": 60},  # a loaded test machine must not turn this into a timeout
        "rules": [{"id": "hard_reasoning", "type": "classified", "description": "Multi-step math or proofs",
                   "route_to": "local:SmolLM2-135M-Instruct"}]}))
    _, out, _ = route(capsys, "--router", str(path), "--message", "prove that sqrt 2 is irrational", "--json")
    classifier = json.loads(out)["classifier"]
    assert classifier["method"] == "llm" and classifier["model"] == "local:SmolLM2-135M-Instruct", classifier
    assert classifier["answer"] in ("hard_reasoning", "none") and classifier["tokens"] > 0


@pytest.mark.model
def test_a_cold_route_process_decides_by_examples_within_the_time_limit(tmp_path):
    """A new process loads llama.cpp and the encoder and embeds every example first: none
    of that counts against the classifier's time limit, so the rule is chosen, not timed
    out. (5 s rather than the default 2 s only so that a test machine busy with other
    work does not time out the message's own embedding; test_example_classifier proves
    with a slowed load that loading never counts.)"""
    examples = json.loads((Path(__file__).parents[2] / "data" / "classifier_examples.json").read_text())
    path = tmp_path / "offline.json"
    path.write_text(json.dumps({
        "schema": 1, "name": "Offline", "fallback": ["local:SmolLM2-135M-Instruct"], "classifier": {"timeout_s": 5},
        "rules": [{"id": r, "type": "classified", "description": f"{r} questions", "examples": examples[r],
                   "route_to": "local:SmolLM2-135M-Instruct"} for r in ("code", "translation", "chitchat")]}))
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run([sys.executable, "-m", "app", "route", "--router", str(path), "--message",
                           "how do you say 'see you soon' in french", "--json"],
                          env={**os.environ, "SWITCHBOARD_HOME": str(home)}, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    classifier = result["classifier"]
    assert classifier["method"] == "examples" and "error" not in classifier, classifier.get("undecided")
    assert result["rule"] == "translation" and classifier["embedded"] == 91  # 3 x 30 examples + the message


@pytest.mark.model
def test_specialists_decide_by_their_examples(capsys):
    _, out, _ = route(capsys, "--router", "Specialists", "--message",
                      "Please write a friendly note inviting my team to a picnic on Friday", "--json")
    result = json.loads(out)
    classifier = result["classifier"]
    assert {"method", "model", "answer", "latency_ms", "scores"} <= set(classifier)
    assert classifier["method"] == "examples" and set(classifier["scores"]) == {"reasoning", "writing"}
    assert (result["target"], result["rule"]) == ("anthropic:claude-sonnet-4-5", "writing")
    assert 'closest: "' in next(t["detail"] for t in result["trace"] if t["rule"] == "writing")
