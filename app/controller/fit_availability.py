"""Routing that knows fit: a target that cannot hold the conversation, or cannot see the
image in it, is passed over like an unavailable one, saying why.

Two strengths. Preferred: the target holds the whole conversation (and sees its image);
a router's choice that would have to trim is passed over for the next matching rule or
fallback target that would not. Enough: the target holds what its context policy would
send (the system prompt and the newest message, for rolling and summarize; everything,
for stop). Routing tries the preferred first and settles for enough, so a long chat goes
to a long-context target when the router has one and stays, trimmed, where it is when
not; a message that fits nowhere fails with "needs ~9,000 tokens, has 4,096".

These are estimates (cl100k with a margin, no model loaded): the request itself is
counted exactly, with the target's own tokenizer, when it is made. A conversation not
counted yet (``route``, the editor's test panel) is first measured in UTF-8 bytes, which
no count exceeds; it is counted only for a window that bound does not fit, so a short
message is routed without loading the vocabulary (half a second of a cold ``route``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.controller.message_counts import IMAGE_TOKENS, REMOTE_MARGIN, REMOTE_OVERHEAD
from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.context_fit import ContextTooLong, reply_reserve
from app.core.router import Availability, AvailabilityCheck, AvailabilityCode, Turn
from app.core.router.conversation import Conversation
from app.core.tokens import default_counter

if TYPE_CHECKING:
    from app.controller.target_facts import TargetFacts


@dataclass(frozen=True, slots=True)
class Needs:
    """A conversation's size, estimated once per decision."""

    whole: int  # every message, the system prompt included
    newest: int  # the system prompt and the message being answered
    policy: ContextPolicy
    max_tokens: int | None
    images: bool  # the message being answered carries an image

    @classmethod
    def of(cls, conversation: Sequence[Turn], settings: ChatSettings, policy: ContextPolicy,
           count: Callable[[str], int] | None = None) -> Needs:
        """``count``: how texts are measured (default: the conversation's counter)."""
        if count is None:
            count = (conversation.counter if isinstance(conversation, Conversation)
                     else default_counter()).count
        tokens = conversation.tokens if isinstance(conversation, Conversation) \
            else sum(count(turn.content) for turn in conversation)
        system = count(settings.system_prompt) if settings.system_prompt else 0
        per_message = REMOTE_OVERHEAD * (len(conversation) + (1 if system else 0))
        pictures = sum(turn.images for turn in conversation) * IMAGE_TOKENS
        last = conversation[-1] if conversation else None
        newest = count(last.content) + REMOTE_OVERHEAD + last.images * IMAGE_TOKENS if last else 0
        return cls(math.ceil((tokens + system) * REMOTE_MARGIN) + per_message + pictures,
                   math.ceil(newest * REMOTE_MARGIN) + system + REMOTE_OVERHEAD, policy,
                   settings.max_tokens, bool(last and last.images))

    def needed(self, window: int, whole: bool) -> int:
        sent = self.whole if whole or self.policy is ContextPolicy.STOP else self.newest
        return sent + reply_reserve(window, self.max_tokens)


def utf8_length(text: str) -> int:
    """A bound on a text's cl100k count: no token is shorter than one byte."""
    return len(text.encode("utf-8", "surrogatepass"))


class BoundedNeeds:
    """Needs for fitting(): by the conversation's bytes while that bound fits the window
    asked about, counted (once) only when it does not."""

    def __init__(self, conversation: Sequence[Turn], settings: ChatSettings, policy: ContextPolicy) -> None:
        counted = isinstance(conversation, Conversation)
        self.bound = Needs.of(conversation, settings, policy, None if counted else utf8_length)
        self._exact: Needs | None = self.bound if counted else None
        self._of = (conversation, settings, policy)

    @property
    def policy(self) -> ContextPolicy:
        return self.bound.policy

    @property
    def images(self) -> bool:
        return self.bound.images

    def needed(self, window: int, whole: bool) -> int:
        bound = self.bound.needed(window, whole)
        if bound <= window:
            return bound
        if self._exact is None:
            self._exact = Needs.of(*self._of)
        return self._exact.needed(window, whole)


def fitting(availability: AvailabilityCheck, facts: TargetFacts, needs: Needs | BoundedNeeds, *,
            preferred: bool) -> AvailabilityCheck:
    """``availability`` with the targets that cannot hold ``needs`` closed; ``preferred``:
    the whole conversation, and a target that sees images for a message that has one."""

    def check(target: str) -> Availability:
        state = availability(target)
        if not state.ok:
            return state
        window = facts.window(target).tokens
        needed = needs.needed(window, preferred)
        if needed > window:
            what = ContextTooLong(needed, window, needs.policy).sentence
            whole = " for the whole conversation" if preferred and needs.policy is not ContextPolicy.STOP \
                else ""
            return Availability(False, what.replace(" tokens,", f" tokens{whole},", 1),
                                AvailabilityCode.TOO_LONG)
        if preferred and needs.images and not facts.vision(target):
            return Availability(False, "it cannot see images", AvailabilityCode.NO_VISION)
        return state

    return check

