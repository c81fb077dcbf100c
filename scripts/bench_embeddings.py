"""bench classifier, "examples": the embedding models side by side in one run.

For each model, the dev set (tests/data/classifier_dev.jsonl, 5 routes) decided by
similarity to each route's examples (tests/data/classifier_examples.json), through the
same ``classify`` call the app makes, with the thresholds the model is used with:

- accuracy overall and per route (a message left undecided counts as wrong);
- p50/p99 per decision for short messages (the dev set, all under 64 tokens) and for
  messages of well over 256 tokens (the classifier's default message budget, of which
  the bundled encoder reads the last 128, the length it was trained on);
- the off-topic rate: the share of tests/data/classifier_offtopic.jsonl (messages that
  belong to none of the routes) that go to no rule, i.e. to the router's fallback;
- the cold first decision: ``python -m app route`` in a new process, load included,
  with a fresh data folder (every example embedded) and again with the cache on disk;
- the threshold/margin sweep the bundled model's defaults were chosen from.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.models.embedding_model import BUNDLED_EMBEDDER
from app.core.router import Router, Turn, parse_router
from app.core.router.example_classifier import TOP_K
from app.core.router.schema import ClassifierConfig

SMOLLM2 = "local:SmolLM2-135M-Instruct"
# Each model with the threshold and margin it is used with: the bundled encoder's are
# the defaults (ClassifierConfig); SmolLM2's are the ones it was tuned to before.
MODELS = {BUNDLED_EMBEDDER: (ClassifierConfig().threshold, ClassifierConfig().margin),
          SMOLLM2: (0.8, 0.002)}
LONG_MESSAGES = 20


def data(name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in (ROOT / "tests" / "data" / name).read_text().splitlines() if line]


def percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def examples_router(routes: dict[str, str], model: str, threshold: float, margin: float) -> Router:
    examples = json.loads((ROOT / "tests/data/classifier_examples.json").read_text())
    return parse_router({
        "schema": 1, "name": "Bench", "fallback": [SMOLLM2],
        "classifier": {"timeout_s": 60, "decide_by": "examples", "embedding_model": model,
                       "threshold": threshold, "margin": margin},
        "rules": [{"id": k, "type": "classified", "description": v, "examples": examples[k], "route_to": f"x:{k}"}
                  for k, v in routes.items()]})


def long_messages(dev: list[dict[str, str]]) -> list[str]:
    """Messages of well over 256 tokens (the bundled encoder reads their last 128, the
    length it was trained on; another embedding model their last 256, the router's budget)."""
    texts = [item["text"] for item in dev]
    return [" ".join(texts[i:] + texts[:i]) for i in range(0, len(texts), max(1, len(texts) // LONG_MESSAGES))][
        :LONG_MESSAGES]


def bench_examples(dev: list[dict[str, str]], routes: dict[str, str]) -> dict[str, Any]:
    offtopic = data("classifier_offtopic.jsonl")
    examples = json.loads((ROOT / "tests/data/classifier_examples.json").read_text())
    tests = {item["text"].strip().casefold() for item in [*dev, *offtopic]}
    overlap = [e for texts in examples.values() for e in texts if e.strip().casefold() in tests]
    assert not overlap, f"examples that are also test prompts: {overlap}"
    models = {}
    for model, (threshold, margin) in MODELS.items():
        router = examples_router(routes, model, threshold, margin)
        models[model] = {**asyncio.run(_bench_model(router, dev, offtopic)), **cold_route(router)}
    return {
        "method": f"cosine similarity, mean of the {TOP_K} closest examples per route, mean-pooled vectors",
        "examples_per_route": {k: len(v) for k, v in examples.items()},
        "offtopic_messages": len(offtopic),
        "models": models,
    }


async def _bench_model(router: Router, dev: list[dict[str, str]], offtopic: list[dict[str, str]]) -> dict[str, Any]:
    from app.core.providers.local_llama import LocalLlamaProvider
    from app.core.providers.local_settings import LocalModelSettings
    from app.core.providers.registry import ProviderRegistry
    from app.core.router.classifier import classify
    from app.core.router.embedding_cache import EmbeddingCache
    from app.core.router.example_classifier import ExampleClassifier, embedding_target, rank
    from app.core.router.targets import model_of
    from app.core.tokens import default_counter

    counter = default_counter()
    local = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=2048))
    registry = ProviderRegistry([], lambda provider_id: None, local)
    config = router.classifier

    async def decide(text: str) -> tuple[str | None, float]:
        answer = await classify(registry, router.rules, [Turn("user", text)], config, counter, cache)
        assert answer.error is None, answer.error
        return answer.rule, answer.latency_ms

    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite3")
        started = time.perf_counter()
        await ExampleClassifier(local, cache).prepare(config)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        vectors, _ = await ExampleClassifier(local, cache).example_vectors(router.rules, config)
        embed_examples_s = time.perf_counter() - started
        short = [(item["route"], *await decide(item["text"])) for item in dev]
        long = [(await decide(text))[1] for text in long_messages(dev)]
        off = [(await decide(item["text"]))[0] for item in offtopic]
        # The raw similarities, for the sweep: every message ranked with no threshold.
        loose = replace(config, threshold=-1.0, margin=0.0)
        raw = []
        for item in [*dev, *offtopic]:
            [vector] = await local.embed(model_of(embedding_target(config)), [item["text"]])
            raw.append((item.get("route"), rank(router.rules, np.asarray(vector, dtype=np.float32), vectors, loose)))
        await local.aclose()
    per_route: dict[str, list[bool]] = defaultdict(list)
    for truth, answer, _ in short:
        per_route[truth].append(answer == truth)
    return {
        "threshold": config.threshold,
        "margin": config.margin,
        "accuracy": round(sum(sum(v) for v in per_route.values()) / len(short), 3),
        "accuracy_per_route": {k: round(sum(v) / len(v), 3) for k, v in sorted(per_route.items())},
        "undecided": sum(1 for _, a, _ in short if a is None),
        "offtopic_to_no_rule": round(sum(1 for a in off if a is None) / len(off), 3),
        "short_p50_ms": round(statistics.median(t for _, _, t in short), 1),
        "short_p99_ms": round(percentile([t for _, _, t in short], 99), 1),
        "long_256_p50_ms": round(statistics.median(long), 1),
        "long_256_p99_ms": round(percentile(long, 99), 1),
        "load_and_warm_s": round(load_s, 3),
        "embed_examples_s": round(embed_examples_s, 2),
        "sweep": sweep(raw),
    }


def sweep(raw: list[tuple[str | None, Any]]) -> list[dict[str, float]]:
    """Dev accuracy and off-topic rate for a grid of thresholds and margins."""
    rows = []
    # Fine steps where the bundled encoder's on- and off-topic scores meet, coarse above
    # (a chat model's scores all sit near 0.8).
    thresholds = [*np.arange(0.15, 0.35, 0.01), 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85]
    for threshold in thresholds:
        for margin in (0.0, 0.01, 0.02, 0.03, 0.04):
            right = off_none = n_dev = n_off = 0
            for truth, scores in raw:
                ranked = list(scores.scores.items())
                top = ranked[0][1]
                lead = top - ranked[1][1] if len(ranked) > 1 else top
                chosen = ranked[0][0] if top >= threshold and lead >= margin else None
                if truth is None:
                    n_off += 1
                    off_none += chosen is None
                else:
                    n_dev += 1
                    right += chosen == truth
            rows.append({"threshold": round(float(threshold), 2), "margin": margin,
                         "accuracy": round(right / n_dev, 3), "offtopic_to_no_rule": round(off_none / n_off, 3)})
    return rows


def cold_route(router: Router) -> dict[str, Any]:
    """``python -m app route`` in a new process: wall time and the classifier's own time,
    first with nothing cached (every example embedded), then with the cache on disk."""
    from app.core.router.schema import dump_router

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as home:
        path = Path(home) / "bench-router.json"
        # The app's own time limit: loading and embedding examples must not count against it.
        # Local targets only: the process has no cloud provider set up.
        data = dump_router(replace(router, classifier=replace(router.classifier, timeout_s=2.0)))
        data["rules"] = [{**rule, "route_to": SMOLLM2} for rule in data["rules"]]
        path.write_text(json.dumps(data))
        env = {**os.environ, "SWITCHBOARD_HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        for label in ("cold_fresh_home", "cold_examples_cached"):
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "app", "route", "--router", str(path), "--message",
                                   "how do you say 'thank you very much' in italian", "--json"],
                                  cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
            wall = time.perf_counter() - started
            if proc.returncode != 0:
                raise RuntimeError(f"route failed ({proc.returncode}): {proc.stderr[-500:]}")
            result = json.loads(proc.stdout)
            classifier = result["classifier"]
            out[label] = {"process_s": round(wall, 2), "rule": result["rule"], "method": classifier["method"],
                          "classifier_ms": classifier["latency_ms"], "error": classifier.get("error")}
    return out
