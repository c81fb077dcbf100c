"""What would make a failed message answerable, named by the controller and offered by
each face as an action ("Add key for Anthropic…", "Go online")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from app.core.router import Availability, AvailabilityCode
from app.core.router.targets import provider_of


class FixKind(StrEnum):
    ADD_KEY = "add_key"  # a provider needs an API key, or refused the one it has
    GO_ONLINE = "go_online"  # offline mode left nothing to ask
    SET_UP_PROVIDER = "set_up_provider"  # a router names a provider that is not set up
    LOCAL_MODELS = "local_models"  # only a model on this computer may answer, and none could


@dataclass(frozen=True, slots=True)
class Fix:
    kind: FixKind
    provider: str | None = None  # for ADD_KEY and SET_UP_PROVIDER


def fix_for_unavailable(targets: Iterable[str], availability: Callable[[str], Availability]) -> Fix | None:
    """The one change that would bring a router's target back: offline mode first (one
    switch frees every remote target), then a missing key, then a missing provider."""
    states = {target: availability(target) for target in targets}
    codes = {state.code for state in states.values()}
    if AvailabilityCode.OFFLINE in codes:
        return Fix(FixKind.GO_ONLINE)
    for code, kind in ((AvailabilityCode.NO_KEY, FixKind.ADD_KEY),
                       (AvailabilityCode.NOT_SET_UP, FixKind.SET_UP_PROVIDER)):
        target = next((t for t, s in states.items() if s.code is code), None)
        if target is not None:
            return Fix(kind, provider_of(target))
    return None
