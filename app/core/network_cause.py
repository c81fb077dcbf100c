"""Why a connection to a server failed, in plain words a user can act on.

httpx says only "ConnectError" for a refused port, a name that does not resolve and a
certificate it does not trust alike; the cause is the operating system's error further
down the exception chain (httpx re-raises httpcore's error, which re-raises the socket's,
each ``from`` the one before). ``cause_of`` walks that chain and names the first cause
it knows, with what to check, to put after "Cannot reach X at URL: ".
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

__all__ = ["cause_of", "exception_chain"]

_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN}
_CHAIN_LIMIT = 12  # a chain that deep is a loop or a bug, not more information


def cause_of(exc: BaseException, url: str = "") -> str | None:
    """The cause of ``exc`` and what to check, to follow "Cannot reach X at URL: "
    ("the connection was refused. Is the server running, and on that port?"); None
    when nothing in the chain is one it knows."""
    host = urlsplit(url).hostname or ""
    for link in exception_chain(exc):
        words = _words_for(link, host)
        if words:
            return words
    return None


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, what it was raised from, and so on; into each member of a group (anyio
    raises one when every address of a name failed: IPv6 and IPv4 of "localhost").
    Also how the model hub's failures are read (app.core.models.hub_failures)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < _CHAIN_LIMIT:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        members = list(link.exceptions) if isinstance(link, BaseExceptionGroup) else []
        following = link.__cause__ or link.__context__
        pending[:0] = [*members, *([following] if following is not None else [])]


def _words_for(link: BaseException, host: str) -> str | None:
    # Most specific first: a certificate error is an SSLError is an OSError.
    if isinstance(link, httpx.TimeoutException):
        return _timeout_words(link)
    if isinstance(link, ssl.SSLCertVerificationError):
        reason = (link.verify_message or "").strip()
        return ("its security certificate is not trusted"
                + (f" ({reason})" if reason else "")
                + ". Check the address, or the server's certificate.")
    if isinstance(link, ssl.SSLError):
        return ("the secure (https) connection failed. If the server uses plain http, "
                "write the address with http://.")
    if isinstance(link, socket.gaierror):
        name = f"“{host}”" if host else "the server's name"
        return f"{name} was not found. Check the address, and that this computer is online."
    if isinstance(link, ConnectionRefusedError):
        return "the connection was refused. Is the server running, and on that port?"
    if isinstance(link, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return "the server closed the connection."
    if isinstance(link, httpx.RemoteProtocolError):
        return "the server closed the connection without answering."
    if isinstance(link, OSError) and link.errno in _UNREACHABLE:
        return "there is no network route to it. Check this computer's connection."
    return None


def _timeout_words(exc: httpx.TimeoutException) -> str:
    seconds = _limit(exc, "connect" if isinstance(exc, httpx.ConnectTimeout) else "read")
    within = f" within {seconds:g} s" if seconds is not None else " in time"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no answer{within}. The server may be down, or a firewall in the way."
    return f"connected, but no answer came{within}."


def _limit(exc: httpx.TimeoutException, phase: str) -> float | None:
    """The timeout httpx applied, from the request it failed on (None when unknown)."""
    try:
        timeouts = exc.request.extensions.get("timeout", {})
    except RuntimeError:  # an error raised without its request (hand-made, in tests)
        return None
    value = timeouts.get(phase) if isinstance(timeouts, dict) else None
    return float(value) if isinstance(value, int | float) else None
