"""Each error class is worded once, without keys or tracebacks; Stop says nothing."""

from __future__ import annotations

import asyncio
import errno

import httpx
import pytest

from app.controller.error_words import describe, is_expected
from app.controller.model_library import LibraryError
from app.core.models.download import DownloadCancelled, NotEnoughSpace
from app.core.models.hub import HubError
from app.core.providers.errors import AuthError, GenerationCancelled, RateLimitedError
from app.core.router.fields import RouterFormatError
from app.core.secrets import SecretsError
from app.core.settings import SettingsError
from app.core.store import StoreError


@pytest.mark.parametrize("exc", [asyncio.CancelledError(), GenerationCancelled(),
                                 DownloadCancelled("cancelled")])
def test_cancellation_is_not_an_error(exc: BaseException) -> None:
    assert describe(exc) is None and is_expected(exc)


@pytest.mark.parametrize(("exc", "words"), [
    (AuthError("bad API key (401) sk-abcdefghijklmnopqrst", provider="openai"),
     "bad API key (401) [redacted]"),
    (RateLimitedError("rate limited, retry in 3 s", provider="groq"), "rate limited, retry in 3 s"),
    (SecretsError("The keyring refused the key."), "The keyring refused the key."),
    (SettingsError("Could not save settings to /x: Read-only file system"),
     "Could not save settings to /x: Read-only file system"),
    (HubError("No repository called a/b."), "No repository called a/b."),
    (NotEnoughSpace("Not enough free space: 2.0 GB needed."), "Not enough free space: 2.0 GB needed."),
    (LibraryError('There is no installed model called "x".'), 'There is no installed model called "x".'),
    (RouterFormatError("rules[0].when", "expected an object"), "rules[0].when: expected an object"),
    (StoreError("database is locked"), "The chat database failed: database is locked"),
    (OSError(errno.ENOSPC, "No space left on device", "/data/m.gguf"),
     "The disk is full (/data/m.gguf): free some space and try again."),
    (PermissionError(errno.EACCES, "Permission denied"),
     "Permission denied: Switchboard may not use that file."),
    (httpx.ConnectTimeout("timed out"),
     "The server did not answer in time; check the address and try again."),
])
def test_known_errors_are_worded_once(exc: BaseException, words: str) -> None:
    assert describe(exc) == words
    assert is_expected(exc)


def test_an_unexpected_error_is_named_and_scrubbed() -> None:
    exc = RuntimeError("failed with key=AIzaSyA-very-secret-value-123456 in the URL")
    words = describe(exc)
    assert words is not None and words.startswith("Something went wrong (RuntimeError)")
    assert "AIza" not in words and "Traceback" not in words
    assert not is_expected(exc)
    assert describe(ValueError()) == "Something went wrong (ValueError)."
