"""Setting up cloud providers: add, edit, remove, test — keys to the keyring only.

Settings hold how to reach a provider; its key goes to the OS keyring (or, without a
secure one, to memory for this session, and the caller is told so). A change takes effect
at once: the session's settings and provider registry are replaced together, and then
``Changes(providers=True, settings=True)`` is published (a key alone: providers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.controller.changes import Changes
from app.controller.default_router import provider_values
from app.core.providers.base import Health
from app.core.providers.config import PRESETS, ProviderConfig, config_from_preset
from app.core.providers.registry import ProviderRegistry
from app.core.providers.remote import RemoteProvider
from app.core.secrets import SecretsError
from app.core.settings import ProviderSettings, provider_id_problem

if TYPE_CHECKING:
    from app.controller.session import Session

CUSTOM = "custom"  # the "Add" menu's entry for any other OpenAI-compatible server
CUSTOM_URL = "http://127.0.0.1:8080/v1"  # llama.cpp's server on its default port


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    secure: bool  # a real OS keyring keeps the keys
    words: str  # for the status line: where keys are kept, or why only for this session


@dataclass(frozen=True, slots=True)
class ProviderSaved:
    """A provider (or its key) saved or removed."""

    provider_id: str
    warning: str | None = None  # the key is kept for this session only, or stayed in the keyring


@dataclass(frozen=True, slots=True)
class ModelList:
    health: Health
    models: tuple[str, ...] = ()  # empty unless health.ok


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

    def draft(self, preset_id: str, taken: set[str] | frozenset[str] = frozenset()) -> ProviderConfig:
        """A new provider from a preset (or ``CUSTOM``) under an ID no saved provider and
        none of ``taken`` uses: "openai", else "openai-2", "openai-3"…"""
        taken = {*taken, *(p.id for p in self._session.settings.providers)}
        base = preset_id if preset_id != CUSTOM else "custom"
        provider_id, number = base, 2
        while provider_id in taken:
            provider_id, number = f"{base}-{number}", number + 1
        if preset_id == CUSTOM:
            return ProviderConfig(provider_id, "openai", CUSTOM_URL, key_required=False)
        return config_from_preset(preset_id, provider_id)

    def id_problem(self, provider_id: str, new: bool) -> str | None:
        """Why ``provider_id`` cannot be saved (``new``: as another provider), in plain
        words; None when it can. The rule settings.json is read with."""
        problem = provider_id_problem(provider_id)
        if problem is None and new and any(p.id == provider_id for p in self._session.settings.providers):
            problem = f'There is already a provider called "{provider_id}".'
        return problem

    def providers(self) -> list[ProviderSettings]:
        return list(self._session.settings.providers)

    def has_key(self, provider_id: str) -> bool:
        return self._session.secrets.cached(provider_id) is not None

    @property
    def keyring_status(self) -> KeyringStatus:
        secrets = self._session.secrets
        if secrets.secure:
            return KeyringStatus(True, f"Keys are kept in the system keyring ({secrets.backend_name}).")
        return KeyringStatus(False, secrets.warning
                             or "No secure keyring: keys are kept for this session only.")

    async def save(self, provider: ProviderSettings, key: str | None = None,
                   replacing: str | None = None) -> ProviderSaved:
        """Add ``provider`` (or replace ``replacing``) and store ``key`` if given.

        The result's warning says, in plain words, when the key could only be kept for
        this session; raises SettingsError when the settings file cannot be written.
        """
        session = self._session
        current = session.settings.providers
        others = [p for p in current if p.id not in (replacing, provider.id)]
        position = next((i for i, p in enumerate(current) if p.id == replacing), len(others))
        with session.changes.batch():  # heard once, when the provider and its key are set
            # The first provider never switches new chats' router silently (default_router).
            settings = session.saved_settings.update(
                **provider_values(session.settings, (*others[:position], provider, *others[position:])),
                also=Changes(providers=True))
            await session.registry.reconfigure(settings.provider_configs())
            if replacing and replacing != provider.id:
                await self._forget_key(replacing)
            if not key or not key.strip():
                return ProviderSaved(provider.id)
            return await self.set_key(provider.id, key)

    async def set_key(self, provider_id: str, key: str) -> ProviderSaved:
        """Store ``provider_id``'s key in the keyring (off the event loop). Without a secure
        keyring, or when it refuses, the key still works for this session and the
        result's warning says so."""
        secrets = self._session.secrets
        try:
            await secrets.set(provider_id, key)
        except SecretsError as error:
            warning: str | None = str(error)
        else:
            warning = None if secrets.secure else secrets.warning
        self._session.changes.publish(Changes(providers=True))
        return ProviderSaved(provider_id, warning)

    async def remove(self, provider_id: str) -> ProviderSaved:
        """Remove a provider and its key; a warning if the keyring kept the key."""
        session = self._session
        with session.changes.batch():
            settings = session.saved_settings.update(
                providers=tuple(p for p in session.settings.providers if p.id != provider_id),
                also=Changes(providers=True))
            await session.registry.reconfigure(settings.provider_configs())
            return ProviderSaved(provider_id, await self._forget_key(provider_id))

    async def _forget_key(self, provider_id: str) -> str | None:
        try:
            await self._session.secrets.delete(provider_id)
        except SecretsError as error:
            return str(error)
        return None

    async def test(self, config: ProviderConfig, key: str | None = None) -> Health:
        """Reach the provider as it is in the form (``key`` typed, else the stored one):
        "OK, 12 models", "bad API key", "cannot reach …", "rate limited …"."""
        return (await self._probe(config, key, want_models=False)).health

    async def list_models(self, config: ProviderConfig, key: str | None = None) -> ModelList:
        return await self._probe(config, key, want_models=True)

    async def _probe(self, config: ProviderConfig, key: str | None, want_models: bool) -> ModelList:
        stored = self._session.secrets.cached(config.id)
        typed = key.strip() if key else None
        registry = ProviderRegistry([config], lambda _pid: typed or stored)
        try:
            provider = registry.get(config.id)
            health = await provider.health()
            models = await provider.list_models() if want_models and health.ok else []
            # What the list said about windows beats the shipped catalog for this session.
            if isinstance(provider, RemoteProvider):
                self._session.facts.learn(config.id, provider.reported_windows)
        finally:
            await registry.aclose()
        return ModelList(health, tuple(models))
