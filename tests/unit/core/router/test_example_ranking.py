"""Deciding by similarity: threshold, margin, top-k scoring and what the trace says."""

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from app.core.router import Availability, RouteContext, Turn, decide, parse_router
from app.core.router.classifier import ClassifierAnswer, apply_answer
from app.core.models.embedding_model import BUNDLED_EMBEDDER_TOKENS
from app.core.router.example_classifier import TOP_K, message_tokens, rank
from app.core.router.schema import ClassifierConfig

ROUTER = parse_router({"schema": 1, "name": "R", "fallback": ["local:m"], "rules": [
    {"id": "maths", "type": "classified", "description": "Math problems",
     "examples": ["sum", "product", "integral"], "route_to": "openai:o4-mini"},
    {"id": "poems", "type": "classified", "description": "Poetry",
     "examples": ["haiku", "sonnet", "limerick"], "route_to": "anthropic:claude"}]})


def context(message):
    return RouteContext([Turn("user", message)], datetime(2026, 1, 1, tzinfo=UTC), lambda t: Availability(True, "test"))


def unit(*xs):
    v = np.asarray(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


VECTORS = {"sum": unit(1, 0, 0), "product": unit(1, 0.2, 0), "integral": unit(0.2, 1, 1),
           "haiku": unit(0, 1, 0), "sonnet": unit(0, 1, 0.2), "limerick": unit(0, 0.2, 1)}


def test_the_closest_rule_wins_and_its_nearest_example_is_named():
    found = rank(ROUTER.rules, unit(1, 0.1, 0), VECTORS, ClassifierConfig(threshold=0.5, margin=0.05))
    assert found.rule == "maths"
    assert list(found.scores) == ["maths", "poems"]  # best first
    assert found.nearest == {"maths": "product", "poems": "haiku"}


def test_score_is_the_mean_of_the_closest_top_k():
    message = unit(1, 0, 0)
    similarities = sorted((VECTORS[e] @ message for e in ("sum", "product", "integral")), reverse=True)
    for k in (2, 3):
        found = rank(ROUTER.rules, message, VECTORS, ClassifierConfig(threshold=-1, margin=0), top_k=k)
        assert abs(found.scores["maths"] - np.mean(similarities[:k])) < 1e-6
    default = rank(ROUTER.rules, message, VECTORS, ClassifierConfig(threshold=-1, margin=0))
    assert abs(default.scores["maths"] - np.mean(similarities[:TOP_K])) < 1e-6
    assert rank(ROUTER.rules, message, VECTORS, ClassifierConfig(), top_k=1).scores["maths"] > 0.999


def test_below_threshold_or_inside_margin_chooses_nothing():
    between = unit(1, 1, 0)
    assert rank(ROUTER.rules, between, VECTORS, ClassifierConfig(threshold=-1, margin=0)).rule is not None
    undecided = rank(ROUTER.rules, between, VECTORS, ClassifierConfig(threshold=-1, margin=0.3))
    assert undecided.rule is None and "less than the margin 0.3" in undecided.why
    far = rank(ROUTER.rules, unit(0, 0, -1), VECTORS, ClassifierConfig(threshold=0.5, margin=0))
    assert far.rule is None and "below the threshold 0.5" in far.why
    assert set(far.scores) == {"maths", "poems"}  # the trace still gets every score


def test_trace_shows_each_rule_score_and_closest_example():
    decision = decide(ROUTER, context("1+1"))
    answer = ClassifierAnswer("maths", "local:m", 12.0, scores={"maths": 0.91, "poems": 0.84}, method="examples",
                              nearest={"maths": "sum", "poems": "haiku"}, why='"maths" 0.910, ahead by 0.070')
    final = apply_answer(decision, ROUTER, answer)
    assert final.target == "openai:o4-mini" and final.rule == "maths"
    lines = {t.rule or t.kind.value: t for t in final.trace}
    assert lines["maths"].matched and 'similarity 0.910 to its examples; closest: "sum"' in lines["maths"].detail
    assert not lines["poems"].matched and 'closest: "haiku"' in lines["poems"].detail
    assert "by its examples" in lines["classifier"].detail
    assert "closest to the examples" in final.reason
    assert answer.to_dict() == {"method": "examples", "model": "local:m", "answer": "maths", "latency_ms": 12.0,
                                "scores": {"maths": 0.91, "poems": 0.84}, "nearest": {"maths": "sum", "poems": "haiku"},
                                "embedded": 0, "why": '"maths" 0.910, ahead by 0.070'}


def test_examples_leaving_it_undecided_fall_back_with_the_reason():
    decision = decide(ROUTER, context("hm"))
    answer = ClassifierAnswer(None, "local:m", 9.0, scores={"maths": 0.5, "poems": 0.49}, method="examples",
                              nearest={"maths": "sum", "poems": "haiku"}, why="below the threshold")
    final = apply_answer(decision, ROUTER, answer)
    assert final.target == "local:m" and final.rule is None
    assert "matched no rule by examples: below the threshold" in final.trace[-1].detail
    assert "matched no rule by examples" in final.reason


def test_the_bundled_encoder_reads_no_more_of_a_message_than_it_was_trained_on():
    config = ClassifierConfig()  # the bundled encoder, a 256-token message budget
    assert message_tokens(config) == BUNDLED_EMBEDDER_TOKENS == 128
    assert message_tokens(replace(config, max_message_tokens=64)) == 64  # a smaller budget holds
    other = replace(config, embedding_model="local:bge-small", max_message_tokens=512)
    assert message_tokens(other) == 512  # another model: the router's budget
