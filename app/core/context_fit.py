"""Which part of a conversation fits a model's context window, by policy.

Pure arithmetic over token counts, no model and no store: the controller counts the
messages (with the target's own tokenizer, cached), this module chooses what to send,
and the controller builds the request from the choice. Nothing is ever deleted: what
does not fit stays in the chat, it is only not sent.

Cuts move in steps of whole exchanges rather than one message per turn, so the part
that is sent keeps the same beginning for several turns: a local model then finds the
conversation's prefix in its KV cache instead of reading it all again, and a summary is
refreshed once per step rather than on every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.chat_settings import ContextPolicy

STEP = 6  # messages (three exchanges) a cut moves by at a time
MIN_RESERVE = 256  # tokens kept free for the reply, at least
MAX_DEFAULT_RESERVE = 1024  # ... and at most, unless the chat asks for longer replies
SUMMARY_SHARE = 6  # a summary gets at most a sixth of the window
MAX_SUMMARY_TOKENS = 768


class ContextTooLong(Exception):
    """Even the newest message does not fit (or, under ``stop``, the whole conversation
    does not): ``needs`` tokens against a window of ``has``."""

    def __init__(self, needs: int, has: int, policy: ContextPolicy) -> None:
        self.needs, self.has, self.policy = needs, has, policy
        super().__init__(self.sentence)

    @property
    def sentence(self) -> str:
        """ "needs ~9,000 tokens, has 4,096" """
        return f"needs ~{_rounded(self.needs):,} tokens, has {self.has:,}"


@dataclass(frozen=True, slots=True)
class Budget:
    window: int  # the target's context window
    reserve: int  # kept free for the reply

    @property
    def available(self) -> int:
        return max(0, self.window - self.reserve)


def reply_reserve(window: int, max_tokens: int | None = None) -> int:
    """Room for the reply: what the chat asks for, else an eighth of the window, within
    bounds; never more than half the window, so a conversation still has room."""
    wanted = max_tokens if max_tokens is not None else min(MAX_DEFAULT_RESERVE, window // 8)
    return max(min(MIN_RESERVE, window // 2), min(wanted, window // 2))


def summary_budget(window: int) -> int:
    return min(MAX_SUMMARY_TOKENS, window // SUMMARY_SHARE)


@dataclass(frozen=True, slots=True)
class Fit:
    """What is sent: messages ``start`` onwards verbatim, and when ``summarized`` > 0 a
    summary of messages 0 … summarized-1 before them (``summarized`` == ``start``)."""

    start: int
    summarized: int
    tokens: int  # estimated: fixed part + summary + the messages sent
    total: int  # messages in the conversation
    window: int
    policy: ContextPolicy
    unread: int = 0  # of the summarized messages, the oldest ones its summary never read

    @property
    def sent(self) -> int:
        return self.total - self.start

    @property
    def left_out(self) -> int:
        """Older messages not sent verbatim (summarized or dropped)."""
        return self.start

    @property
    def trimmed(self) -> bool:
        return self.start > 0

    def describe(self) -> str:
        """For the trace: "last 12 of 40 messages, 3,812 of 4,096 tokens; 28 older summarized"."""
        share = f"{self.tokens:,} of {self.window:,} tokens"
        if not self.trimmed:
            n = self.total
            return f"{'the' if n == 1 else 'all'} {n} message{'s' if n != 1 else ''}, {share}"
        if self.summarized and self.unread:
            older = (f"{self.start} older: {self.start - self.unread} summarized, "
                     f"{self.unread} left out")
        else:
            older = f"{self.start} older {'summarized' if self.summarized else 'left out'}"
        return f"last {self.sent} of {self.total} messages, {share}; {older}"


def fit(counts: Sequence[int], roles: Sequence[str], *, budget: Budget, policy: ContextPolicy,
        fixed: int = 0, summary_tokens: int | None = None, summarized: int = 0,
        step: int = STEP) -> Fit:
    """Choose what of a conversation to send.

    ``counts``: tokens of each message, template overhead included, oldest first (the
    last one is the message being answered, always sent); ``roles`` their roles;
    ``fixed``: tokens always sent (the system prompt); ``summary_tokens``: the size of an
    existing summary, else the most one may take; ``summarized``: how many of the oldest
    messages that summary covers (it is kept while the cut has not passed it).
    Raises ContextTooLong.
    """
    total, whole = len(counts), fixed + sum(counts)
    if whole <= budget.available:
        return Fit(0, 0, whole, total, budget.window, policy)
    newest = fixed + (counts[-1] if counts else 0)
    if policy is ContextPolicy.STOP or newest > budget.available:
        needs = whole if policy is ContextPolicy.STOP else newest
        raise ContextTooLong(needs + budget.reserve, budget.window, policy)
    if policy is ContextPolicy.SUMMARIZE:
        summary = summary_tokens if summary_tokens is not None else summary_budget(budget.window)
        room = budget.available - fixed - summary
        if room >= counts[-1]:
            start = _cut(counts, roles, room, step)
            if summarized >= start and summarized < total - 1:
                start = summarized  # the stored summary reaches further: no new one yet
            if start > 0:
                sent = fixed + summary + sum(counts[start:])
                return Fit(start, start, sent, total, budget.window, policy)
    start = _cut(counts, roles, budget.available - fixed, step)
    return Fit(start, 0, fixed + sum(counts[start:]), total, budget.window, ContextPolicy.ROLLING
               if policy is ContextPolicy.SUMMARIZE else policy)


def _cut(counts: Sequence[int], roles: Sequence[str], room: int, step: int) -> int:
    """The first message to send: the newest ones that fit in ``room``, the cut rounded
    up to a whole step and moved on to a user's message (a conversation a model reads
    starts with the user: Anthropic and Gemini require it)."""
    last = len(counts) - 1
    used, start = 0, len(counts)
    while start > 0 and used + counts[start - 1] <= room:
        start -= 1
        used += counts[start]
    start = min(-(-start // step) * step, last)
    while start < last and roles[start] != "user":
        start += 1
    return start


def _rounded(tokens: int) -> int:
    """ "~9,000", not "~9,137": the count is an estimate."""
    if tokens < 1000:
        return tokens
    scale = 100 if tokens < 10_000 else 1000
    return round(tokens / scale) * scale
