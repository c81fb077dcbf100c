"""What a routing decision looks at: the conversation, the clock, and which targets work.

Expensive facts (token counts, the lower-cased message) are computed only when a rule
asks for them, and once per decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.router.conversation import Conversation, Turn
from app.core.tokens import TokenCounter, default_counter

# Patterns and detectors read at most this much of a message: routing must stay fast and
# bounded whatever a user pastes.
SCAN_LIMIT = 10_000


class AvailabilityCode(StrEnum):
    """Why a target can or cannot answer, for code to act on (the reason is for people)."""

    READY = "ready"  # a remote provider set up, with its key if it needs one
    DOWNLOADED = "downloaded"  # a local model that is installed
    ASSUMED = "assumed"  # nothing is known against it (a check without settings)
    NOT_DOWNLOADED = "not_downloaded"
    OFFLINE = "offline"
    NOT_SET_UP = "not_set_up"  # its provider is not in the settings
    NO_KEY = "no_key"  # its provider needs an API key and has none
    COOLING = "cooling"  # failed repeatedly a moment ago
    PRIVATE = "private"  # remote, and the conversation must stay on this computer
    TOO_LONG = "too_long"  # its context window cannot hold what would be sent
    NO_VISION = "no_vision"  # the message has an image and this target reads text only


@dataclass(frozen=True, slots=True)
class Availability:
    ok: bool
    reason: str  # plain words: "downloaded", "offline mode", "no API key for openai"
    code: AvailabilityCode = AvailabilityCode.ASSUMED


AvailabilityCheck = Callable[[str], Availability]
ASSUMED = Availability(True, "assumed available", AvailabilityCode.ASSUMED)


def always_available(target: str) -> Availability:
    return ASSUMED


_NO_MESSAGE = Turn("user", "")


def _last_user(conversation: Sequence[Turn]) -> Turn:
    if isinstance(conversation, Conversation):
        return conversation.last_user or _NO_MESSAGE
    if conversation and conversation[-1].role == "user":  # the usual case, checked first
        return conversation[-1]
    return next((t for t in reversed(conversation) if t.role == "user"), _NO_MESSAGE)


class RouteContext:
    """The routed message (the last user turn) and everything around it.

    Lazy facts are plain attributes filled on first use rather than cached_property,
    whose per-access lock (Python 3.11) costs more than most conditions.
    """

    def __init__(
        self,
        conversation: Sequence[Turn],
        now: datetime,
        availability: AvailabilityCheck = always_available,
        counter: TokenCounter | None = None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.conversation = conversation
        self.now = now
        self._availability = availability
        self._availability_cache: dict[str, Availability] = {}
        self._counter = counter
        self.current = _last_user(conversation)
        self.scan_text = self.current.content[:SCAN_LIMIT]
        self._scan_text_lower: str | None = None
        self._message_tokens: int | None = None
        self._conversation_tokens: int | None = None

    @property
    def message(self) -> str:
        return self.current.content

    @property
    def scan_text_lower(self) -> str:
        if self._scan_text_lower is None:
            self._scan_text_lower = self.scan_text.lower()
        return self._scan_text_lower

    @property
    def image_count(self) -> int:
        return self.current.images

    @property
    def counter(self) -> TokenCounter:
        if self._counter is None:
            self._counter = default_counter()
        return self._counter

    @property
    def message_tokens(self) -> int:
        if self._message_tokens is None:
            self._message_tokens = self.counter.count(self.current.content)
        return self._message_tokens

    @property
    def conversation_tokens(self) -> int:
        if self._conversation_tokens is None:
            convo = self.conversation
            if isinstance(convo, Conversation) and convo.counter is self.counter:
                self._conversation_tokens = convo.tokens  # kept up to date as turns arrive
            else:
                self._conversation_tokens = self.counter.count_all([t.content for t in convo])
        return self._conversation_tokens

    @property
    def message_bytes(self) -> int:
        """The routed message's UTF-8 length: an upper bound on its token count."""
        return len(self.current.content.encode("utf-8", "surrogatepass"))

    @property
    def conversation_bytes(self) -> int:
        return sum(len(t.content.encode("utf-8", "surrogatepass")) for t in self.conversation)

    @property
    def message_count(self) -> int:
        convo = self.conversation
        if isinstance(convo, Conversation):
            return convo.messages
        return len(convo) - [t.role for t in convo].count("system")

    def availability(self, target: str) -> Availability:
        """Asked at most once per target per decision: the check may hit the keyring."""
        found = self._availability_cache.get(target)
        if found is None:
            found = self._availability_cache[target] = self._availability(target)
        return found
