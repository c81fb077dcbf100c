"""Setting up cloud providers: add, edit, remove, test — keys to the keyring only.

Settings hold how to reach a provider; its key goes to the OS keyring (or, without a
secure one, to memory for this session, and the caller is told so). A change takes effect
at once: the session's settings and provider registry are replaced together.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from app.core.providers.base import Health
from app.core.providers.config import PRESETS, ProviderConfig, config_from_preset
from app.core.providers.registry import ProviderRegistry
from app.core.secrets import SecretsError
from app.core.settings import ProviderSettings

if TYPE_CHECKING:
    from app.controller.session import Session


class ProviderSetup:
    def __init__(self, session: Session) -> None:
        self._session = session

    @staticmethod
    def presets() -> dict[str, str]:
        """Preset id → label, for the "Add provider" menu."""
        return {preset_id: preset.label for preset_id, preset in PRESETS.items()}

    @staticmethod
    def from_preset(preset_id: str, provider_id: str | None = None) -> ProviderConfig:
        return config_from_preset(preset_id, provider_id)

    def providers(self) -> list[ProviderSettings]:
        return list(self._session.settings.providers)

    def has_key(self, provider_id: str) -> bool:
        return self._session.secrets.cached(provider_id) is not None

    @property
    def keyring_status(self) -> tuple[bool, str]:
        """(secure, words for the status line)."""
        secrets = self._session.secrets
        if secrets.secure:
            return True, f"Keys are kept in the system keyring ({secrets.backend_name})."
        return False, secrets.warning or "No secure keyring: keys are kept for this session only."

    async def save(self, provider: ProviderSettings, key: str | None = None,
                   replacing: str | None = None) -> str | None:
        """Add ``provider`` (or replace ``replacing``) and store ``key`` if given.

        Returns a warning in plain words when the key could only be kept for this session;
        raises SettingsError when the settings file cannot be written.
        """
        session = self._session
        others = [p for p in session.settings.providers if p.id not in (replacing, provider.id)]
        position = next((i for i, p in enumerate(session.settings.providers) if p.id == replacing),
                        len(others))
        providers = (*others[:position], provider, *others[position:])
        settings = replace(session.settings, providers=providers)
        settings.save()
        session.settings = settings
        await session.registry.reconfigure(settings.provider_configs())
        if replacing and replacing != provider.id:
            await self._forget_key(replacing)
        if not key or not key.strip():
            return None
        try:
            await session.secrets.set(provider.id, key)
        except SecretsError as error:
            return str(error)
        return None if session.secrets.secure else session.secrets.warning

    async def remove(self, provider_id: str) -> str | None:
        """Remove a provider and its key; a warning if the keyring kept the key."""
        session = self._session
        settings = replace(session.settings,
                           providers=tuple(p for p in session.settings.providers if p.id != provider_id))
        settings.save()
        session.settings = settings
        await session.registry.reconfigure(settings.provider_configs())
        return await self._forget_key(provider_id)

    async def _forget_key(self, provider_id: str) -> str | None:
        try:
            await self._session.secrets.delete(provider_id)
        except SecretsError as error:
            return str(error)
        return None

    async def test(self, config: ProviderConfig, key: str | None = None) -> Health:
        """Reach the provider as it is in the form (``key`` typed, else the stored one):
        "OK, 12 models", "bad API key", "cannot reach …", "rate limited …"."""
        health, _ = await self._probe(config, key, want_models=False)
        return health

    async def list_models(self, config: ProviderConfig, key: str | None = None) -> tuple[Health, list[str]]:
        return await self._probe(config, key, want_models=True)

    async def _probe(self, config: ProviderConfig, key: str | None,
                     want_models: bool) -> tuple[Health, list[str]]:
        stored = self._session.secrets.cached(config.id)
        typed = key.strip() if key else None
        registry = ProviderRegistry([config], lambda _pid: typed or stored)
        try:
            provider = registry.get(config.id)
            health = await provider.health()
            models = await provider.list_models() if want_models and health.ok else []
        finally:
            await registry.aclose()
        return health, models
