"""Example messages on plain-English rules, and how the router says to use them."""

import pytest

from app.core.router import RouterFormatError, dump_router, parse_router
from app.core.router.example_classifier import decides_by_examples, embedding_target
from app.core.router.schema import ClassifierConfig


def router(rules=None, classifier=None):
    data = {"schema": 1, "name": "R", "fallback": ["local:m"], "rules": rules or [
        {"id": "maths", "type": "classified", "description": "Math problems",
         "examples": ["what is 2+2", "solve x^2 = 9", "integrate sin x"], "route_to": "openai:o4-mini"},
        {"id": "poems", "type": "classified", "description": "Poetry", "examples": ["a haiku about rain"],
         "route_to": "anthropic:claude"}]}
    if classifier is not None:
        data["classifier"] = classifier
    return data


def error_of(data):
    with pytest.raises(RouterFormatError) as err:
        parse_router(data)
    return str(err.value)


def test_examples_round_trip_and_are_dumped_after_the_description():
    r = parse_router(router(classifier={"decide_by": "examples", "embedding_model": "local:bge-small",
                                        "threshold": 0.5, "margin": 0.02, "method": "grammar"}))
    assert r.rule("maths").examples == ("what is 2+2", "solve x^2 = 9", "integrate sin x")
    dumped = dump_router(r)
    assert list(dumped["rules"][0]) == ["id", "type", "description", "examples", "route_to"]
    assert dumped["classifier"] == {"method": "grammar", "decide_by": "examples",
                                    "embedding_model": "local:bge-small", "threshold": 0.5, "margin": 0.02}
    assert parse_router(dumped) == r


def test_defaults_are_not_dumped_and_old_routers_load_unchanged():
    old = {"schema": 1, "name": "Old", "fallback": ["local:m"], "rules": [
        {"id": "maths", "type": "classified", "description": "Math", "route_to": "openai:o4-mini"}]}
    r = parse_router(old)
    assert r.rule("maths").examples == () and r.classifier == ClassifierConfig()
    assert r.classifier.decide_by == "auto" and r.classifier.embedding_model is None
    assert dump_router(r) == {**old, "rules": [{"id": "maths", "type": "classified", "description": "Math",
                                                 "route_to": "openai:o4-mini"}]}
    assert "classifier" not in dump_router(r)
    assert "examples" not in dump_router(parse_router(router(rules=[
        {"id": "a", "type": "classified", "description": "d", "examples": [], "route_to": "local:m"}])))["rules"][0]


@pytest.mark.parametrize(("data", "message"), [
    (router(rules=[{"id": "kw", "when": {"type": "image"}, "examples": ["x"], "route_to": "local:m"}]),
     "rules[0].examples: examples belong to plain-English rules"),
    (router(rules=[{"id": "a", "type": "classified", "description": "d", "examples": ["ok", " "],
                    "route_to": "local:m"}]),
     "rules[0].examples[1]: expected non-empty text"),
    (router(rules=[{"id": "a", "type": "classified", "description": "d", "examples": "one",
                    "route_to": "local:m"}]),
     "rules[0].examples: expected a list, got text 'one'"),
    (router(classifier={"decide_by": "vibes"}), 'classifier.decide_by: expected one of "auto", "examples", "llm"'),
    (router(classifier={"threshold": 1.5}), "classifier.threshold: is a similarity, between -1 and 1; got 1.5"),
    (router(classifier={"threshold": "high"}), "classifier.threshold: expected a number"),
    (router(classifier={"margin": -0.1}), "classifier.margin: is how far the best rule must lead the next"),
    (router(classifier={"embedding_model": "openai:text-embedding-3-small"}),
     'classifier.embedding_model: embeddings are made on this computer: expected "local:<model name>"'),
    (router(classifier={"embedding_model": "bge"}), 'classifier.embedding_model: expected "provider:model"'),
])
def test_errors_name_the_field(data, message):
    assert message in error_of(data)


def test_auto_uses_examples_only_when_every_rule_has_three():
    r = parse_router(router())
    auto = r.classifier
    assert not decides_by_examples(r.rules, auto)  # "poems" has one example
    assert decides_by_examples(r.rules[:1], auto)
    assert not decides_by_examples((), auto)
    assert decides_by_examples(r.rules, ClassifierConfig(decide_by="examples"))
    assert not decides_by_examples(r.rules[:1], ClassifierConfig(decide_by="llm"))


def test_embedding_model_defaults_to_the_bundled_encoder_whatever_the_classifier_model():
    assert embedding_target(ClassifierConfig(target="local:Qwen")) == "local:all-MiniLM-L6-v2"
    assert embedding_target(ClassifierConfig(target="openai:gpt-4o-mini")) == "local:all-MiniLM-L6-v2"
    assert embedding_target(ClassifierConfig(target="local:Qwen", embedding_model="local:bge")) == "local:bge"
