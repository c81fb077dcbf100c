"""Fixtures for unit tests: an in-memory keyring, so no unit test touches a real one."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.core
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring in a dict.

    Every KeyringBackend subclass registers itself with keyring when it is defined, so
    the class ranks itself -1: keyring's own detection never picks it (nor chains it)
    over a real backend in this process.
    """

    priority = -1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.items[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An in-memory keyring installed as keyring's current backend.

    This instance ranks itself 5, like Secret Service, so that SecretStore treats it as
    the secure OS store it stands in for (SecretStore refuses anything ranked below 1).
    """
    kr = MemoryKeyring()
    kr.priority = 5  # the instance only: the class stays at -1 (see MemoryKeyring)
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)
    yield kr
