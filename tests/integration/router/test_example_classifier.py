"""Plain-English rules decided by their examples, with the real bundled sentence encoder."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LocalModelSettings
from app.core.providers.registry import ProviderRegistry
from app.core.router import Turn, parse_router
from app.core.router.classifier import classify
from app.core.router.embedding_cache import EmbeddingCache
from app.core.router.schema import ClassifierConfig
from app.core.tokens import default_counter

pytestmark = pytest.mark.model
EXAMPLES = json.loads((Path(__file__).parents[2] / "data" / "classifier_examples.json").read_text())
DATA = Path(__file__).parents[2] / "data"
CHAT = "SmolLM2-135M-Instruct"
ENCODER = "all-MiniLM-L6-v2"  # the bundled embedding model, the default
DEFAULT = ClassifierConfig()


def router(decide_by: str = "auto", threshold: float = DEFAULT.threshold, margin: float = DEFAULT.margin,
           examples=EXAMPLES, routes=("code", "translation", "chitchat"), timeout_s: float = 30):
    return parse_router({
        "schema": 1, "name": "Examples", "fallback": ["local:SmolLM2-135M-Instruct"],
        "classifier": {"decide_by": decide_by, "threshold": threshold, "margin": margin, "timeout_s": timeout_s},
        "rules": [{"id": r, "type": "classified", "description": f"messages about {r}",
                   "examples": examples.get(r, []), "route_to": f"remote:{r}"} for r in routes]})


class CountingProvider(LocalLlamaProvider):
    """The real provider, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        super().__init__(settings_for=lambda name: LocalModelSettings(n_ctx=2048))
        self.embedded: list[str] = []

    async def embed(self, model, texts, max_tokens=256):
        self.embedded.extend(texts)
        return await super().embed(model, texts, max_tokens)


@pytest.fixture
async def local():
    provider = CountingProvider()
    registry = ProviderRegistry([], lambda provider_id: None, provider)
    yield registry
    await registry.aclose()


def ask(local, r, text, cache):
    return classify(local, r.rules, [Turn("user", text)], r.classifier, default_counter(), cache)


async def test_embeddings_are_unit_vectors_and_similar_texts_are_closer(local):
    a, b, c = await local.local.embed(ENCODER, ["translate 'hello' into french", "translate 'goodbye' into french",
                                                "my rust code does not compile"])
    dot = lambda x, y: sum(p * q for p, q in zip(x, y))
    assert len(a) == 384 and abs(dot(a, a) - 1) < 1e-3
    assert dot(a, b) > 0.5 and dot(a, c) < 0.2  # a sentence encoder: unrelated texts are far apart


async def test_long_messages_are_cut_to_the_token_budget(local):
    [long], [short] = await local.local.embed(ENCODER, ["word " * 5000]), await local.local.embed(
        ENCODER, ["word " * 5000], max_tokens=8)
    assert len(long) == len(short) == 384  # embedded without overflowing the context


async def test_examples_decide_and_the_answer_explains(local, tmp_path):
    r = router()
    answer = await ask(local, r, "how do you say 'good night' in spanish", EmbeddingCache(tmp_path / "c.sqlite3"))
    assert answer.method == "examples" and answer.error is None
    assert answer.rule == "translation"
    assert next(iter(answer.scores)) == "translation" and set(answer.scores) == {"code", "translation", "chitchat"}
    assert answer.nearest["translation"] in EXAMPLES["translation"]
    out = answer.to_dict()
    assert {"method", "model", "answer", "latency_ms", "scores"} <= set(out) and out["model"] == f"local:{ENCODER}"


async def test_cache_hits_skip_re_embedding(local, tmp_path):
    provider: CountingProvider = local.local
    path = tmp_path / "c.sqlite3"
    r = router()
    n_examples = sum(len(rule.examples) for rule in r.rules)
    first = await ask(local, r, "hello!", EmbeddingCache(path))
    assert first.embedded == n_examples + 1 and len(provider.embedded) == n_examples + 1
    provider.embedded.clear()
    again = await ask(local, r, "hi again", EmbeddingCache(path))  # a fresh start: read back from disk
    assert again.embedded == 1 and provider.embedded == ["hi again"]
    assert again.scores.keys() == first.scores.keys()
    provider.embedded.clear()
    more = {**EXAMPLES, "chitchat": [*EXAMPLES["chitchat"], "good evening, how's it going"]}
    await ask(local, router(examples=more), "hey", EmbeddingCache(path))
    assert provider.embedded == ["good evening, how's it going", "hey"]  # only the new example


async def test_threshold_and_margin_fall_through(local, tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    strict = await ask(local, router(decide_by="examples", threshold=0.999), "translate 'cat' to french", cache)
    assert strict.method == "examples" and strict.rule is None and "below the threshold" in strict.why
    wide = await ask(local, router(decide_by="examples", threshold=-1, margin=0.9), "translate 'cat' to french", cache)
    assert wide.rule is None and "less than the margin" in wide.why
    auto = await ask(local, router(decide_by="auto", threshold=0.999), "translate 'cat' to french", cache)
    assert auto.method == "llm" and auto.undecided is not None and auto.undecided.method == "examples"
    assert auto.error is None and set(auto.to_dict()["undecided"]["scores"]) == {"code", "translation", "chitchat"}


async def test_auto_switches_on_the_number_of_examples(local, tmp_path):
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    enough = await ask(local, router(), "fix my python KeyError", cache)
    assert enough.method == "examples"
    few = {**EXAMPLES, "code": EXAMPLES["code"][:2]}
    too_few = await ask(local, router(examples=few), "fix my python KeyError", cache)
    assert too_few.method == "llm" and too_few.undecided is None and too_few.scores.keys() >= {"none"}
    forced = await ask(local, router(decide_by="llm"), "fix my python KeyError", cache)
    assert forced.method == "llm"


async def test_a_missing_embedding_model_is_an_answer_of_none(local, tmp_path):
    r = parse_router({"schema": 1, "name": "x", "fallback": ["local:SmolLM2-135M-Instruct"],
                      "classifier": {"decide_by": "examples", "embedding_model": "local:Not-Installed"},
                      "rules": [{"id": "a", "type": "classified", "description": "d", "examples": ["x", "y", "z"],
                                 "route_to": "remote:a"}]})
    answer = await ask(local, r, "hi", EmbeddingCache(tmp_path / "c.sqlite3"))
    assert answer.rule is None and "not installed" in answer.error and answer.method == "examples"


async def test_chat_model_stays_loaded_while_embedding(local, tmp_path):
    provider = local.local
    await provider.load(CHAT)
    loaded = provider.loaded
    await ask(local, router(), "hello", EmbeddingCache(tmp_path / "c.sqlite3"))
    assert provider.loaded is loaded  # the embedder is a second context, not a reload


@pytest.mark.model
async def test_warming_a_router_embeds_its_new_examples_once(tmp_path):
    from app.controller.router_folders import RouterFolders
    from app.core.router.classifier import warm_examples

    router = RouterFolders().find("Specialists")
    registry = ProviderRegistry([], lambda provider_id: None, LocalLlamaProvider())
    cache = EmbeddingCache(tmp_path / "cache.sqlite3")
    try:
        expected = len({e for r in router.rules for e in r.examples})
        assert expected >= 16
        assert await warm_examples(registry, router, cache) == expected
        assert await warm_examples(registry, router, cache) == 0  # all cached now
        assert await warm_examples(registry, replace(router, classifier=replace(router.classifier, decide_by="llm")),
                                   EmbeddingCache(tmp_path / "other.sqlite3")) == 0
    finally:
        await registry.aclose()


class SlowToLoad(CountingProvider):
    """Loading the embedder takes longer than the router's whole time limit."""

    async def load_embedder(self, model):
        await asyncio.sleep(3)
        await super().load_embedder(model)


async def test_loading_the_embedder_is_not_held_to_the_time_limit(tmp_path):
    registry = ProviderRegistry([], lambda provider_id: None, SlowToLoad())
    try:
        answer = await ask(registry, router(timeout_s=2.5), "how do you say 'good night' in spanish",
                           EmbeddingCache(tmp_path / "c.sqlite3"))
    finally:
        await registry.aclose()
    assert answer.error is None and answer.rule == "translation"


def dataset(name):
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


async def test_the_calibrated_defaults_route_the_dev_set_and_leave_off_topic_messages_alone(local, tmp_path):
    """The defaults (threshold, margin, top-k) as scripts/bench.py classifier chose them."""
    routes = tuple(EXAMPLES)
    r = router(decide_by="examples", routes=routes)
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    dev = [(item["route"], (await ask(local, r, item["text"], cache)).rule) for item in dataset("classifier_dev.jsonl")]
    off = [(await ask(local, r, item["text"], cache)).rule for item in dataset("classifier_offtopic.jsonl")]
    accuracy = sum(truth == answer for truth, answer in dev) / len(dev)
    to_fallback = sum(answer is None for answer in off) / len(off)
    assert accuracy >= 0.9 and to_fallback >= 0.8, (accuracy, to_fallback)
