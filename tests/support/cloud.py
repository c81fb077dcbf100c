"""The bundled templates' cloud providers set up with keys, so routing sees them ready
(as `ask` would on a machine where the user added them)."""

from __future__ import annotations

from dataclasses import replace

from app.core.providers.config import config_from_preset
from app.core.secrets import SERVICE
from app.core.settings import ProviderSettings, Settings
from tests.unit.conftest import MemoryKeyring

CLOUD = ("openai", "anthropic", "gemini")


def set_up_cloud(keyring: MemoryKeyring, providers: tuple[str, ...] = CLOUD) -> None:
    settings = Settings.load()
    replace(settings, providers=tuple(ProviderSettings(config_from_preset(p)) for p in providers)).save()
    for provider_id in providers:
        keyring.set_password(SERVICE, provider_id, "sk-test")
