"""What can go wrong when a provider answers, as a small tree the fallback chain catches.

    ProviderError                 any failure; .message is plain words for the UI
    ├── AuthError                 key missing, wrong or not allowed
    ├── RateLimitedError          too many requests; .retry_after seconds when known
    ├── UnavailableError          unreachable, timed out, overloaded, 5xx
    ├── BadRequestError           the request itself was refused (4xx)
    │   └── ContextTooLongError   the conversation does not fit the model's context
    ├── ModelMissingError         no such model (remote) or no such / broken file (local)
    └── GenerationCancelled       the user pressed Stop (not shown as an error)

Messages never contain a key: they are built from status codes and the provider's own
error text, which is cut short and scrubbed of anything that looks like a credential.
"""

from __future__ import annotations

import re

_CREDENTIAL = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|(?:Bearer|x-api-key:?)\s+\S+|key=[^&\s]+)",
    re.IGNORECASE,
)


def scrub(text: str, limit: int = 300) -> str:
    """Provider error text made safe to show and log: credentials masked, length capped."""
    text = _CREDENTIAL.sub("[redacted]", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ProviderError(Exception):
    retryable = False  # worth retrying the same target after a pause

    def __init__(self, message: str, *, provider: str = "") -> None:
        self.message = scrub(message)
        self.provider = provider
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, provider={self.provider!r})"


class AuthError(ProviderError):
    pass


class RateLimitedError(ProviderError):
    retryable = True

    def __init__(self, message: str, *, provider: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class UnavailableError(ProviderError):
    retryable = True


class BadRequestError(ProviderError):
    pass


class ContextTooLongError(BadRequestError):
    pass


class ModelMissingError(ProviderError):
    pass


class GenerationCancelled(ProviderError):
    def __init__(self, message: str = "Stopped.", *, provider: str = "") -> None:
        super().__init__(message, provider=provider)
