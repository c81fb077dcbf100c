"""The context a local model is loaded with is decided before llama.cpp allocates any of
it: lowered to the model's own maximum with a note, refused when it would not fit in
memory. Read from the real bundled GGUF header."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.models.fit import TooBigForMemory, estimate, plan_context
from app.core.models.gguf_file import GGUFInfo, read_gguf

NAME = "SmolLM2-135M-Instruct"
PLENTY = 64 << 30


@pytest.fixture(scope="module")
def info(bundled_gguf: Path) -> GGUFInfo:
    return read_gguf(bundled_gguf)


def test_a_context_beyond_the_models_own_is_lowered_to_it_and_says_so(info: GGUFInfo) -> None:
    assert info.context_length == 8192
    plan = plan_context(NAME, info, info.size, 10**12, available=PLENTY)
    assert plan.n_ctx == 8192
    assert plan.note == ("The context length 1,000,000,000,000 is beyond what SmolLM2-135M-Instruct "
                         "supports (8,192); it runs with 8,192.")


def test_a_context_within_the_model_and_memory_is_kept_without_a_note(info: GGUFInfo) -> None:
    plan = plan_context(NAME, info, info.size, 4096, available=PLENTY)
    assert (plan.n_ctx, plan.note) == (4096, None)


def test_a_context_that_would_not_fit_in_memory_is_refused_in_plain_words(info: GGUFInfo) -> None:
    needed = estimate(info, info.size, 8192, available=PLENTY).needed_bytes
    with pytest.raises(TooBigForMemory) as refused:
        plan_context(NAME, info, info.size, 8192, available=needed // 2)
    words = str(refused.value)
    assert words.startswith("SmolLM2-135M-Instruct at 8,192 tokens of context needs about ")
    assert "is free. Lower the context length in Settings → Local models" in words


def test_a_tight_fit_loads_with_a_note(info: GGUFInfo) -> None:
    needed = estimate(info, info.size, 8192, available=PLENTY).needed_bytes
    plan = plan_context(NAME, info, info.size, 8192, available=int(needed / 0.9))
    assert plan.n_ctx == 8192 and plan.note is not None and "tight fit" in plan.note


def test_unknown_free_memory_refuses_nothing(info: GGUFInfo) -> None:
    assert plan_context(NAME, info, info.size, 8192, available=0).n_ctx == 8192
