"""Who may call the local API: this computer only by default, a token when set, never a
web page on another site (DNS rebinding), and a bounded load that is refused cleanly."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.api.guard import LOCAL_QUEUE
from app.api.server import ApiServer, ApiStartError
from app.api.token import new_token, stored_token
from app.controller.session import Session
from app.core.api_settings import API_TOKEN_ID
from app.core.secrets import SERVICE
from tests.integration.api.conftest import Serve
from tests.unit.conftest import MemoryKeyring

CHAT = {"model": "switchboard/Local only", "max_tokens": 2,
        "messages": [{"role": "user", "content": "Hi"}]}


async def test_a_foreign_host_header_is_refused_before_anything_runs(serve: Serve):
    server = await serve()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", ""):
            response = await client.post("/chat/completions", json=CHAT, headers={"host": host})
            assert response.status_code == 403, host
            assert response.json()["error"]["type"] == "permission_error"
        anthropic_shaped = await client.post("/messages", json={}, headers={"host": "evil.example"})
        assert anthropic_shaped.json()["type"] == "error"
        for host in ("localhost", f"127.0.0.1:{server.port}", "[::1]:80"):
            ok = await client.get("/models", headers={"host": host})
            assert ok.status_code == 200, host
    assert server.session.store.conversations() == [] and server.session.store.usage_rows() == []


async def test_a_web_page_of_another_origin_is_refused_and_no_cors_is_offered(serve: Serve):
    server = await serve()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post("/chat/completions", json=CHAT,
                                     headers={"origin": "https://evil.example"})
        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
        preflight = await client.options("/chat/completions", headers={
            "origin": "https://evil.example", "access-control-request-method": "POST"})
        assert preflight.status_code == 403 and "access-control-allow-origin" not in preflight.headers


@pytest.mark.model
async def test_a_token_is_required_once_set_and_appears_nowhere(
        serve: Serve, test_keyring: MemoryKeyring, switchboard_home: Path,
        caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]):
    caplog.set_level(logging.DEBUG)
    session = await Session.open()
    token = await new_token(session.secrets)
    await session.aclose()
    assert test_keyring.get_password(SERVICE, API_TOKEN_ID) == token  # in the keyring, and only there

    server = await serve(token=await stored_token_of_new_session())
    assert server.token == token
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        missing = await client.post("/chat/completions", json=CHAT)
        wrong = await client.post("/chat/completions", json=CHAT, headers={"authorization": "Bearer nope"})
        wrong_a = await client.post("/messages", json={}, headers={"x-api-key": token[:-1]})
        for refused in (missing, wrong):
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert wrong_a.status_code == 401 and wrong_a.json()["error"]["type"] == "authentication_error"
        ok = await client.post("/chat/completions", json=CHAT, headers={"authorization": f"Bearer {token}"})
        ok_a = await client.get("/models", headers={"x-api-key": token, "anthropic-version": "2023-06-01"})
        assert ok.status_code == 200 and ok_a.status_code == 200
    await server.stop()

    captured = capfd.readouterr()
    assert token not in caplog.text and token not in captured.out + captured.err
    for path in switchboard_home.rglob("*"):  # settings, the database and its WAL, caches, logs
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


async def stored_token_of_new_session() -> str | None:
    session = await Session.open()
    try:
        return await stored_token(session.secrets)
    finally:
        await session.aclose()


async def test_listening_beyond_this_computer_needs_a_token(serve: Serve):
    with pytest.raises(ApiStartError, match="needs a token"):
        await serve(host="0.0.0.0")


def test_the_serve_command_refuses_a_non_loopback_bind_without_a_token(switchboard_home: Path):
    done = subprocess.run([sys.executable, "-m", "app", "serve", "--host", "0.0.0.0", "--port", "0"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SWITCHBOARD_HOME": str(switchboard_home),
                               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"})
    assert done.returncode == 2, done.stderr
    assert "needs a token" in done.stderr and "Traceback" not in done.stderr


async def test_a_port_in_use_is_said_in_plain_words(serve: Serve):
    first = await serve()
    session = await Session.open()
    try:
        with pytest.raises(ApiStartError, match="in use"):
            await ApiServer(session, port=first.port).start()
    finally:
        await session.aclose()


async def test_an_oversized_body_is_refused(serve: Serve):
    server = await serve()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.post("/chat/completions", content=b"x" * (33 << 20),
                                     headers={"content-type": "application/json"})
    assert response.status_code == 413


@pytest.mark.model
async def test_a_hundred_requests_at_once_are_answered_or_refused_with_429(serve: Serve):
    server = await serve()
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=600) as client:
        responses = await asyncio.gather(*(client.post("/chat/completions", json=CHAT) for _ in range(100)))
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {200, 429}, statuses
        answered = statuses.count(200)
        assert LOCAL_QUEUE <= answered <= 100
        for refused in (r for r in responses if r.status_code == 429):
            assert refused.headers["retry-after"].isdigit()
            assert refused.json()["error"]["type"] == "rate_limit_error"
        for ok in (r for r in responses if r.status_code == 200):
            assert ok.json()["choices"][0]["message"]["content"] is not None
        after = await client.post("/chat/completions", json=CHAT)  # still serving
        assert after.status_code == 200
    rows = server.session.store.usage_rows()
    assert len(rows) == answered + 1 and {r.kind for r in rows} == {"api"}
    assert server.queue.taken == 0
    assert server.session.store.conversations() == []
    assert json.dumps(statuses)  # (shown on failure)
