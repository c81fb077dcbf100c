"""From provider settings to live providers, and from a target to the one that serves it.

Settings hold no keys: each provider gets a lookup function that asks the secret
store at request time, so a key typed in Settings works at once and is never copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from app.core.providers.anthropic import AnthropicProvider
from app.core.providers.base import Provider
from app.core.providers.errors import ModelMissingError
from app.core.providers.gemini import GeminiProvider
from app.core.providers.local_llama import LOCAL, LocalLlamaProvider
from app.core.providers.openai_compat import OpenAICompatProvider
from app.core.router.targets import is_target, model_of, provider_of

Kind = Literal["openai", "anthropic", "gemini"]
SecretLookup = Callable[[str], str | None]  # provider id → its API key, or None


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    id: str  # the part before ":" in a target
    kind: Kind
    base_url: str
    default_model: str | None = None
    key_required: bool = True  # False for local servers (Ollama, LM Studio, llama.cpp)


@dataclass(frozen=True, slots=True)
class Preset:
    label: str
    kind: Kind
    base_url: str
    key_required: bool = True


PRESETS: dict[str, Preset] = {
    "openai": Preset("OpenAI", "openai", "https://api.openai.com/v1"),
    "anthropic": Preset("Anthropic", "anthropic", "https://api.anthropic.com"),
    "gemini": Preset("Google Gemini", "gemini", "https://generativelanguage.googleapis.com"),
    "openrouter": Preset("OpenRouter", "openai", "https://openrouter.ai/api/v1"),
    "groq": Preset("Groq", "openai", "https://api.groq.com/openai/v1"),
    "mistral": Preset("Mistral", "openai", "https://api.mistral.ai/v1"),
    "deepseek": Preset("DeepSeek", "openai", "https://api.deepseek.com/v1"),
    "together": Preset("Together", "openai", "https://api.together.xyz/v1"),
    "ollama": Preset("Ollama", "openai", "http://127.0.0.1:11434/v1", key_required=False),
    "lmstudio": Preset("LM Studio", "openai", "http://127.0.0.1:1234/v1", key_required=False),
}


def config_from_preset(preset_id: str, provider_id: str | None = None) -> ProviderConfig:
    preset = PRESETS[preset_id]
    return ProviderConfig(provider_id or preset_id, preset.kind, preset.base_url,
                          key_required=preset.key_required)


class ProviderRegistry:
    """Providers by id, created on first use and closed together."""

    def __init__(
        self,
        configs: Iterable[ProviderConfig],
        secrets: SecretLookup,
        local: LocalLlamaProvider | None = None,
    ) -> None:
        self._configs = {c.id: c for c in configs}
        self._secrets = secrets
        self._live: dict[str, Provider] = {}
        self._local = local or LocalLlamaProvider()
        self._live[LOCAL] = self._local

    @property
    def local(self) -> LocalLlamaProvider:
        return self._local

    def configs(self) -> list[ProviderConfig]:
        return list(self._configs.values())

    def get(self, provider_id: str) -> Provider:
        live = self._live.get(provider_id)
        if live is not None:
            return live
        config = self._configs.get(provider_id)
        if config is None:
            raise ModelMissingError(f'No provider called "{provider_id}" is set up. '
                                    "Add it in Settings → Providers.", provider=provider_id)
        live = self._live[provider_id] = self._create(config)
        return live

    def register(self, provider: Provider) -> None:
        """Use a provider built elsewhere (a custom client, a test double of a server)."""
        self._live[provider.id] = provider

    def _create(self, config: ProviderConfig) -> Provider:
        def key() -> str | None:
            return self._secrets(config.id)

        if config.kind == "anthropic":
            return AnthropicProvider(config.id, key, base_url=config.base_url)
        if config.kind == "gemini":
            return GeminiProvider(config.id, key, base_url=config.base_url)
        return OpenAICompatProvider(config.id, config.base_url, key, key_required=config.key_required)

    def resolve(self, target: str) -> tuple[Provider, str]:
        """The provider and model name a ``provider:model`` target stands for."""
        if not is_target(target):
            raise ModelMissingError(f'"{target}" is not a target (expected "provider:model")')
        return self.get(provider_of(target)), model_of(target)

    async def reconfigure(self, configs: Iterable[ProviderConfig]) -> None:
        """New settings: providers whose settings changed are closed and made anew."""
        new = {c.id: c for c in configs}
        for provider_id, old in list(self._configs.items()):
            if new.get(provider_id) != old and provider_id in self._live:
                await self._live.pop(provider_id).aclose()
        self._configs = new

    async def aclose(self) -> None:
        for provider in self._live.values():
            await provider.aclose()
        self._live.clear()
