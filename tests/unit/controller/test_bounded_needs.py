"""Routing by fit counts a conversation's tokens only when its byte length, which no
count exceeds, does not fit: a short message is routed without loading the vocabulary."""

from __future__ import annotations

import pytest

from app.controller import fit_availability
from app.controller.fit_availability import BoundedNeeds, Needs
from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.router import Turn


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def count(self, text: str) -> int:
        self.calls += 1
        return len(text) // 4


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()
    monkeypatch.setattr(fit_availability, "default_counter", lambda: counter)
    return counter


def test_a_short_message_fits_by_its_bytes_without_counting(counter: Counter) -> None:
    needs = BoundedNeeds([Turn("user", "What is the capital of France?")], ChatSettings(), ContextPolicy.ROLLING)
    assert needs.needed(4096, whole=True) <= 4096
    assert counter.calls == 0


def test_a_conversation_its_bytes_overflow_is_counted_once_and_exactly(counter: Counter) -> None:
    turns = [Turn("user", "word " * 2000), Turn("assistant", "ok"), Turn("user", "and now?")]
    needs = BoundedNeeds(turns, ChatSettings(), ContextPolicy.STOP)
    exact = Needs.of(turns, ChatSettings(), ContextPolicy.STOP, counter.count)
    assert needs.needed(4096, whole=True) == exact.needed(4096, whole=True) <= 4096
    assert needs.needed(2048, whole=True) == exact.needed(2048, whole=True)
    calls = counter.calls
    needs.needed(1024, whole=True)
    assert counter.calls == calls  # counted once, then reused
