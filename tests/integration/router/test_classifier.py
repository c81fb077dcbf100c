"""Plain-English rules decided by the real bundled model through llama.cpp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LocalModelSettings
from app.core.providers.registry import ProviderRegistry
from app.core.router import Availability, RouteContext, TraceKind, Turn, decide, parse_router
from app.core.router.classifier import apply_answer, classifier_messages, classify
from app.core.tokens import default_counter

pytestmark = pytest.mark.model
DEV = Path(__file__).parents[2] / "data" / "classifier_dev.jsonl"
ROUTES = {
    "code": "Programming: writing, fixing or explaining code, SQL, shell commands, regexes",
    "math": "Math: arithmetic, algebra, probability, proofs, unit conversions, word problems",
    "creative": "Creative writing: poems, stories, lyrics, jokes, slogans, names",
    "translation": "Translating text between languages or explaining a foreign word",
    "chitchat": "Small talk: greetings, feelings, opinions, questions about the assistant",
}


def router(timeout_s: float = 5.0, target: str = "local:SmolLM2-135M-Instruct", sticky=None,
           method: str = "loglik"):
    data = {"schema": 1, "name": "Classified", "fallback": ["local:SmolLM2-135M-Instruct"],
            "classifier": {"target": target, "timeout_s": timeout_s, "method": method},
            "rules": [{"id": rid, "type": "classified", "description": d, "route_to": f"remote:{rid}"}
                      for rid, d in ROUTES.items()]}
    if sticky:
        data["sticky"] = sticky
    return parse_router(data)


@pytest.fixture
async def local():
    """The providers a classifier can use; here only the local model."""
    registry = ProviderRegistry([], lambda provider_id: None,
                                LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=2048)))
    yield registry
    await registry.aclose()


def dev_set(n: int) -> list[dict[str, str]]:
    return [json.loads(line) for line in DEV.read_text().splitlines()[:n]]


@pytest.mark.parametrize("method", ["loglik", "grammar"])
async def test_answer_is_always_a_rule_or_none(local, method):
    r = router(method=method)
    for item in dev_set(8):
        answer = await classify(local, r.rules, [Turn("user", item["text"])], r.classifier, default_counter())
        assert answer.error is None
        assert answer.rule in (*ROUTES, None)
        assert set(answer.scores) == {*(rid for rid in ROUTES), "none"}


async def test_static_part_is_reused_from_the_prefix_cache(local):
    r = router()
    first = await classify(local, r.rules, [Turn("user", "hello there")], r.classifier, default_counter())
    second = await classify(local, r.rules, [Turn("user", "translate cat into French")], r.classifier,
                            default_counter())
    assert second.evaluated < second.tokens_in / 3  # only the message's tokens were evaluated
    assert first.tokens_in > 60


async def test_one_classified_rule_still_asks_yes_or_no(local):
    r = parse_router({"schema": 1, "name": "One", "fallback": ["local:SmolLM2-135M-Instruct"], "rules": [
        {"id": "maths", "type": "classified", "description": "Math problems", "route_to": "remote:m"}]})
    answer = await classify(local, r.rules, [Turn("user", "what is 2+2")], r.classifier, default_counter())
    assert answer.rule in ("maths", None) and set(answer.scores) == {"maths", "none"}


async def test_timeout_falls_through_to_fallback(local):
    r = router(timeout_s=0.001)
    ctx = RouteContext([Turn("user", "write me a haiku " * 40)], __import__("datetime").datetime.now().astimezone(),
                       lambda t: Availability(True, "test"))
    decision = decide(r, ctx)
    answer = await classify(local, [r.rule(i) for i in decision.needs_classifier], ctx.conversation,
                            r.classifier, default_counter())
    assert answer.rule is None and "no answer within" in answer.error
    final = apply_answer(decision, r, answer)
    assert final.target == "local:SmolLM2-135M-Instruct" and final.rule is None
    assert final.trace[-1].kind is TraceKind.CLASSIFIER and "no answer within" in final.trace[-1].detail
    # the model is still usable after the aborted evaluation
    again = await classify(local, r.rules, [Turn("user", "hi")], router().classifier, default_counter())
    assert again.error is None


async def test_classifier_error_falls_through(local):
    r = router(target="local:Not-Installed")
    answer = await classify(local, r.rules, [Turn("user", "hi")], r.classifier, default_counter())
    assert answer.rule is None and "not installed" in answer.error


def test_prompt_puts_the_static_part_first_and_truncates_the_message():
    r = router()
    long = "word " * 2000
    messages = classifier_messages(r.rules, [Turn("user", "earlier"), Turn("assistant", "x"), Turn("user", long)],
                                   r.classifier, default_counter())
    assert messages[0].role == "system" and "Creative writing" in messages[0].text
    assert messages[1].text.startswith("word") and default_counter().count(messages[1].text) <= 256
    assert "earlier" not in messages[1].text  # context_turns defaults to the message alone
