"""Tokens per message, as the model that would receive them counts them, cached.

A local model is counted with its own vocabulary and chat template (one trip to the
llama.cpp worker for all the messages not yet counted); a remote one with cl100k plus a
margin, since its tokenizer is not here and an estimate must err on the long side.
Each message text is counted once per tokenizer: fitting a 1,000-message chat on every
turn then costs dictionary lookups, not encoding.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

from app.core.router.targets import is_local, model_of
from app.core.tokens import TokenCounter, default_counter

REMOTE_MARGIN = 1.10  # cl100k against another tokenizer: Claude's and Gemini's run longer
REMOTE_OVERHEAD = 4  # tokens a message's role and separators cost in a chat API
IMAGE_TOKENS = 1_000  # an image, as most APIs bill a medium-sized one
CACHED = 50_000  # texts per tokenizer


class LocalCounting(Protocol):
    async def count_tokens_many(self, model: str, texts: Sequence[str]) -> list[int]: ...

    async def message_overhead(self, model: str) -> int: ...


class MessageCounts:
    def __init__(self, local: LocalCounting | None, counter: TokenCounter | None = None) -> None:
        self._local = local
        self._counter = counter
        self._cache: dict[str, OrderedDict[str, int]] = {}
        self._overhead: dict[str, int] = {}

    async def counts(self, target: str, texts: Sequence[str], images: Sequence[int] = ()) -> list[int]:
        """Tokens each message costs ``target``, its role and template included;
        ``images``: how many images each message carries (missing: none)."""
        if is_local(target) and self._local is not None:
            raw = await self._local_counts(model_of(target), texts)
            overhead = await self._local_overhead(model_of(target))
        else:
            raw = [math.ceil(n * REMOTE_MARGIN) for n in self._remote_counts(texts)]
            overhead = REMOTE_OVERHEAD
        pictures = list(images) + [0] * (len(texts) - len(images))
        return [n + overhead + IMAGE_TOKENS * k for n, k in zip(raw, pictures)]

    def estimate(self, text: str) -> int:
        """At once, without a model: cl100k with the margin (routing's quick check)."""
        return math.ceil(self._remote_counts([text])[0] * REMOTE_MARGIN) + REMOTE_OVERHEAD

    def _remote_counts(self, texts: Sequence[str]) -> list[int]:
        counter = self._counter or default_counter()
        cache = self._cache.setdefault("cl100k", OrderedDict())
        return [self._cached(cache, text, counter.count) for text in texts]

    async def _local_counts(self, model: str, texts: Sequence[str]) -> list[int]:
        assert self._local is not None
        cache = self._cache.setdefault(f"local:{model}", OrderedDict())
        known = {text: cache[text] for text in texts if text in cache}
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            for text, n in zip(missing, await self._local.count_tokens_many(model, missing)):
                known[text] = n
                self._store(cache, text, n)
        return [known[text] for text in texts]

    async def _local_overhead(self, model: str) -> int:
        if model not in self._overhead:
            assert self._local is not None
            self._overhead[model] = await self._local.message_overhead(model)
        return self._overhead[model]

    def _cached(self, cache: OrderedDict[str, int], text: str, count: Callable[[str], int]) -> int:
        n = cache.get(text)
        if n is None:
            n = count(text)
            self._store(cache, text, n)
        return n

    @staticmethod
    def _store(cache: OrderedDict[str, int], text: str, n: int) -> None:
        cache[text] = n
        if len(cache) > CACHED:
            cache.popitem(last=False)
