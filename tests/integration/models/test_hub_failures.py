"""Each way the hub can fail is told apart in under 3 s, in words naming the cause (issue 23).

Real sockets on 127.0.0.1, the hub's address given the way users and tests give it
(``HF_ENDPOINT``): a closed port (refused), a name under ``.invalid`` (RFC 6761: it never
resolves, so no network is needed; a resolver slow to say so still ends in "Cannot find"
within the deadline), a socket that accepts and never answers (silence), and a server
answering HTTP errors as the real hub does (404, 401, 403 gated, 429, 503). Search, file
lists, the header read behind "will it fit" and downloads all use the same words.

The bound asserted is the issue's 3 s; the limits in the code are 2 s and 2.5 s, so a
loaded machine still passes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.models.download import CONNECT_TIMEOUT_S, DownloadError, DownloadRequest, download
from app.core.models.fit import remote_info
from app.core.models.hub import HUB_DEADLINE_S, HUB_TIMEOUT_S, Hub, HubError
from tests.support.loopback_server import LoopbackServer, TrackedHandler

BOUND_S = 3.0  # issue 23: each failure is named in under 3 s
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_no_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback only: a proxy from the environment must not stand between test and socket."""
    for name in PROXIES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:  # bound, then closed: nobody listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections (the kernel completes them from the backlog) and
    never reads or answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])


class StatusServer(LoopbackServer):
    """Answers every request with one HTTP status and the headers the real hub sends."""

    name = "status-server"

    def __init__(self) -> None:
        super().__init__()
        self.status = 500
        self.headers: dict[str, str] = {}

    def _handler_class(self) -> type[TrackedHandler]:
        owner = self

        class Handler(TrackedHandler):
            def do_GET(self) -> None:
                body = b'{"error": "no"}'
                self.send_response(owner.status)
                for key, value in owner.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    with StatusServer() as server:
        yield server


def hub_at(url: str, monkeypatch: pytest.MonkeyPatch) -> Hub:
    monkeypatch.setenv("HF_ENDPOINT", url)
    return Hub()


async def failure_of(call: Callable[[], Awaitable[Any]], kind: type[Exception] = HubError) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(kind) as failed:
        await call()
    return str(failed.value), time.monotonic() - started


def test_the_limits_leave_room_under_the_bound() -> None:
    assert HUB_TIMEOUT_S <= 2.0 and HUB_DEADLINE_S <= 2.5 < BOUND_S


# ---- search and file lists ------------------------------------------------------------------

@pytest.mark.parametrize("call", ["search", "files"])
async def test_refused_is_named_at_once(call: str, closed_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = hub_at(f"http://127.0.0.1:{closed_port}", monkeypatch)
    words, took = await failure_of(lambda: hub.search("smol") if call == "search" else hub.files("a/b"))
    assert words == (f"The model hub at 127.0.0.1:{closed_port} refused the connection: "
                     "is the server running?")
    assert took < BOUND_S


@pytest.mark.parametrize("call", ["search", "files"])
async def test_a_name_that_cannot_be_looked_up_is_named(call: str, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = hub_at("https://no-such-hub.invalid", monkeypatch)
    words, took = await failure_of(lambda: hub.search("smol") if call == "search" else hub.files("a/b"))
    # Either the resolver said so at once, or it had not answered by the deadline: both
    # name the lookup, never "did not answer".
    assert words.startswith("Cannot find no-such-hub.invalid: ")
    assert "internet connection" in words and "did not answer" not in words
    assert took < BOUND_S


@pytest.mark.parametrize("call", ["search", "files"])
async def test_silence_is_named_with_its_limit(call: str, silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = hub_at(f"http://127.0.0.1:{silent_port}", monkeypatch)
    words, took = await failure_of(lambda: hub.search("smol") if call == "search" else hub.files("a/b"))
    assert words.startswith(f"The model hub at 127.0.0.1:{silent_port} did not answer within ")
    assert words.endswith(" s; try again later.")
    assert took < BOUND_S


@pytest.mark.parametrize(("status", "headers", "call", "expected"), [
    (404, {"X-Error-Code": "RepoNotFound"}, "files",
     "No repository called acme/Nope-GGUF on the model hub at {host} (or it is private and needs a token)."),
    (403, {"X-Error-Code": "GatedRepo"}, "files",
     ("The repository acme/Nope-GGUF is gated: accept its terms on its page on {host} and add a "
     "Hugging Face token in Settings.")),
    (401, {"X-Error-Message": "Invalid credentials in Authorization header"}, "search",
     "The model hub at {host} refused the search (HTTP 401): check the Hugging Face token in Settings."),
    (429, {}, "search", "The model hub at {host} asks us to slow down (HTTP 429); try again in a minute."),
    (503, {}, "search", "The model hub at {host} has a problem of its own (HTTP 503); try again later."),
    (502, {}, "files", "The model hub at {host} has a problem of its own (HTTP 502); try again later."),
])
async def test_http_errors_are_named_once_without_retrying(
        status: int, headers: dict[str, str], call: str, expected: str,
        status_server: StatusServer, monkeypatch: pytest.MonkeyPatch) -> None:
    status_server.status, status_server.headers = status, headers
    hub = hub_at(status_server.url, monkeypatch)
    words, took = await failure_of(
        lambda: hub.search("smol") if call == "search" else hub.files("acme/Nope-GGUF"))
    assert words == expected.format(host=status_server.url.removeprefix("http://"))
    assert took < BOUND_S


async def test_no_message_names_an_environment_variable(closed_port: int, silent_port: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for url in (f"http://127.0.0.1:{closed_port}", f"http://127.0.0.1:{silent_port}",
                "http://no-such-hub.invalid"):
        hub = hub_at(url, monkeypatch)
        for call in (hub.search, hub.files):
            words, _ = await failure_of(lambda call=call: call("a/b"))  # type: ignore[misc]
            assert "HF_" not in words and "Error" not in words, words


# ---- the header read ("will it fit") and downloads ----------------------------------------

async def test_the_header_read_names_refused_and_silence(closed_port: int, silent_port: int) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(HUB_TIMEOUT_S)) as client:
        words, took = await failure_of(
            lambda: remote_info(client, f"http://127.0.0.1:{closed_port}/a/b/resolve/main/m.gguf"))
        assert words == f"The server at 127.0.0.1:{closed_port} refused the connection: is the server running?"
        assert took < BOUND_S
        words, took = await failure_of(
            lambda: remote_info(client, f"http://127.0.0.1:{silent_port}/a/b/resolve/main/m.gguf"))
        assert words == f"The server at 127.0.0.1:{silent_port} did not answer within 2 s; try again later."
        assert took < BOUND_S


async def test_a_download_that_cannot_start_says_why_at_once(closed_port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port}/m.gguf"
    folder = tmp_path / "models"
    async with httpx.AsyncClient() as client:
        words, took = await failure_of(
            lambda: download(DownloadRequest(url, folder / "m.gguf"), client=client), DownloadError)
    assert words == (f"The download could not start. The server at 127.0.0.1:{closed_port} "
                     "refused the connection: is the server running?")
    assert took < BOUND_S  # no retries with back-off for a cause a retry cannot change
    assert list(folder.iterdir()) == []


async def test_a_silent_download_server_is_named_after_its_retries(silent_port: int, tmp_path: Path) -> None:
    async with httpx.AsyncClient() as client:
        words, _ = await failure_of(
            lambda: download(DownloadRequest(f"http://127.0.0.1:{silent_port}/m.gguf", tmp_path / "m.gguf"),
                             client=client, stall_timeout_s=0.3, max_retries=1, backoff_s=0.01),
            DownloadError)
    assert words.startswith(f"The download keeps failing. The server at 127.0.0.1:{silent_port} "
                            "did not answer within 0.3 s; try again later. ")
    assert CONNECT_TIMEOUT_S <= 5.0


async def test_a_resolver_slow_to_answer_still_reads_as_a_name_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a network some resolvers wait for a DNS server for 10 s or more: the
    deadline names the lookup, not the hub. (The resolver is the one thing replaced here:
    a machine with that resolver is not something a test can borrow.)"""
    released = threading.Event()
    real = socket.getaddrinfo

    def slow(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-resolver.invalid":
            released.wait(10)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    hub = hub_at("https://slow-resolver.invalid", monkeypatch)
    try:
        words, took = await failure_of(lambda: hub.search("smol"))
    finally:
        released.set()
    assert words == ("Cannot find slow-resolver.invalid: the name was not looked up within 2.5 s; "
                     "check your internet connection.")
    assert took < BOUND_S
