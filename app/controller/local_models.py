"""The local models installed on this computer, held once for the whole session.

The llama.cpp provider (which file a name means), availability (is ``local:x`` there),
target choices and the settings pages all read this one list. It is read from disk at
start and again only when the app itself installs, imports or removes a model
(``refresh``), which then publishes ``Changes(local_models=True)``; before, the model
manager overwrote a list on the session while the provider rescanned the disk itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.controller.changes import ChangeHub, Changes
from app.controller.saved_settings import SavedSettings
from app.controller.model_library import usable_models
from app.core.models.library import LocalModel

__all__ = ["LocalModels"]


class LocalModels:
    def __init__(self, settings: SavedSettings, changes: ChangeHub,
                 load: Callable[[str], Awaitable[object]],
                 scan: Callable[[], list[LocalModel]] = usable_models) -> None:
        """``load(name)`` loads a model into the llama.cpp provider (the session passes
        its provider's); ``scan`` reads the models folders (a damaged file never hides a
        good one of the same name: see ``usable_models``)."""
        self._settings = settings
        self._changes = changes
        self._load = load
        self._scan = scan
        self._models = tuple(scan())

    def models(self) -> list[LocalModel]:
        """Every installed model, the user's before the bundled one (what the provider reads)."""
        return list(self._models)

    def names(self) -> list[str]:
        return [m.name for m in self._models]

    def __contains__(self, name: object) -> bool:
        return any(m.name == name for m in self._models)

    @property
    def chat_model(self) -> str:
        """The model chats use when a router says "local" (it may not be installed)."""
        return self._settings.current.default_local_model

    def refresh(self) -> bool:
        """Read the models folders again; publishes and returns True when the list changed."""
        models = tuple(self._scan())
        if models == self._models:
            return False
        self._models = models
        self._changes.publish(Changes(local_models=True))
        return True

    async def load_chat_model(self) -> str | None:
        """Load the chat model now, so the first local reply starts quickly. Returns its
        name, or None when it is not installed; raises the provider's error (a
        ``ModelMissingError`` for a broken file) when it cannot be loaded."""
        name = self.chat_model
        if name not in self:
            return None
        await self._load(name)
        return name
