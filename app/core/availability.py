"""Which targets can answer right now.

Until provider settings exist this knows two facts: a local target is available when its
GGUF file is installed, and in offline mode no remote target is.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core.router.context import Availability, AvailabilityCheck
from app.core.router.targets import is_local, model_of

OFFLINE = Availability(False, "offline mode")
DOWNLOADED = Availability(True, "downloaded")
NOT_DOWNLOADED = Availability(False, "model not downloaded")
REMOTE = Availability(True, "remote provider")


def basic_availability(local_models: Iterable[str], offline: bool) -> AvailabilityCheck:
    installed = frozenset(local_models)

    def check(target: str) -> Availability:
        if is_local(target):
            return DOWNLOADED if model_of(target) in installed else NOT_DOWNLOADED
        return OFFLINE if offline else REMOTE

    return check
