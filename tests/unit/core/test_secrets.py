"""SecretStore: keys in a secure keyring only, memory otherwise, and never in words."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from app.core.secrets import INSECURE_WARNING, SecretsError, SecretStore, is_secure_backend
from tests.unit.conftest import MemoryKeyring

KEY = "sk-test-0123456789abcdef"


class LockedKeyring(keyring.backend.KeyringBackend):
    """A real-looking store that refuses everything, as a locked Secret Service does."""

    priority = 5
    viable = False  # never picked up by keyring's own detection in this process

    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error or keyring.errors.KeyringLocked("Failed to unlock the collection!")
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.error


class LeakyKeyring(LockedKeyring):
    """Fails with the password in its error message, which must go no further."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"could not store {password!r} for {username}")


class PlaintextKeyring(MemoryKeyring):
    """Like keyrings.alt's PlaintextKeyring: base64 in a file under the home directory."""

    __module__ = "keyrings.alt.file"
    priority = 0.5
    viable = False


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[keyring.backend.KeyringBackend]]:
    """The chainer's members: fill the list to choose what it chains."""
    members: list[keyring.backend.KeyringBackend] = []
    monkeypatch.setattr(chainer.ChainerBackend, "backends", members)
    yield members


# ---- a secure keyring ------------------------------------------------------------------

async def test_a_secure_keyring_stores_the_key_there_and_in_memory(memory_keyring):
    store = SecretStore()
    assert store.secure and store.warning is None
    assert store.backend_name.endswith("MemoryKeyring")
    await store.set("openai", KEY)
    assert memory_keyring.items == {("switchboard", "openai"): KEY}
    assert store.cached("openai") == KEY


async def test_a_new_store_reads_the_keyring_not_a_cache(memory_keyring):
    await SecretStore().set("openai", KEY)
    fresh = SecretStore()
    assert fresh.cached("openai") is None
    assert await fresh.get("openai") == KEY
    assert fresh.cached("openai") == KEY


async def test_get_of_an_unknown_provider_is_none(memory_keyring):
    assert await SecretStore().get("nobody") is None


async def test_warm_reads_several_keys(memory_keyring):
    memory_keyring.items[("switchboard", "openai")] = "k1"
    memory_keyring.items[("switchboard", "gemini")] = "k2"
    store = SecretStore()
    await store.warm(["openai", "gemini", "anthropic", "openai"])
    assert (store.cached("openai"), store.cached("gemini"), store.cached("anthropic")) == (
        "k1", "k2", None)


async def test_delete_forgets_the_key_everywhere_and_twice_is_fine(memory_keyring):
    store = SecretStore()
    await store.set("openai", KEY)
    await store.delete("openai")
    await store.delete("openai")
    assert memory_keyring.items == {}
    assert store.cached("openai") is None
    assert await SecretStore().get("openai") is None


async def test_keyring_calls_run_off_the_event_loop_thread(memory_keyring, monkeypatch):
    threads: list[int] = []
    real_get = memory_keyring.get_password

    def get_password(service: str, username: str) -> str | None:
        threads.append(threading.get_ident())
        return real_get(service, username)

    monkeypatch.setattr(memory_keyring, "get_password", get_password)
    await SecretStore().get("openai")
    assert threads and threads[0] != threading.get_ident()


async def test_cached_never_calls_the_keyring():
    backend = LockedKeyring()
    store = SecretStore(backend=backend)
    assert store.cached("openai") is None
    assert backend.calls == 0


async def test_pasted_whitespace_is_trimmed_and_an_empty_key_refused(memory_keyring):
    store = SecretStore()
    await store.set("openai", f"  {KEY}\n")
    assert memory_keyring.items[("switchboard", "openai")] == KEY
    with pytest.raises(SecretsError, match="empty"):
        await store.set("openai", " \n")


async def test_a_provider_id_is_required(memory_keyring):
    with pytest.raises(ValueError):
        await SecretStore().get("")


async def test_the_service_name_can_change(memory_keyring):
    await SecretStore(service="switchboard-tests").set("openai", KEY)
    assert ("switchboard-tests", "openai") in memory_keyring.items


# ---- a keyring that fails ----------------------------------------------------------------

async def test_a_locked_keyring_gives_none_and_a_warning_without_the_key(caplog):
    store = SecretStore(backend=LockedKeyring())
    assert store.secure  # it is a real store, only locked now
    with caplog.at_level(logging.WARNING):
        assert await store.get("openai") is None
    assert "Could not read the API key for openai" in caplog.text
    assert "KeyringLocked" in caplog.text


async def test_a_locked_keyring_refuses_to_save_in_plain_words():
    store = SecretStore(backend=LockedKeyring())
    with pytest.raises(SecretsError) as caught:
        await store.set("openai", KEY)
    message = str(caught.value)
    assert "the keyring is locked" in message and "this session only" in message
    assert KEY not in message
    # Kept for this session, as the message says, and get falls back to it.
    assert store.cached("openai") == KEY
    assert await store.get("openai") == KEY


async def test_a_failed_delete_says_so_and_forgets_the_key_here():
    store = SecretStore(backend=LockedKeyring())
    with pytest.raises(SecretsError, match="Could not remove the API key for openai"):
        await store.delete("openai")


async def test_a_delete_that_leaves_the_key_there_is_a_failure(memory_keyring, monkeypatch):
    memory_keyring.items[("switchboard", "openai")] = KEY

    def refuse(service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("permission denied")

    monkeypatch.setattr(memory_keyring, "delete_password", refuse)
    with pytest.raises(SecretsError):
        await SecretStore().delete("openai")


async def test_the_key_reaches_no_exception_log_or_repr(caplog):
    store = SecretStore(backend=LeakyKeyring())
    with caplog.at_level(logging.DEBUG), pytest.raises(SecretsError) as caught:
        await store.set("openai", KEY)
    error = caught.value
    assert KEY not in str(error) and KEY not in repr(error.args)
    assert error.__cause__ is None and error.__context__ is None  # nothing chained to it
    assert KEY not in caplog.text and "RuntimeError" in caplog.text
    assert KEY not in repr(store)
    assert re.fullmatch(r"SecretStore\(backend='[\w ]*LeakyKeyring', secure=True\)", repr(store))


async def test_a_warm_that_fails_keeps_going_without_raising(caplog):
    store = SecretStore(backend=LockedKeyring())
    await store.warm(["openai", "gemini"])
    assert store.cached("openai") is None
    assert caplog.text.count("Could not read API keys") == 1


# ---- no secure keyring: memory only ------------------------------------------------------

@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring(), PlaintextKeyring()],
                         ids=["fail", "null", "plaintext"])
async def test_an_insecure_backend_keeps_keys_for_this_session_only(backend):
    store = SecretStore(backend=backend)
    assert not store.secure
    assert store.warning == INSECURE_WARNING
    await store.set("openai", KEY)
    assert store.cached("openai") == KEY
    assert await store.get("openai") == KEY
    assert await SecretStore(backend=backend).get("openai") is None  # not persisted
    await store.delete("openai")
    assert store.cached("openai") is None


async def test_a_plaintext_backend_is_never_written_to():
    backend = PlaintextKeyring()
    await SecretStore(backend=backend).set("openai", KEY)
    assert backend.items == {}


async def test_a_plaintext_backend_is_never_read_either():
    backend = PlaintextKeyring()
    backend.items[("switchboard", "openai")] = KEY
    assert await SecretStore(backend=backend).get("openai") is None


def test_a_low_priority_backend_is_not_secure(memory_keyring):
    assert not is_secure_backend(type(memory_keyring)())  # the class ranks itself -1
    assert is_secure_backend(memory_keyring)


def test_no_keyring_at_all_is_not_secure(monkeypatch):
    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    store = SecretStore()
    assert not store.secure and store.backend_name == "fail Keyring"
    assert "secure=False" in repr(store)


# ---- chainer: use its secure member, refuse plaintext ones --------------------------------

async def test_a_chainer_uses_its_secure_member_and_skips_plaintext(chain, memory_keyring):
    plaintext = PlaintextKeyring()
    plaintext.items[("switchboard", "openai")] = "old-plaintext-key"
    chain.extend([memory_keyring, plaintext])
    store = SecretStore(backend=chainer.ChainerBackend())
    assert store.secure and store.backend_name.endswith("MemoryKeyring")
    assert await store.get("openai") is None  # the plaintext copy is not read
    await store.set("openai", KEY)
    assert memory_keyring.items and not any(v == KEY for v in plaintext.items.values())


@pytest.mark.parametrize("members", [[], [PlaintextKeyring()], [fail.Keyring()]],
                         ids=["empty", "plaintext", "fail"])
def test_a_chainer_of_only_insecure_backends_is_not_secure(chain, members):
    chain.extend(members)
    store = SecretStore(backend=chainer.ChainerBackend())
    assert not store.secure and store.warning == INSECURE_WARNING
