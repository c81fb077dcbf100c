"""`python -m app route` runs the classifier when plain-English rules are left."""

import json

import pytest

from app.__main__ import main

SAVE_MONEY = "Save money"


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
    assert classifier["model"] == "local:SmolLM2-135M-Instruct"
    assert classifier["answer"] in ("hard_reasoning", "none") and classifier["tokens"] > 0
    assert result["trace"][-1]["kind"] == "classifier"


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
