"""SecretStore against the real Secret Service (gnome-keyring in a private D-Bus session).

scripts/test runs pytest inside ``dbus-run-session`` with an unlocked gnome-keyring and
a throwaway XDG_DATA_HOME. Without a reachable Secret Service these tests fail, they do
not skip: a missing keyring is a broken set-up, and the app's key storage would go
untested.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.secrets import SecretsError, SecretStore

pytestmark = pytest.mark.keyring

# Not the app's own service: a run against a desktop session never touches real keys.
SERVICE = "switchboard-tests"
HOW = ("run inside dbus-run-session with an unlocked gnome-keyring-daemon "
       "(scripts/test does; see RECIPES.md)")


@pytest.fixture
async def provider_id() -> AsyncIterator[str]:
    """A provider id no other run uses; its key is removed even when the test fails."""
    name = f"sentinel-{uuid.uuid4().hex[:12]}"
    yield name
    with contextlib.suppress(SecretsError):  # best effort, after a test that already failed
        await SecretStore(SERVICE).delete(name)


def keyring_files() -> list[Path]:
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return [p for p in (data / "keyrings").rglob("*") if p.is_file()]


async def test_a_key_round_trips_through_secret_service(provider_id: str) -> None:
    store = SecretStore(SERVICE)
    assert store.secure, f"no Secret Service reachable (keyring chose {store.backend_name}): {HOW}"
    assert store.backend_name == "SecretService Keyring"

    sentinel = f"sk-sentinel-{uuid.uuid4().hex}"
    await store.set(provider_id, sentinel)

    fresh = SecretStore(SERVICE)  # nothing cached: this read goes to the keyring
    assert fresh.cached(provider_id) is None
    assert await fresh.get(provider_id) == sentinel

    await fresh.delete(provider_id)
    assert await SecretStore(SERVICE).get(provider_id) is None


async def test_the_keyring_stores_keys_encrypted(provider_id: str) -> None:
    store = SecretStore(SERVICE)
    assert store.secure, f"no Secret Service reachable: {HOW}"
    sentinel = f"sk-sentinel-{uuid.uuid4().hex}"
    await store.set(provider_id, sentinel)
    files = keyring_files()
    assert files, "gnome-keyring wrote no keyring file under XDG_DATA_HOME/keyrings"
    assert not [f for f in files if sentinel.encode() in f.read_bytes()]
