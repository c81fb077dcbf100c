"""What a target can hold and see: its context window, longest reply and vision.

A local model's window is its settings' ``n_ctx``, bounded by the context length its own
GGUF file was trained for (read from the header once per file version). A remote
model's comes from, in order: the user's override, what the provider's model list
reported, the shipped catalog, else a cautious 32,768 tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.core.model_catalog import ModelCatalog, ModelEntry
from app.core.models.gguf_file import InvalidModelFile, read_gguf
from app.core.providers.local_settings import LocalModelSettings
from app.core.router.targets import is_local, model_of

log = logging.getLogger(__name__)

ASSUMED_WINDOW = 32_768  # a remote model nobody describes: most serve at least this


@dataclass(frozen=True, slots=True)
class Window:
    tokens: int  # what a request to this target may hold, prompt and reply together
    source: str  # "model settings", "your override", "the provider", "the catalog", "assumed"
    trained: int | None = None  # a local file's own context length, when it says


class TargetFacts:
    def __init__(self, catalog: ModelCatalog, *,
                 overrides: Callable[[], Mapping[str, ModelEntry]] = dict,
                 local_settings: Callable[[str], LocalModelSettings] = lambda _name: LocalModelSettings(),
                 local_path: Callable[[str], Path | None] = lambda _name: None) -> None:
        self._catalog = catalog
        self._overrides = overrides
        self._local_settings = local_settings
        self._local_path = local_path
        self._reported: dict[str, int] = {}  # target → window a provider's model list gave
        self._trained: dict[tuple[Path, int, int], int | None] = {}  # (path, mtime, size) →

    def window(self, target: str) -> Window:
        if is_local(target):
            return self._local_window(model_of(target))
        override = self._overrides().get(target)
        if override is not None and override.context is not None:
            return Window(override.context, "your override")
        if target in self._reported:
            return Window(self._reported[target], "the provider")
        entry = self._catalog.entry(target)
        if entry is not None and entry.context is not None:
            return Window(entry.context, "the catalog")
        return Window(ASSUMED_WINDOW, "assumed")

    def vision(self, target: str) -> bool:
        """Whether the target sees images. The local provider reads text only; a remote
        model nobody describes is trusted to, and its server says so when it cannot."""
        if is_local(target):
            return False
        sees = self._described(target, "vision")
        return True if sees is None else bool(sees)

    def max_output(self, target: str) -> int | None:
        """The longest reply the target writes, when known; None for local models (their
        window is the bound)."""
        if is_local(target):
            return None
        longest = self._described(target, "max_output")
        return None if longest is None else int(longest)

    def _described(self, target: str, name: str) -> int | bool | None:
        """A remote target's figure: the user's override, else the catalog's."""
        for entry in (self._overrides().get(target), self._catalog.entry(target)):
            value = getattr(entry, name, None)
            if value is not None:
                return value  # type: ignore[no-any-return]
        return None

    def learn(self, provider_id: str, windows: Mapping[str, int]) -> None:
        """Windows a provider's model list reported (``{"model": tokens}``): they beat the
        catalog, which may be older than the provider's change."""
        self._reported.update({f"{provider_id}:{model}": tokens for model, tokens in windows.items()})

    def _local_window(self, name: str) -> Window:
        n_ctx = self._local_settings(name).n_ctx
        trained = self._trained_context(self._local_path(name))
        if trained is not None and trained < n_ctx:
            return Window(trained, "the model file", trained)
        return Window(n_ctx, "model settings", trained)

    def _trained_context(self, path: Path | None) -> int | None:
        if path is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in self._trained:
            try:
                self._trained[key] = read_gguf(path).context_length
            except InvalidModelFile as exc:  # loading it says so in full; a window is no place
                log.info("no context length from %s: %s", path, exc)
                self._trained[key] = None
        return self._trained[key]
