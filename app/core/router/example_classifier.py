"""Plain-English rules decided by their example messages, with a local embedding model.

The message and every example become mean-pooled vectors; a rule's score is the mean
cosine similarity of the message to its TOP_K closest examples. Measured with the
bundled encoder on the development set (scripts/bench.py classifier, 30 examples per
route), the mean of the 3 closest beat the 2 closest and the single closest (max): one
odd example cannot carry a rule on its own, and off-topic messages, which land near
one example by chance but not near three, are told apart best. The best rule wins if
it scores at least the router's threshold and leads the runner-up by its margin;
otherwise no rule is chosen and the caller decides what follows (the LLM classifier,
or the fallback).

The embedder is the bundled sentence encoder (models/embedding_model.py) unless the
router names another: a chat model's vectors barely tell topics apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.core.models.embedding_model import BUNDLED_EMBEDDER, BUNDLED_EMBEDDER_TOKENS
from app.core.router.classifier_models import LocalScorer
from app.core.router.embedding_cache import EmbeddingCache, Vector
from app.core.router.schema import MIN_EXAMPLES_FOR_AUTO, ClassifierConfig, Rule
from app.core.router.targets import model_of

TOP_K = 3


def embedding_target(config: ClassifierConfig) -> str:
    """The router's embedding model, else the bundled one (whatever the classifier model)."""
    return config.embedding_model or BUNDLED_EMBEDDER


def message_tokens(config: ClassifierConfig) -> int:
    """How many of a message's last tokens are embedded: the router's budget, and for the
    bundled encoder no more than it was trained on."""
    if embedding_target(config) == BUNDLED_EMBEDDER:
        return min(config.max_message_tokens, BUNDLED_EMBEDDER_TOKENS)
    return config.max_message_tokens


def decides_by_examples(rules: Sequence[Rule], config: ClassifierConfig) -> bool:
    if config.decide_by == "auto":
        return bool(rules) and all(len(r.examples) >= MIN_EXAMPLES_FOR_AUTO for r in rules)
    return config.decide_by == "examples"


@dataclass(frozen=True, slots=True)
class ExampleScores:
    rule: str | None  # the rule that cleared threshold and margin, if any
    scores: dict[str, float]  # rule id → similarity, best first
    nearest: dict[str, str]  # rule id → its example closest to the message
    embedded: int  # texts the model embedded for this decision (the message + new examples)
    why: str  # in words: what won by how much, or why nothing did


class ExampleClassifier:
    def __init__(self, local: LocalScorer, cache: EmbeddingCache) -> None:
        self._local = local
        self._cache = cache

    async def prepare(self, config: ClassifierConfig) -> None:
        """Load and warm the embedding model: a one-off per process, so never part of a
        decision's time limit (the first message after a start would miss it)."""
        await self._local.load_embedder(model_of(embedding_target(config)))

    async def example_vectors(self, rules: Sequence[Rule], config: ClassifierConfig) -> tuple[dict[str, Vector], int]:
        """Every example's vector, embedding only those not cached yet; also how many were new."""
        name = model_of(embedding_target(config))
        path = self._local.model_path(name)
        key = self._cache.known_key(path)
        if key is None:
            key = await asyncio.to_thread(self._cache.model_key, path)
        texts = list(dict.fromkeys(e for r in rules for e in r.examples))
        found = self._cache.remembered(key, texts)
        if len(found) < len(texts):
            found |= await asyncio.to_thread(self._cache.load, key, [t for t in texts if t not in found])
        missing = [t for t in texts if t not in found]
        if missing:
            vectors = await self._local.embed(name, missing, message_tokens(config))
            found |= await asyncio.to_thread(self._cache.store, key, dict(zip(missing, vectors)))
        return found, len(missing)

    async def score(self, rules: Sequence[Rule], message: str, config: ClassifierConfig,
                    examples: dict[str, Vector] | None = None) -> ExampleScores:
        """``examples``: from example_vectors, when the caller already has them."""
        new = 0
        if examples is None:
            examples, new = await self.example_vectors(rules, config)
        name = model_of(embedding_target(config))
        [embedded] = await self._local.embed(name, [message], message_tokens(config))
        return rank(rules, np.asarray(embedded, dtype=np.float32), examples, config, new + 1)


def rank(rules: Sequence[Rule], message: Vector, examples: dict[str, Vector], config: ClassifierConfig,
         embedded: int = 0, top_k: int = TOP_K) -> ExampleScores:
    """Score each rule against the message (vectors are unit length: dot = cosine)."""
    scores: dict[str, float] = {}
    nearest: dict[str, str] = {}
    for rule in rules:
        if not rule.examples:
            continue  # "examples" mode with an example-less rule: it cannot win
        similarity = np.stack([examples[e] for e in rule.examples]) @ message
        order = np.argsort(-similarity)
        scores[rule.id] = float(similarity[order[:top_k]].mean())
        nearest[rule.id] = rule.examples[int(order[0])]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    scores = dict(ranked)
    if not ranked:
        return ExampleScores(None, {}, {}, embedded, "no rule has examples")
    best, top = ranked[0]
    lead = top - ranked[1][1] if len(ranked) > 1 else top
    if top < config.threshold:
        why = f'best "{best}" {top:.3f} is below the threshold {config.threshold:g}'
        return ExampleScores(None, scores, nearest, embedded, why)
    if len(ranked) > 1 and lead < config.margin:
        why = f'"{best}" {top:.3f} leads "{ranked[1][0]}" by {lead:.3f}, less than the margin {config.margin:g}'
        return ExampleScores(None, scores, nearest, embedded, why)
    return ExampleScores(best, scores, nearest, embedded, f'"{best}" {top:.3f}, ahead by {lead:.3f}')
