"""What the core alone can say about a target: is its local model installed, and is
the app offline. The controller adds what needs settings and keys (provider set up, key
present, recent failures) on top of this."""

from __future__ import annotations

from collections.abc import Collection

from app.core.router.context import Availability, AvailabilityCode
from app.core.router.targets import is_local, model_of

OFFLINE = Availability(False, "offline mode", AvailabilityCode.OFFLINE)
DOWNLOADED = Availability(True, "downloaded", AvailabilityCode.DOWNLOADED)
NOT_DOWNLOADED = Availability(False, "model not downloaded", AvailabilityCode.NOT_DOWNLOADED)
REMOTE = Availability(True, "remote provider", AvailabilityCode.ASSUMED)


def base_availability(target: str, local_models: Collection[str], offline: bool) -> Availability:
    if is_local(target):
        return DOWNLOADED if model_of(target) in local_models else NOT_DOWNLOADED
    return OFFLINE if offline else REMOTE
