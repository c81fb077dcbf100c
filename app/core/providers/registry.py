"""From provider settings to live providers, and from a target to the one that serves it.

Settings hold no keys: each provider gets a lookup function that asks the secret
store at request time, so a key typed in Settings works at once and is never copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.core.providers.base import Provider
from app.core.providers.config import ProviderConfig
from app.core.providers.errors import ModelMissingError
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LOCAL
from app.core.router.targets import is_target, model_of, provider_of

SecretLookup = Callable[[str], str | None]  # provider id → its API key, or None


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

        # Imported here, when a provider is first used: their HTTP stack costs ~0.1 s of
        # start-up that a local-only `route` or `ask` never needs.
        if config.kind == "anthropic":
            from app.core.providers.anthropic import AnthropicProvider

            return AnthropicProvider(config.id, key, base_url=config.base_url)
        if config.kind == "gemini":
            from app.core.providers.gemini import GeminiProvider

            return GeminiProvider(config.id, key, base_url=config.base_url)
        from app.core.providers.openai_compat import OpenAICompatProvider

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
