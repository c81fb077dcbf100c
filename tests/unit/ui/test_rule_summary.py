"""The rule list's one-line summaries, from the rule's JSON (valid or half-made)."""

from __future__ import annotations

import json

import pytest

from app.core.paths import router_templates_dir
from app.ui.router_editor.rule_summary import rule_summary


@pytest.mark.parametrize(("rule", "summary"), [
    ({"when": {"type": "keywords", "match": "any", "words": ["invoice", "contract"]},
      "route_to": "anthropic:claude-sonnet-4-5"},
     "if message contains any of “invoice”, “contract” → anthropic:claude-sonnet-4-5"),
    ({"when": {"type": "keywords", "match": "none", "words": list("abcde")}, "route_to": "x:y"},
     "if message contains none of “a”, “b”, “c” (+2) → x:y"),
    ({"when": {"all": [{"type": "message_tokens", "op": ">", "value": 4000},
                       {"any": [{"type": "image"}, {"type": "code"}]}]}, "route_to": "x:y"},
     "if tokens in the message > 4,000 and (an image is attached or message contains code) → x:y"),
    ({"when": {"not": {"type": "pii", "kinds": ["email"]}}, "route_to": "x:y"},
     "if not (message has private data (email)) → x:y"),
    ({"when": {"type": "time", "from": "09:00", "to": "17:00", "weekdays": ["mon", "tue", "wed", "thu", "fri"],
               "timezone": "Europe/Berlin"}, "route_to": "x:y"},
     "if time is 09:00–17:00 on Mon–Fri (Europe/Berlin) → x:y"),
    ({"when": {"type": "message_chars", "op": "between", "value": [10, 20.5]}, "route_to": "x:y"},
     "if characters in the message between 10 and 20.5 → x:y"),
    ({"type": "classified", "description": "Hard maths", "route_to": "openai:o4-mini"},
     "if the classifier says: “Hard maths” → openai:o4-mini"),
    ({"when": {"all": []}}, "if … → ?"),  # half-made: still a summary, never an error
])
def test_summaries_read_as_plain_words(rule, summary):
    assert rule_summary(rule) == summary


def test_every_template_rule_has_a_summary():
    for path in sorted(router_templates_dir().glob("*.json")):
        for rule in json.loads(path.read_text())["rules"]:
            assert "…" not in rule_summary(rule), (path.name, rule["id"])
