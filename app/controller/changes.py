"""What an operation changed, so every face refreshes exactly what it shows.

Controller operations publish a ``Changes`` value on the session's ``ChangeHub`` after
they succeed (Anki's ``OpChanges`` / ``operation_did_execute``); the window's Qt adapter
re-emits it as signals, and each widget refreshes on the parts it displays. Nothing
polls the store to find out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields


@dataclass(frozen=True, slots=True)
class Changes:
    conversations: bool = False  # the list of chats: created, renamed, deleted, re-routed
    messages: frozenset[int] = field(default_factory=frozenset)  # conversation ids
    routers: bool = False  # router files saved, renamed, deleted, the default changed
    settings: bool = False  # settings.json was saved (any part)
    providers: bool = False  # providers added, edited or removed; keys set or removed
    local_models: bool = False  # installed models, or which one chats use
    usage: bool = False  # replies or classifier calls billed

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            conversations=self.conversations or other.conversations,
            messages=self.messages | other.messages,
            routers=self.routers or other.routers,
            settings=self.settings or other.settings,
            providers=self.providers or other.providers,
            local_models=self.local_models or other.local_models,
            usage=self.usage or other.usage,
        )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


NO_CHANGES = Changes()

Listener = Callable[[Changes], None]


class ChangeHub:
    """Listeners hear every non-empty ``Changes`` published, in subscription order."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._held: Changes | None = None  # collected inside ``batch``

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Returns the function that unsubscribes it again."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, changes: Changes) -> None:
        if not changes:
            return
        if self._held is not None:
            self._held |= changes
            return
        for listener in list(self._listeners):
            listener(changes)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Hold what is published inside and publish it once, as one ``Changes``, at the
        end: an operation of several steps (save settings, reconfigure, store a key) is
        heard when it is whole, not after its first step. What was done before an error
        is still published."""
        if self._held is not None:  # nested: the outer batch publishes
            yield
            return
        self._held = NO_CHANGES
        try:
            yield
        finally:
            held, self._held = self._held, None
            self.publish(held)
