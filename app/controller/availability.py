"""Which targets can answer right now, as the router and the fallback chain see it.

A remote target needs its provider set up, a key when the provider wants one, the app
not in offline mode, and no recent run of failures: a target that keeps failing is
cooled down for a while (LiteLLM's idea) so the next messages skip it at once.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable

from app.core.availability import base_availability
from app.core.providers.config import ProviderConfig
from app.core.router import Availability, AvailabilityCode
from app.core.router.targets import is_local, provider_of

FAILURES_TO_COOL = 3
FAILURE_WINDOW_S = 60.0
COOLDOWN_S = 60.0


class TargetHealth:
    """Recent failures per target, and the cool-downs they earned."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, *,
                 failures_to_cool: int = FAILURES_TO_COOL, cooldown_s: float = COOLDOWN_S) -> None:
        self._clock = clock
        self._failures_to_cool = failures_to_cool
        self._cooldown_s = cooldown_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._cool_until: dict[str, float] = {}

    def failed(self, target: str) -> None:
        now = self._clock()
        recent = self._failures[target]
        recent.append(now)
        while recent and now - recent[0] > FAILURE_WINDOW_S:
            recent.popleft()
        if len(recent) >= self._failures_to_cool:
            self._cool_until[target] = now + self._cooldown_s
            recent.clear()

    def succeeded(self, target: str) -> None:
        self._failures.pop(target, None)
        self._cool_until.pop(target, None)

    def cooling(self, target: str) -> float:
        """Seconds of cool-down left (0 when none)."""
        return max(0.0, self._cool_until.get(target, 0.0) - self._clock())


class Availabilities:
    """The router's availability check, built from settings, keys and recent health."""

    def __init__(
        self,
        providers: Callable[[], Iterable[ProviderConfig]],
        local_models: Callable[[], Collection[str]],
        has_key: Callable[[str], bool],
        offline: Callable[[], bool],
        health: TargetHealth,
    ) -> None:
        self._providers = providers
        self._local_models = local_models
        self._has_key = has_key
        self._offline = offline
        self.health = health

    def with_offline(self, offline: bool) -> Availabilities:
        """The same check with offline mode forced on or off (the editor's test panel)."""
        return Availabilities(self._providers, self._local_models, self._has_key,
                              lambda: offline, self.health)

    def __call__(self, target: str) -> Availability:
        cooling = self.health.cooling(target)
        if cooling:
            return Availability(False, f"cooling down for {cooling:.0f} s after repeated failures",
                                AvailabilityCode.COOLING)
        state = base_availability(target, self._local_models(), self._offline())
        if not state.ok or is_local(target):
            return state
        provider_id = provider_of(target)
        config = next((c for c in self._providers() if c.id == provider_id), None)
        if config is None:
            return Availability(False, f"{provider_id} is not set up", AvailabilityCode.NOT_SET_UP)
        if config.key_required and not self._has_key(provider_id):
            return Availability(False, f"no API key for {provider_id}", AvailabilityCode.NO_KEY)
        return Availability(True, "ready", AvailabilityCode.READY)
