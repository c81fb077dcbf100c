"""Which router new chats use, and the rule that it never changes on its own.

A set-up with no provider routes new chats "Local only": every rule of a cloud-aware
router could only fall back to the local model. Adding the first provider used to switch
them to "Save money" without a word. Now the first provider keeps "Local only" for new
chats, written down as the user's choice, and leaves an offer of the cloud-aware router
that the window shows as a notice (and ``providers add`` prints) until it is answered.
A set-up that already has providers keeps whatever it had.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.controller.changes import Changes
from app.controller.saved_settings import SavedSettings
from app.core.router import library
from app.core.settings import ProviderSettings, Settings

CLOUD_AWARE = library.DEFAULT_ROUTER  # "Save money": local first, the cloud where it pays


def provider_values(settings: Settings, providers: Sequence[ProviderSettings]) -> dict[str, Any]:
    """The settings to save with ``providers``: on the first provider of a set-up that
    routed "Local only" for lack of one, "Local only" kept and the cloud router offered."""
    values: dict[str, Any] = {"providers": tuple(providers)}
    if not settings.providers and providers and settings.default_router == library.DEFAULT_ROUTER:
        values.update(default_router=library.LOCAL_ONLY, router_offer=CLOUD_AWARE)
    return values


def offer_words(offered: str, current: str) -> str:
    """What the notice (and the CLI) says, in two sentences."""
    return (f"You added a cloud provider. New chats still use “{current}”, so every message "
            f"stays on this computer; “{offered}” would send code, long chats and hard "
            "questions to cloud models and keep private data here.")


class RouterOffer:
    """The offer of a cloud-aware router for new chats, and the user's answer to it."""

    def __init__(self, saved: SavedSettings) -> None:
        self._saved = saved

    def pending(self) -> str | None:
        """The router offered, while the user has not answered."""
        return self._saved.current.router_offer

    def accept(self) -> str:
        """New chats use the offered router from now on; returns its name."""
        offered = self.pending() or CLOUD_AWARE
        self._saved.update(default_router=offered, router_offer=None, also=Changes(routers=True))
        return offered

    def decline(self) -> None:
        """New chats keep their router; the offer is not made again."""
        self._saved.update(router_offer=None)
