import pytest

from app.core.providers.anthropic import AnthropicProvider
from app.core.providers.config import PRESETS, ProviderConfig, config_from_preset
from app.core.providers.errors import ModelMissingError
from app.core.providers.gemini import GeminiProvider
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.openai_compat import OpenAICompatProvider
from app.core.providers.registry import ProviderRegistry


@pytest.fixture
async def registry():
    asked = []

    def secrets(provider_id):
        asked.append(provider_id)
        return f"key-for-{provider_id}"

    configs = [config_from_preset("openai"), config_from_preset("anthropic"),
               config_from_preset("gemini"), config_from_preset("ollama", "home")]
    reg = ProviderRegistry(configs, secrets)
    reg.asked = asked
    yield reg
    await reg.aclose()


async def test_targets_resolve_to_providers_of_the_right_kind(registry):
    cases = {"openai:gpt-4o-mini": OpenAICompatProvider, "anthropic:claude-sonnet-4-5": AnthropicProvider,
             "gemini:gemini-2.5-flash": GeminiProvider, "home:llama3:8b": OpenAICompatProvider,
             "local:SmolLM2-135M-Instruct": LocalLlamaProvider}
    for target, kind in cases.items():
        provider, model = registry.resolve(target)
        assert isinstance(provider, kind)
        assert model == target.split(":", 1)[1]


async def test_providers_are_created_once(registry):
    assert registry.get("openai") is registry.get("openai")


async def test_keys_are_looked_up_at_request_time_not_stored(registry):
    provider = registry.get("openai")
    assert registry.asked == []  # creating a provider reads no key
    assert "key-for" not in repr(provider)
    assert provider._headers() == {"Authorization": "Bearer key-for-openai"}
    assert registry.asked == ["openai"]


async def test_unknown_provider_is_a_plain_error(registry):
    with pytest.raises(ModelMissingError, match='No provider called "azure" is set up'):
        registry.resolve("azure:gpt-4o")
    with pytest.raises(ModelMissingError, match="is not a target"):
        registry.resolve("nonsense")


async def test_reconfigure_replaces_changed_providers(registry):
    old = registry.get("openai")
    await registry.reconfigure([ProviderConfig("openai", "openai", "http://127.0.0.1:9/v1")])
    new = registry.get("openai")
    assert new is not old and new.base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ModelMissingError):
        registry.get("anthropic")


def test_presets_cover_the_common_services():
    assert {"openai", "anthropic", "gemini", "openrouter", "groq", "mistral", "deepseek", "together",
            "ollama", "lmstudio"} <= set(PRESETS)
    assert not PRESETS["ollama"].key_required and PRESETS["openai"].key_required
