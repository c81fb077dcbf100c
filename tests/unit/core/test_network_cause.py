"""A failed connection names its cause: real sockets on 127.0.0.1 for a refused port, a
server that never answers, https to a plain server and a certificate nobody signed; the
resolver's own error for a name that does not exist (no lookup leaves the machine)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.core.network_cause import cause_of
from app.core.providers.errors import UnavailableError
from app.core.providers.http_errors import error_for_transport
from tests.conftest import free_port


async def failure(url: str, timeout: float = 5.0) -> httpx.HTTPError:
    async with httpx.AsyncClient(timeout=timeout) as client:
        try:
            await client.get(url)
        except httpx.HTTPError as exc:
            return exc
    raise AssertionError(f"{url} answered")


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the request log, unwanted here
        pass


@pytest.fixture
def plain_server() -> Iterator[int]:
    """A plain-HTTP server: https to it fails in the TLS handshake."""
    server = HTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[int]:
    """A TLS server whose certificate nobody signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    server = HTTPServer(("127.0.0.1", 0), _Quiet)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


async def test_a_refused_port_asks_whether_the_server_runs() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    error = error_for_transport(await failure(f"{url}/models"), "custom", url)
    assert isinstance(error, UnavailableError)
    assert error.message == (f"Cannot reach custom at {url}: the connection was refused. "
                             "Is the server running, and on that port?")


async def test_localhost_refused_on_every_address_is_still_refused() -> None:
    # "localhost" may be ::1 and 127.0.0.1: anyio then raises a group of both failures.
    exc = await failure(f"http://localhost:{free_port()}/v1/models")
    assert cause_of(exc) == "the connection was refused. Is the server running, and on that port?"


async def test_a_name_that_does_not_resolve_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(host: object, *args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # the resolver's own answer
    url = "http://models.example/v1"
    words = cause_of(await failure(f"{url}/models"), url)
    assert words == "“models.example” was not found. Check the address, and that this computer is online."


async def test_silence_says_it_connected_but_got_no_answer(silent_server: int) -> None:
    url = f"http://127.0.0.1:{silent_server}/v1"
    error = error_for_transport(await failure(f"{url}/models", timeout=0.5), "custom", url)
    assert error.message == (f"custom did not answer in time ({url}): "
                             "connected, but no answer came within 0.5 s.")


async def test_https_to_a_plain_server_suggests_http(plain_server: int) -> None:
    url = f"https://127.0.0.1:{plain_server}/v1"
    words = cause_of(await failure(f"{url}/models"), url)
    assert words is not None and words.startswith("the secure (https) connection failed.")
    assert "http://" in words


async def test_an_untrusted_certificate_says_so(self_signed_server: int) -> None:
    url = f"https://127.0.0.1:{self_signed_server}/v1"
    words = cause_of(await failure(f"{url}/models"), url)
    assert words is not None and words.startswith("its security certificate is not trusted (")
    assert "self-signed" in words or "self signed" in words, words


def test_a_connect_timeout_names_the_limit_it_waited() -> None:
    request = httpx.Request("GET", "http://10.0.0.1/v1/models",
                            extensions={"timeout": {"connect": 5.0, "read": 60.0}})
    words = cause_of(httpx.ConnectTimeout("timed out", request=request))
    assert words == "no answer within 5 s. The server may be down, or a firewall in the way."
    error = error_for_transport(httpx.ConnectTimeout("timed out", request=request), "p", "http://10.0.0.1/v1")
    assert error.message.startswith("Cannot reach p at http://10.0.0.1/v1: no answer within 5 s.")


def test_an_unknown_failure_keeps_what_httpx_said() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:1")
    exc = httpx.ReadError("peer sent garbage", request=request)
    assert cause_of(exc) is None
    assert error_for_transport(exc, "p", "u").message == "The connection to p broke (peer sent garbage)"
