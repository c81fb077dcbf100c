"""What the classifier needs from the models: a protocol, not the providers package.

The classifier scores answer words and embeds examples with an in-process model, and
asks a remote one through its provider. It names only these few calls, so it does not
import the registry (every provider, llama.cpp included) and a test can hand it a
small stand-in. ``ProviderRegistry`` satisfies ``ClassifierModels``, and
``LocalLlamaProvider`` satisfies ``LocalScorer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from app.core.providers.base import CancelToken, ChatMessage, Provider
from app.core.providers.label_scores import LabelScores


class LocalScorer(Protocol):
    """An in-process model host that can score or choose answer words and embed texts."""

    def model_path(self, name: str) -> Path: ...

    async def score_next_token(self, model: str, messages: Sequence[ChatMessage],
                               labels: Sequence[str],
                               cancel: CancelToken | None = None) -> LabelScores: ...

    async def choose(self, model: str, messages: Sequence[ChatMessage], choices: Sequence[str],
                     cancel: CancelToken | None = None) -> LabelScores: ...

    async def embed(self, model: str, texts: Sequence[str],
                    max_tokens: int = ...) -> list[list[float]]: ...

    async def load_embedder(self, model: str) -> None: ...


class ClassifierModels(Protocol):
    """The local models, and the provider behind any ``provider:model`` target."""

    @property
    def local(self) -> LocalScorer: ...

    def resolve(self, target: str) -> tuple[Provider, str]: ...
