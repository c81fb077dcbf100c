"""The one mapping from a failure to talk to the hub to words naming its cause, for both
HTTP libraries the app uses (httpx for downloads, httpx2 under huggingface_hub). The
exceptions are built with the chains the libraries give them (the OS error at the bottom)."""

from __future__ import annotations

import errno
import socket
import ssl

import httpx
import httpx2
import pytest

from app.core.models.hub_failures import (
    cause_of,
    failed_url,
    host_of,
    status_words,
    transport_words,
)

URL = "https://huggingface.co/api/models"


def chained(outer: Exception, inner: Exception) -> Exception:
    """``outer`` raised from ``inner``, as the libraries chain them."""
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize("lib", [httpx, httpx2])
@pytest.mark.parametrize(("make", "cause"), [
    (lambda lib: chained(lib.ConnectError("[Errno -2] Name or service not known"),
                         socket.gaierror(-2, "Name or service not known")), "lookup"),
    (lambda lib: lib.ConnectError("[Errno -3] Temporary failure in name resolution"), "lookup"),
    (lambda lib: chained(lib.ConnectError("[Errno 111] Connection refused"),
                         ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")), "refused"),
    (lambda lib: chained(lib.ConnectError("unreachable"),
                         OSError(errno.ENETUNREACH, "Network is unreachable")), "unreachable"),
    (lambda lib: lib.ConnectTimeout("timed out"), "connect_timeout"),
    (lambda lib: lib.ReadTimeout("timed out"), "read_timeout"),
    (lambda lib: lib.RemoteProtocolError("Server disconnected without sending a response."), "closed"),
    (lambda lib: chained(lib.ConnectError("certificate verify failed"),
                         ssl.SSLCertVerificationError(1, "certificate verify failed")), "secure"),
    (lambda lib: lib.ProxyError("407"), "proxy"),
    (lambda lib: lib.UnsupportedProtocol("ftp"), "other"),
])
def test_causes_are_read_the_same_from_both_libraries(lib, make, cause) -> None:  # type: ignore[no-untyped-def]
    assert cause_of(make(lib)) == cause


def test_the_words_name_the_cause_and_the_place() -> None:
    lookup = chained(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known"))
    assert transport_words(lookup, URL) == ("Cannot find huggingface.co: check your internet connection "
                                            "(the name could not be looked up).")
    refused = chained(httpx.ConnectError("x"), ConnectionRefusedError(111, "refused"))
    assert transport_words(refused, "http://127.0.0.1:9/x") == (
        "The model hub at 127.0.0.1:9 refused the connection: is the server running?")
    assert transport_words(httpx.ReadTimeout("t"), URL, timeout_s=2.0) == (
        "The model hub at huggingface.co did not answer within 2 s; try again later.")
    assert transport_words(httpx.ConnectTimeout("t"), URL, who="the server", timeout_s=5) == (
        "The server at huggingface.co did not accept a connection within 5 s: check your internet connection.")
    assert transport_words(httpx.ReadTimeout("t"), URL) == (
        "The model hub at huggingface.co did not answer in time; try again later.")


def test_no_words_hold_a_password_or_an_environment_variable() -> None:
    assert host_of("https://user:secret@mirror.example:8443/api") == "mirror.example:8443"
    for exc in (httpx.ConnectError("x"), httpx.ReadTimeout("x"), httpx.RemoteProtocolError("x")):
        words = transport_words(exc, "https://user:secret@mirror.example/api")
        assert "secret" not in words and "HF_" not in words


@pytest.mark.parametrize(("status", "kwargs", "words"), [
    (404, {"repo": "a/b"}, "No repository called a/b on the model hub at huggingface.co."),
    (404, {"what": "the file", "who": "the server"}, "The file is not on the server at huggingface.co (HTTP 404)."),
    (403, {"repo": "a/b"}, ("The model hub at huggingface.co refused access to a/b (HTTP 403): it may be "
                           "gated or private; accept its terms on its page and add a Hugging Face token in Settings.")),
    (401, {"what": "the search", "gated": False},
     "The model hub at huggingface.co refused the search (HTTP 401): check the Hugging Face token in Settings."),
    (429, {}, "The model hub at huggingface.co asks us to slow down (HTTP 429); try again in a minute."),
    (500, {}, "The model hub at huggingface.co has a problem of its own (HTTP 500); try again later."),
    (418, {"what": "the search"}, "The model hub at huggingface.co answered the search with an error (HTTP 418)."),
])
def test_status_words(status: int, kwargs: dict[str, object], words: str) -> None:
    assert status_words(status, URL, **kwargs) == words  # type: ignore[arg-type]


def test_the_failed_address_is_the_requests_after_redirects() -> None:
    request = httpx.Request("GET", "https://cdn-lfs.hf.co/file")
    assert host_of(failed_url(httpx.ReadTimeout("t", request=request), URL)) == "cdn-lfs.hf.co"
    assert failed_url(httpx.ReadTimeout("t"), URL) == URL


def test_a_group_of_failed_addresses_is_read_member_by_member() -> None:
    group = ExceptionGroup("all addresses failed", [OSError(errno.EADDRNOTAVAIL, "x"),
                                                    ConnectionRefusedError(111, "refused")])
    assert cause_of(chained(httpx.ConnectError("All connection attempts failed"), group)) == "refused"
