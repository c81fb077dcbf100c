"""The targets a router editor offers: what this set-up can route to, each with its problem.

A router may name any ``provider:model``; the pickers list the ones that exist here
(downloaded local models, configured providers' models) first, and flag a target that
lacks a key, a provider or a downloaded file, so the user sees it before routing fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.core.availability import base_availability
from app.core.providers.config import ProviderConfig
from app.core.router.targets import LOCAL_PROVIDER, is_local, provider_of
from app.core.settings import ProviderSettings


@dataclass(frozen=True, slots=True)
class TargetChoice:
    target: str  # "provider:model"
    problem: str | None = None  # plain words ("no API key for anthropic"); None when usable

    @property
    def label(self) -> str:
        return self.target if self.problem is None else f"{self.target} — {self.problem}"


def target_problem(target: str, providers: Iterable[ProviderConfig], local_models: Iterable[str],
                   has_key: Callable[[str], bool]) -> str | None:
    """Why ``target`` could not answer on this set-up (offline mode aside), or None."""
    state = base_availability(target, frozenset(local_models), offline=False)
    if not state.ok:
        return state.reason
    if is_local(target):
        return None
    provider_id = provider_of(target)
    config = next((p for p in providers if p.id == provider_id), None)
    if config is None:
        return f"{provider_id} is not set up"
    if config.key_required and not has_key(provider_id):
        return f"no API key for {provider_id}"
    return None


def target_choices(providers: Iterable[ProviderSettings], local_models: Iterable[str],
                   priced_targets: Iterable[str], has_key: Callable[[str], bool],
                   also: Iterable[str] = ()) -> list[TargetChoice]:
    """Local models; each configured provider's default, chosen and priced models; then
    the targets in ``also`` (what the router being edited already names); each once."""
    providers = list(providers)
    configs = [p.config for p in providers]
    local_models = list(local_models)
    configured = {p.id for p in providers}
    seen = [f"{LOCAL_PROVIDER}:{name}" for name in local_models]
    for p in providers:
        seen += [f"{p.id}:{model}" for model in (p.config.default_model, *p.enabled_models) if model]
    seen += sorted(t for t in priced_targets if provider_of(t) in configured)
    seen += list(also)
    return [TargetChoice(t, target_problem(t, configs, local_models, has_key))
            for t in dict.fromkeys(seen)]
