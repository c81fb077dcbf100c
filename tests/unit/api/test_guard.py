"""The guard's checks on their own: Host names, tokens, origins, sizes, the local queue."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.api.guard import Guard, LocalQueue, host_allowed


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8765", "127.0.0.1", "127.0.0.1:1",
                                  "127.8.9.10:80", "[::1]", "[::1]:8765", "localhost.:8765"])
def test_loopback_names_are_allowed(host: str) -> None:
    assert host_allowed(host, "127.0.0.1")


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example",
                                  "localhost.evil.example", "0.0.0.0", "[::]:8765", "", None,
                                  "192.168.1.10", "127.0.0.1@evil.example"])
def test_other_names_are_refused(host: str | None) -> None:
    assert not host_allowed(host, "127.0.0.1")


def test_the_configured_host_and_allowed_names_pass() -> None:
    assert host_allowed("192.168.1.10:8765", "192.168.1.10")
    assert host_allowed("host.docker.internal:8765", "0.0.0.0", ("host.docker.internal",))
    assert not host_allowed("other.internal:8765", "0.0.0.0", ("host.docker.internal",))


@given(st.text(max_size=60))
def test_no_host_header_crashes_the_check(host: str) -> None:
    host_allowed(host, "127.0.0.1")


def test_the_local_queue_admits_up_to_its_size_and_releases_once() -> None:
    queue = LocalQueue(2)
    first, second = queue.admit("local:m"), queue.admit("local:m")
    assert first and second and queue.admit("local:m") is None and queue.refused == 1
    first()
    first()  # a second release of the same slot changes nothing
    assert queue.taken == 1
    assert queue.admit("local:m") is not None and queue.taken == 2


async def _call(guard: Guard, headers: dict[str, str], path: str = "/v1/models",
                method: str = "GET") -> tuple[int, dict[str, str], Any]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path,
             "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    await guard(scope, receive, send)
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return (start["status"], {k.decode(): v.decode() for k, v in start["headers"]},
            json.loads(body) if body else None)


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_a_token_is_checked_in_either_header() -> None:
    guard = Guard(_ok, host="127.0.0.1", token=lambda: "sb-secret")
    local = {"host": "127.0.0.1:8765"}
    assert (await _call(guard, local))[0] == 401
    assert (await _call(guard, {**local, "authorization": "Bearer sb-secre"}))[0] == 401
    assert (await _call(guard, {**local, "authorization": "Basic sb-secret"}))[0] == 401
    assert (await _call(guard, {**local, "authorization": "Bearer sb-secret"}))[0] == 200
    assert (await _call(guard, {**local, "x-api-key": "sb-secret"}))[0] == 200
    status, _, body = await _call(guard, local, "/v1/messages", "POST")
    assert status == 401 and body["type"] == "error"  # Anthropic's shape on its route
    assert "sb-secret" not in json.dumps(body)


async def test_cors_only_for_listed_origins() -> None:
    guard = Guard(_ok, host="127.0.0.1", token=lambda: None, cors_origins=("http://localhost:3000",))
    local = {"host": "localhost"}
    status, headers, _ = await _call(guard, {**local, "origin": "http://localhost:3000"})
    assert status == 200 and headers["access-control-allow-origin"] == "http://localhost:3000"
    preflight = await _call(guard, {**local, "origin": "http://localhost:3000"}, method="OPTIONS")
    assert preflight[0] == 204 and "authorization" in preflight[1]["access-control-allow-headers"]
    status, headers, _ = await _call(guard, {**local, "origin": "http://evil.example"})
    assert status == 403 and "access-control-allow-origin" not in headers


async def test_sizes_and_the_in_flight_limit() -> None:
    guard = Guard(_ok, host="127.0.0.1", token=lambda: None, max_body=10, max_in_flight=0)
    assert (await _call(guard, {"host": "localhost", "content-length": "11"}))[0] == 413
    assert (await _call(guard, {"host": "localhost", "content-length": "x"}))[0] == 413
    status, headers, body = await _call(guard, {"host": "localhost"})
    assert status == 429 and headers["retry-after"] == "2" and body["error"]["type"] == "rate_limit_error"
