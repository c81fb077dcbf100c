"""What each kind of failure says to the user, written once for the window and the CLI.

``describe(exc)`` gives the words (None when there is nothing to say: the user pressed
Stop, or the work was cancelled); ``is_expected(exc)`` tells a failure the app knows how
to word from a bug, whose traceback belongs in the log. The words never hold a key or a
traceback: the app's own errors are written as plain sentences by the code that raises
them (and provider errors are scrubbed of credentials there); anything else is scrubbed
here.

Classes are looked up by module and name, and only in modules already imported: an
exception of a class whose module was never loaded cannot exist, and importing the hub
client, the GGUF reader or httpx just to word an error would cost the CLI its start-up.
"""

from __future__ import annotations

import asyncio
import errno
import sys
from collections.abc import Callable

from app.core.providers.errors import scrub

__all__ = ["describe", "is_bad_file", "is_expected"]

# Cancellation in every form: the user's Stop, a cancelled download, a superseded task.
_SILENT = (
    ("app.core.providers.errors", "GenerationCancelled"),
    ("app.core.models.download", "DownloadCancelled"),
)

# The app's own errors whose ``str()`` is already a plain sentence for the user.
_PLAIN = (
    ("app.core.secrets", "SecretsError"),
    ("app.core.settings", "SettingsError"),
    ("app.core.pricing", "PricingError"),
    ("app.core.router.fields", "RouterFormatError"),
    ("app.core.router.conditions.pattern", "PatternError"),
    ("app.core.models.hub", "HubError"),
    ("app.core.models.download", "DownloadError"),
    ("app.core.models.gguf_file", "InvalidModelFile"),
    ("app.controller.model_library", "LibraryError"),
    ("app.core.tokens", "TokenizerDataError"),
    ("app.core.images", "ImageError"),
    # The database's own sentences name the file and what to do about it.
    ("app.core.store", "DatabaseDamaged"),
    ("app.core.store", "DatabaseTooNew"),
    ("app.core.store", "DatabaseBusy"),
)

_OS_WORDS: dict[int, Callable[[str], str]] = {
    errno.ENOSPC: lambda where: f"The disk is full{where}: free some space and try again.",
    errno.EDQUOT: lambda where: f"The disk quota is used up{where}: free some space and try again.",
    errno.EACCES: lambda where: f"Permission denied{where}: Switchboard may not use that file.",
    errno.EPERM: lambda where: f"Permission denied{where}: Switchboard may not use that file.",
    errno.EROFS: lambda where: f"The disk is read-only{where}.",
    errno.ENOENT: lambda where: f"The file or folder does not exist{where}.",
}


def describe(exc: BaseException) -> str | None:
    """Plain words for ``exc``; None when it is a cancellation, which is not an error."""
    if isinstance(exc, asyncio.CancelledError) or _is_any(exc, _SILENT):
        return None
    if _is_any(exc, (("app.core.providers.errors", "ProviderError"),)):
        return str(getattr(exc, "message", "")) or "The provider failed."
    if _is_any(exc, _PLAIN):
        return str(exc).strip() or f"{type(exc).__name__}."
    if _is_any(exc, (("app.core.store", "StoreError"),)):
        return f"The chat database failed: {exc}"
    if _is_any(exc, (("httpx", "TimeoutException"),)):
        return "The server did not answer in time; check the address and try again."
    if _is_any(exc, (("httpx", "HTTPError"),)):
        return f"Could not reach the server: {scrub(str(exc)) or type(exc).__name__}."
    if isinstance(exc, OSError):
        return _os_words(exc)
    text = scrub(str(exc))
    name = type(exc).__name__
    return f"Something went wrong ({name}): {text}" if text else f"Something went wrong ({name})."


# A file the user has to fix or move (a damaged database, a router, a model, an image):
# the command was given something it cannot use, as with a bad argument.
_BAD_FILES = (
    ("app.core.store", "DatabaseDamaged"),
    ("app.core.store", "DatabaseTooNew"),
    ("app.core.router.fields", "RouterFormatError"),
    ("app.core.models.gguf_file", "InvalidModelFile"),
    ("app.core.images", "ImageError"),
)


def is_bad_file(exc: BaseException) -> bool:
    """Whether ``exc`` is about a file that cannot be used as it is (exit status 2)."""
    return _is_any(exc, _BAD_FILES)


def is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure the app words on purpose (no traceback needed)."""
    return (isinstance(exc, asyncio.CancelledError | OSError)
            or _is_any(exc, (*_SILENT, *_PLAIN, ("app.core.providers.errors", "ProviderError"),
                             ("app.core.store", "StoreError"), ("httpx", "HTTPError"))))


def _os_words(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    words = _OS_WORDS.get(exc.errno or 0)
    if words is not None:
        return words(where)
    return f"{exc.strerror or scrub(str(exc)) or 'A file operation failed'}{where}."


def _is_any(exc: BaseException, classes: tuple[tuple[str, str], ...]) -> bool:
    for module_name, class_name in classes:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False
