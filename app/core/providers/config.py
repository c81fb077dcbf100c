"""How to reach a provider (``ProviderConfig``) and the ready-made ones (``PRESETS``).

Plain data, kept apart from ``registry.py``: the registry imports every provider, the
in-process llama.cpp one included, and settings, the CLI and the UI only need these
values, so they must not pay for (or depend on) llama.cpp to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["openai", "anthropic", "gemini"]


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
