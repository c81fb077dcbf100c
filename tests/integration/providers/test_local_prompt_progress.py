"""Reading a long prompt with the real bundled GGUF: progress, prefix reuse, Stop, the
context limit, and the counts the controller sizes a conversation with."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.core.providers.base import (
    ChatMessage,
    ChatRequest,
    Finish,
    PromptProgress,
    Sampling,
    TextDelta,
    Usage,
)
from app.core.providers.errors import ContextTooLongError
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LocalModelSettings

pytestmark = pytest.mark.model
MODEL = "SmolLM2-135M-Instruct"
N_BATCH = 512
TOPICS = ("the sea", "mountains", "old trains", "bread", "rivers", "the moon")


def paragraph(topic: str, sentences: int = 20) -> str:
    return " ".join(f"Sentence {i} is about {topic}, and it says {topic} matters to us all."
                    for i in range(sentences))


def conversation(pairs: int = 6) -> tuple[ChatMessage, ...]:
    """About 3,000 tokens of alternating user and assistant messages."""
    messages: list[ChatMessage] = []
    for topic in TOPICS[:pairs]:
        messages += [ChatMessage("user", paragraph(topic)), ChatMessage("assistant", paragraph(topic, 4))]
    return (*messages, ChatMessage("user", "Which topic came first?"))


def ask(messages: tuple[ChatMessage, ...], max_tokens: int = 4) -> ChatRequest:
    return ChatRequest(MODEL, messages, Sampling(temperature=0, seed=1), max_tokens)


async def collect(provider: LocalLlamaProvider, request: ChatRequest) -> list[object]:
    return [event async for event in provider.stream_chat(request)]


def progress(events: list[object]) -> list[PromptProgress]:
    return [e for e in events if isinstance(e, PromptProgress)]


@pytest.fixture
async def provider():
    p = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=4096, n_batch=N_BATCH))
    yield p
    await p.aclose()


@pytest.fixture
async def evaluated(provider, monkeypatch) -> list[int]:
    """The size of each ``Llama.eval`` call on the loaded model, in order."""
    await provider.load(MODEL)
    llama = provider._llama
    sizes: list[int] = []
    real: Callable[[Any], None] = llama.eval

    def eval_(tokens: Any) -> None:
        sizes.append(len(tokens))
        real(tokens)

    monkeypatch.setattr(llama, "eval", eval_)
    return sizes


async def test_a_long_prompt_is_read_in_batches_with_progress_before_the_reply(provider, evaluated):
    messages = conversation()
    total = len(provider._chat_tokens(provider._llama, messages))
    assert 2500 < total < 4000
    events = await collect(provider, ask(messages))
    steps = progress(events)
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    assert all(events.index(step) < first_text for step in steps)
    assert steps[0] == PromptProgress(0, total)  # out before anything is evaluated
    assert [s.done for s in steps] == sorted({s.done for s in steps})  # strictly increasing
    assert steps[-1] == PromptProgress(total - 1, total) and {s.total for s in steps} == {total}
    assert len(steps) == 1 + -(-(total - 1) // N_BATCH)
    # create_chat_completion found the read prompt in the KV cache: it evaluated only the
    # last prompt token, then one token per generated one.
    reading = len(steps) - 1
    assert evaluated[:reading] == [N_BATCH] * (reading - 1) + [(total - 1) % N_BATCH or N_BATCH]
    assert evaluated[reading] == 1 and set(evaluated[reading:]) == {1}
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.input_tokens == total and 0 < usage.output_tokens <= 4
    assert events[-1] in (Finish("stop"), Finish("length"))

    # The same conversation, one reply and one long message further on (one test, so the
    # shared CPUs read the long prompt once): only what is new is read.
    reply = "".join(e.text for e in events if isinstance(e, TextDelta))
    longer = (*messages, ChatMessage("assistant", reply), ChatMessage("user", paragraph("clouds", 45)))
    evaluated.clear()
    follow_up = await collect(provider, ask(longer))
    again = progress(follow_up)
    assert again, "the new message is longer than one batch, so its reading is reported"
    assert again[0].done >= total  # the first prompt was already in the KV cache
    assert len(again) < len(steps) and again[-1].done == again[-1].total - 1
    assert sum(evaluated[:len(again) - 1]) == again[-1].done - again[0].done
    assert follow_up[-1] in (Finish("stop"), Finish("length"))


async def test_a_short_follow_up_is_left_to_llama_cpp(provider):
    first = conversation(2)
    await collect(provider, ask(first))
    events = await collect(provider, ask((*first, ChatMessage("user", "And then?"))))
    assert progress(events) == []
    assert any(isinstance(e, TextDelta) for e in events)


async def test_stop_while_reading_ends_it_and_the_model_stays_usable(provider):
    request = ask(conversation())
    events = []
    async for event in provider.stream_chat(request):
        events.append(event)
        if isinstance(event, PromptProgress):
            request.cancel.cancel()
    assert events[-1] == Finish("cancelled")
    assert not any(isinstance(e, TextDelta | Usage) for e in events)
    steps = progress(events)
    assert steps[-1].done < steps[-1].total - 1  # it did not read to the end
    follow_up = await collect(provider, ask((ChatMessage("user", "Say hi."),)))
    assert follow_up[-1] in (Finish("stop"), Finish("length"))


async def test_a_prompt_over_the_context_is_refused_before_reading(provider, evaluated):
    messages = conversation() + conversation()[:-1] + (ChatMessage("user", paragraph("rain", 30)),)
    total = len(provider._chat_tokens(provider._llama, messages))
    assert total > 4096
    with pytest.raises(ContextTooLongError) as raised:
        await collect(provider, ask(messages))
    message = str(raised.value)
    assert f"needs {total:,} tokens" in message and "at most 4,096" in message
    assert "its file supports 8,192" in message and "Settings → Local models" in message
    assert evaluated == []


async def test_the_file_context_is_named_only_when_it_is_larger():
    provider = LocalLlamaProvider(settings_for=lambda name: LocalModelSettings(n_ctx=8192))
    try:
        await provider.load(MODEL)
        messages = conversation() * 4
        assert len(provider._chat_tokens(provider._llama, messages)) > 8192
        with pytest.raises(ContextTooLongError, match=r"reads at most 8,192, its reply included\.$"):
            await collect(provider, ask(messages))
    finally:
        await provider.aclose()


async def test_sampling_and_reply_length_reach_llama_cpp(provider, monkeypatch):
    await provider.load(MODEL)
    llama = provider._llama
    seen: dict[str, Any] = {}
    real = llama.create_chat_completion

    def create(**kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(llama, "create_chat_completion", create)
    request = ChatRequest(MODEL, (ChatMessage("user", "Hi"),), Sampling(temperature=0.3, top_p=0.5, seed=2), 3)
    events = await collect(provider, request)
    assert (seen["temperature"], seen["top_p"], seen["max_tokens"], seen["seed"]) == (0.3, 0.5, 3, 2)
    assert next(e for e in events if isinstance(e, Usage)).output_tokens <= 3


async def test_counts_many_texts_as_count_tokens_does(provider):
    texts = ["hello world", "", "Switchboard routes messages.", paragraph("tea", 3), "naïve café ☕"]
    many = await provider.count_tokens_many(MODEL, texts)
    assert many == [await provider.count_tokens(MODEL, t) for t in texts]
    assert many[0] == 2 and many[1] == 0
    assert await provider.count_tokens_many(MODEL, []) == []


async def test_template_overheads_add_up_to_the_real_prompt(provider):
    per_message = await provider.message_overhead(MODEL)
    once = await provider.prompt_overhead(MODEL)
    assert per_message > 0 and once > 0
    assert await provider.message_overhead(MODEL) == per_message  # cached for the loaded model
    messages = conversation()
    counts = await provider.count_tokens_many(MODEL, [m.text for m in messages])
    estimate = sum(counts) + per_message * len(messages) + once
    real = len(provider._chat_tokens(provider._llama, messages))
    assert abs(estimate - real) <= len(messages)  # only where words meet markers may tokens merge
