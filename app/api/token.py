"""The server's bearer token: generated here, kept only in the OS keyring (as provider
keys are, through ``SecretStore``), shown to the user once. Never logged or stored in a
file or the database."""

from __future__ import annotations

import secrets as random

from app.core.api_settings import API_TOKEN_ID
from app.core.secrets import SecretStore

PREFIX = "sb-"


async def stored_token(store: SecretStore) -> str | None:
    return await store.get(API_TOKEN_ID)


async def new_token(store: SecretStore) -> str:
    """A fresh token, saved (SecretsError when the keyring refuses: then it holds for this
    session only, and the message says so)."""
    token = PREFIX + random.token_urlsafe(32)
    await store.set(API_TOKEN_ID, token)
    return token


async def forget_token(store: SecretStore) -> None:
    await store.delete(API_TOKEN_ID)
