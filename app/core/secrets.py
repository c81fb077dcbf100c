"""API keys, kept only in the operating system's keyring.

A key is stored under service ``switchboard`` with the provider id as user name, and read
into memory once so providers can ask for it on every request without touching the
keyring (``cached``). Keyring calls can block on a D-Bus unlock prompt, so every one of
them runs on a worker thread, one at a time.

When the only keyring available is a failing or plaintext one (``fail.Keyring``,
``keyrings.alt``'s files, anything ranked below 1), keys are refused a place there and
kept in memory for this session only; ``warning`` says so in words the settings page can
show. No key ever reaches a log line, an exception or a ``repr``.

Any exception from a backend is caught: besides keyring's own errors they raise
D-Bus, secretstorage, jeepney and OS errors, and a key that cannot be read must cost
the user that key, not the app.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

log = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = "switchboard"
INSECURE_WARNING = ("Keys cannot be saved securely on this system (no keyring found); "
                    "they are kept for this session only.")
_PLAINTEXT_MODULES = ("keyrings.alt",)  # keyring's own "not recommended" file backends
_MIN_PRIORITY = 1.0  # keyring's docs: "a priority of one or greater is recommended"


class SecretsError(Exception):
    """A key could not be saved or removed; the message is for the user and holds no key."""


def is_secure_backend(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether ``backend`` is a real, encrypted OS store (not a chainer: see ``_resolve``)."""
    if isinstance(backend, fail.Keyring):
        return False
    if type(backend).__module__.startswith(_PLAINTEXT_MODULES):
        return False
    try:
        # Read from the instance: a backend's priority may depend on the environment
        # (Secret Service checks D-Bus), and raising means "not usable here".
        priority = float(backend.priority)
    except Exception:  # noqa: BLE001 - backends raise anything: see the docstring
        return False
    return priority >= _MIN_PRIORITY


def _resolve(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend | None:
    """The secure store to use for ``backend``, or None when there is none.

    A chainer reads from every backend in turn, so with ``keyrings.alt`` installed it
    would read (and possibly write) plaintext next to Secret Service. We use its best
    secure member directly and never the plaintext ones.
    """
    if isinstance(backend, chainer.ChainerBackend):
        try:
            members = list(chainer.ChainerBackend.backends)  # highest priority first
        except Exception:  # noqa: BLE001 - backends raise anything: see the docstring
            return None
        return next((m for m in members if is_secure_backend(m)), None)
    return backend if is_secure_backend(backend) else None


def _display_name(backend: keyring.backend.KeyringBackend) -> str:
    try:
        return str(backend.name)  # "SecretService Keyring", "macOS Keyring", …
    except Exception:  # noqa: BLE001 - backends raise anything: see the docstring
        return type(backend).__name__


def _describe(exc: BaseException, key: str | None = None) -> str:
    """An error in a few words for logs and messages, with the key cut out if it is there."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    return text.replace(key, "***") if key else text


class SecretStore:
    """API keys by provider id: the OS keyring when it is secure, memory otherwise."""

    def __init__(self, service: str = SERVICE,
                 backend: keyring.backend.KeyringBackend | None = None) -> None:
        chosen = backend if backend is not None else keyring.get_keyring()
        self._service = service
        self._store = _resolve(chosen)
        self._cache: dict[str, str] = {}
        self._lock = asyncio.Lock()  # one keyring call at a time: at most one unlock prompt
        self.backend_name = _display_name(self._store if self._store is not None else chosen)
        self.secure = self._store is not None
        self.warning: str | None = None if self.secure else INSECURE_WARNING
        if not self.secure:
            log.warning("No secure keyring (found %s): API keys are kept in memory only",
                        self.backend_name)

    def __repr__(self) -> str:
        return f"SecretStore(backend={self.backend_name!r}, secure={self.secure})"

    def cached(self, provider_id: str) -> str | None:
        """The key known in memory; never blocks, so providers call it per request."""
        return self._cache.get(provider_id)

    async def get(self, provider_id: str) -> str | None:
        """The key from the keyring (refreshing memory), else what memory holds, else None."""
        _check_id(provider_id)
        if self._store is None:
            return self._cache.get(provider_id)
        try:
            key = await self._call(self._read, provider_id)
        except Exception as exc:  # noqa: BLE001 - backends raise anything: see the docstring
            log.warning("Could not read the API key for %s from %s (%s)", provider_id,
                        self.backend_name, _describe(exc))
            return self._cache.get(provider_id)
        if key is not None:
            self._cache[provider_id] = key
        # None from the keyring keeps what memory holds: a key that could only be kept
        # for this session must not vanish because the keyring never had it.
        return self._cache.get(provider_id)

    async def warm(self, provider_ids: Iterable[str]) -> None:
        """Read several keys into memory at start-up, in one trip to a worker thread."""
        ids = list(dict.fromkeys(provider_ids))
        for provider_id in ids:
            _check_id(provider_id)
        if self._store is None or not ids:
            return
        found = await self._call(self._read_many, ids)
        self._cache.update(found)

    async def set(self, provider_id: str, key: str) -> None:
        """Save a key; raises SecretsError when the keyring refuses it.

        Even then the key is kept in memory, so it works for the rest of this session:
        the message says so.
        """
        _check_id(provider_id)
        key = key.strip()  # pasted keys often carry a newline
        if not key:
            raise SecretsError(f"The API key for {provider_id} is empty.")
        self._cache[provider_id] = key
        if self._store is None:
            return
        failure = await self._attempt("save", provider_id, self._write, key)
        if failure:
            raise SecretsError(
                f"Could not save the API key for {provider_id} in the system keyring "
                f"({self.backend_name}: {failure}). It is kept for this session only.")

    async def delete(self, provider_id: str) -> None:
        """Forget a key here and in the keyring; raises SecretsError if it stays there."""
        _check_id(provider_id)
        self._cache.pop(provider_id, None)
        if self._store is None:
            return
        failure = await self._attempt("remove", provider_id, self._remove)
        if failure:
            raise SecretsError(
                f"Could not remove the API key for {provider_id} from the system keyring "
                f"({self.backend_name}: {failure}).")

    # ---- keyring calls: these run on a worker thread --------------------------------

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        async with self._lock:
            return await asyncio.to_thread(fn, *args)

    async def _attempt(self, action: str, provider_id: str,
                       fn: Callable[..., None], key: str | None = None) -> str | None:
        """Run a keyring write; on failure log it and return why, in plain words.

        The caller raises *after* this returns, so the backend's exception is not even
        the SecretsError's ``__context__``: nothing of it reaches a crash report.
        """
        args = (provider_id,) if key is None else (provider_id, key)
        try:
            await self._call(fn, *args)
        except Exception as exc:  # noqa: BLE001 - backends raise anything: see the docstring
            log.warning("Could not %s the API key for %s in %s (%s)", action, provider_id,
                        self.backend_name, _describe(exc, key))
            return _reason(exc)
        return None

    def _read(self, provider_id: str) -> str | None:
        assert self._store is not None
        return self._store.get_password(self._service, provider_id)

    def _read_many(self, provider_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for provider_id in provider_ids:
            try:
                key = self._read(provider_id)
            except Exception as exc:  # noqa: BLE001 - backends raise anything: see the docstring
                # One failure (often "locked") usually means all fail: say it once and stop.
                log.warning("Could not read API keys from %s (%s)", self.backend_name,
                            _describe(exc))
                break
            if key is not None:
                found[provider_id] = key
        return found

    def _write(self, provider_id: str, key: str) -> None:
        assert self._store is not None
        self._store.set_password(self._service, provider_id, key)

    def _remove(self, provider_id: str) -> None:
        assert self._store is not None
        try:
            self._store.delete_password(self._service, provider_id)
        except keyring.errors.PasswordDeleteError:
            # Backends raise this both for "no such key" (fine) and for a real failure:
            # only a key still there is a failure.
            if self._store.get_password(self._service, provider_id) is not None:
                raise


def _check_id(provider_id: str) -> None:
    if not provider_id:
        raise ValueError("a provider id is needed to store its key")


def _reason(exc: BaseException) -> str:
    """Plain words for the errors a user can act on; the exception's type otherwise."""
    if isinstance(exc, keyring.errors.KeyringLocked):
        return "the keyring is locked"
    if isinstance(exc, keyring.errors.NoKeyringError):
        return "no keyring is available"
    if isinstance(exc, keyring.errors.InitError):
        return "the keyring could not be opened"
    return f"the keyring reported {type(exc).__name__}"
