"""The local provider with the real bundled GGUF through real llama.cpp."""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import pytest

from app.core.paths import models_dir
from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    ImagePart,
    Sampling,
    TextDelta,
    Usage,
)
from app.core.providers.errors import BadRequestError, ModelMissingError
from app.core.providers.local_llama import LocalLlamaProvider, gpu_offload_supported
from app.core.providers.local_settings import LocalModelSettings

pytestmark = pytest.mark.model
MODEL = "SmolLM2-135M-Instruct"


def ask(text: str, max_tokens: int = 24, model: str = MODEL) -> ChatRequest:
    return ChatRequest(model, (ChatMessage("user", text),), Sampling(temperature=0, seed=1), max_tokens)


async def collect(provider: LocalLlamaProvider, request: ChatRequest) -> list[object]:
    return [event async for event in provider.stream_chat(request)]


@pytest.fixture
async def provider():
    p = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=2048))
    yield p
    await p.aclose()


async def test_streams_a_reply_with_usage(provider):
    events = await collect(provider, ask("Name three colours."))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    usage = next(e for e in events if isinstance(e, Usage))
    assert text.strip()
    assert isinstance(events[-1], Finish) and events[-1].reason in ("stop", "length")
    assert usage.input_tokens > 5 and 0 < usage.output_tokens <= 24
    assert provider.loaded.info.chat_template  # the GGUF's own template is the one in use
    assert provider.loaded.warnings == ()


async def test_stop_takes_effect_within_one_token_and_model_stays_usable(provider):
    # Text comes in paced batches (25 ms), so Stop goes with the first one: by a later one a
    # short reply may be over. What the worker wrote before it saw Stop comes as one more.
    request = ask("Write a long story about a lighthouse keeper and the sea.", max_tokens=200)
    deltas_after_stop = 0
    events = []
    async for event in provider.stream_chat(request):
        events.append(event)
        if isinstance(event, TextDelta):
            if request.cancel.cancelled:
                deltas_after_stop += 1
            else:
                request.cancel.cancel()
    assert deltas_after_stop <= 1
    assert events[-1] == Finish("cancelled")
    follow_up = await collect(provider, ask("Say hello."))
    assert follow_up[-1].reason in ("stop", "length")
    assert any(isinstance(e, TextDelta) and e.text.strip() for e in follow_up)


async def test_stop_interrupts_a_long_prompt_evaluation(provider):
    # ~1,500 prompt tokens take many seconds to evaluate on a small CPU; llama.cpp's
    # abort callback must end it without waiting for the first token.
    request = ask("Repeat after me. " + "The quick brown fox jumps over the lazy dog. " * 150)
    asyncio.get_running_loop().call_later(0.3, request.cancel.cancel)
    started = time.monotonic()
    events = await collect(provider, request)
    assert events[-1] == Finish("cancelled")
    assert not any(isinstance(e, TextDelta) for e in events)
    assert time.monotonic() - started < 10  # generous; a full evaluation takes far longer here
    assert (await collect(provider, ask("Say hi.", 4)))[-1].reason in ("stop", "length")


async def test_event_loop_keeps_running_during_load_and_generation(provider):
    gaps = []

    async def ticker():
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await provider.unload()
    await collect(provider, ask("Tell me about the sea.", 32))
    tick.cancel()
    assert len(gaps) > 10
    assert max(gaps) < 0.5  # generous: blocking on llama.cpp would stall it for seconds


async def test_switch_models_frees_the_first(provider, bundled_gguf):
    os.makedirs(models_dir(), exist_ok=True)
    (models_dir() / "Second-Model.Q4_1.gguf").symlink_to(bundled_gguf)
    first = await provider.load(MODEL)
    second = await provider.load("Second-Model")
    assert (first.name, second.name) == (MODEL, "Second-Model")
    assert provider.loaded_name == "Second-Model"
    events = await collect(provider, ask("Hi", 4, model=MODEL))  # switches back on demand
    assert provider.loaded_name == MODEL and events[-1].reason in ("stop", "length")
    await provider.unload()
    assert provider.loaded is None


async def test_truncated_file_gives_a_clear_error_and_the_process_lives(provider, bundled_gguf):
    os.makedirs(models_dir(), exist_ok=True)
    with bundled_gguf.open("rb") as src, (models_dir() / "Broken.Q4_1.gguf").open("wb") as dst:
        dst.write(src.read(40_000_000))
    with pytest.raises(ModelMissingError, match=r"Broken.Q4_1.gguf is incomplete: 40.0 MB of 98.4 MB"):
        await provider.load("Broken")
    with pytest.raises(ModelMissingError, match="incomplete"):
        await collect(provider, ask("Hi", 4, model="Broken"))
    assert (await collect(provider, ask("Hi", 4)))[-1].reason in ("stop", "length")


async def test_truncated_file_error_reaches_the_stream(provider, bundled_gguf):
    os.makedirs(models_dir(), exist_ok=True)
    shutil.copyfile(bundled_gguf, models_dir() / "Cut.gguf")
    os.truncate(models_dir() / "Cut.gguf", 1000)
    with pytest.raises(ModelMissingError, match="Cut.gguf ends in the middle of its header"):
        await collect(provider, ask("Hi", 4, model="Cut"))


async def test_non_gguf_file_gives_a_clear_error(provider):
    os.makedirs(models_dir(), exist_ok=True)
    (models_dir() / "Notes.gguf").write_text("these are my notes, not a model\n" * 10)
    with pytest.raises(ModelMissingError, match="Notes.gguf is not a GGUF model"):
        await provider.load("Notes")


async def test_missing_model(provider):
    with pytest.raises(ModelMissingError, match='"Nope" is not installed'):
        await collect(provider, ask("Hi", model="Nope"))


async def test_images_are_refused_in_plain_words(provider):
    request = ChatRequest(MODEL, (ChatMessage("user", "what is this?", (ImagePart("image/png", b"\x89PNG"),)),))
    with pytest.raises(BadRequestError, match="cannot read images"):
        await collect(provider, request)


async def test_counts_tokens_with_the_models_own_tokenizer(provider):
    assert await provider.count_tokens(MODEL, "hello world") == 2
    assert await provider.count_tokens(MODEL, "Switchboard routes messages.") > 3


async def test_reports_gpu_offload_support_and_health(provider):
    assert isinstance(gpu_offload_supported(), bool)
    health = await provider.health()
    assert health.ok and "local model" in health.detail
    assert MODEL in await provider.list_models()
