"""A conversation as the router sees it: turns, plus totals kept as turns are added.

Each turn is counted once, when it joins the conversation; routing the next message
then reads the conversation's token count instead of re-encoding 50 earlier turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from app.core.tokens import TokenCounter, default_counter


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation."""

    role: str  # "user", "assistant" or "system"
    content: str
    images: int = 0


class Conversation(Sequence[Turn]):
    """Turns in order, with running totals of tokens and (non-system) messages."""

    def __init__(self, turns: Iterable[Turn] = (), counter: TokenCounter | None = None) -> None:
        self._turns: list[Turn] = []
        self._counter = counter
        self.tokens = 0
        self.messages = 0
        self.last_user: Turn | None = None
        for turn in turns:
            self.append(turn)

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = default_counter()
        return self._counter

    def append(self, turn: Turn) -> None:
        self._turns.append(turn)
        self.tokens += self.counter.count(turn.content)
        if turn.role != "system":
            self.messages += 1
        if turn.role == "user":
            self.last_user = turn

    @overload
    def __getitem__(self, index: int) -> Turn: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Turn]: ...
    def __getitem__(self, index: int | slice) -> Turn | Sequence[Turn]:
        return self._turns[index]

    def __len__(self) -> int:
        return len(self._turns)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self._turns)
