"""A local model's settings are checked against the model itself before llama.cpp
allocates anything: a context beyond the model's own is lowered to it (and said), so an
absurd value costs nothing. The real bundled GGUF through real llama.cpp."""

from __future__ import annotations

import pytest

from app.core.providers.base import ChatMessage, ChatRequest, Finish, Sampling, TextDelta
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LocalModelSettings

pytestmark = pytest.mark.model
MODEL = "SmolLM2-135M-Instruct"


async def test_an_absurd_context_is_lowered_to_the_models_own_and_the_model_answers():
    provider = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=10**12))
    try:
        loaded = await provider.load(MODEL)
        assert loaded.warnings == ("The context length 1,000,000,000,000 is beyond what "
                                   "SmolLM2-135M-Instruct supports (8,192); it runs with 8,192.",)
        assert loaded.settings.n_ctx == 10**12  # what was asked, so the same settings do not reload
        request = ChatRequest(MODEL, (ChatMessage("user", "Say hi."),), Sampling(temperature=0, seed=1), 4)
        events = [event async for event in provider.stream_chat(request)]
        assert "".join(e.text for e in events if isinstance(e, TextDelta)).strip()
        assert isinstance(events[-1], Finish)
        assert provider.loaded is loaded  # answering did not load it again
    finally:
        await provider.aclose()
