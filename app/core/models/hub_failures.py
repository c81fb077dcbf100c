"""Why the model hub (or a download server) could not be used, in plain words naming the cause.

One mapping for every way the app talks to the hub: search and file lists (through
``huggingface_hub``, which uses ``httpx2``), the header read for "will it fit" and the
downloads (``httpx``). Both libraries raise parallel exception trees, so a failure is
read by its class names and by the operating-system error at the bottom of its chain
(``socket.gaierror`` for a name that cannot be looked up, ``ConnectionRefusedError``…),
never by importing either library here. The words name a place as the user knows it
("the model hub at huggingface.co"), never an environment variable or an exception name
alone. It never imports Qt.
"""

from __future__ import annotations

import errno
import socket
import ssl
from urllib.parse import urlsplit

from app.core.network_cause import exception_chain

__all__ = ["cause_of", "failed_url", "host_of", "status_words", "transport_words"]

_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})
# Words the resolvers put in a message when the chain lost the gaierror itself.
_LOOKUP_WORDS = ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                 "temporary failure in name resolution", "no address associated")


def host_of(url: str) -> str:
    """``huggingface.co`` or ``127.0.0.1:8080`` from a URL (no user name or password)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def failed_url(exc: BaseException, fallback: str) -> str:
    """The address the failed request went to (after redirects: a file's own server),
    else ``fallback``."""
    try:
        return str(exc.request.url)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # no request attached (httpx raises RuntimeError)
        return fallback


def _named(exc: BaseException, *names: str) -> bool:
    return any(cls.__name__ in names for cls in type(exc).__mro__)


def cause_of(exc: BaseException) -> str:
    """What went wrong, as one of: ``lookup`` (the name could not be looked up),
    ``refused``, ``unreachable`` (no route to the network), ``connect_timeout``,
    ``read_timeout`` (connected, then silence), ``closed`` (hung up before answering),
    ``secure`` (TLS failed), ``proxy`` or ``other``."""
    chain = list(exception_chain(exc))
    for link in chain:
        if isinstance(link, socket.gaierror):
            return "lookup"
        if isinstance(link, ConnectionRefusedError):
            return "refused"
        if isinstance(link, OSError) and link.errno in _UNREACHABLE:
            return "unreachable"
        if isinstance(link, ssl.SSLError):
            return "secure"
    for link in chain:
        if _named(link, "ConnectTimeout"):
            return "connect_timeout"
        if _named(link, "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException",
                  "TimeoutError"):
            return "read_timeout"
        if _named(link, "ProxyError"):
            return "proxy"
        if _named(link, "RemoteProtocolError", "ReadError", "WriteError", "ConnectionResetError",
                  "BrokenPipeError"):
            return "closed"
    text = " ".join(str(link) for link in chain).lower()
    if any(words in text for words in _LOOKUP_WORDS):
        return "lookup"
    if "connection refused" in text or "errno 111" in text:
        return "refused"
    return "other"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def transport_words(exc: BaseException, url: str, *, who: str = "the model hub",
                    timeout_s: float | None = None) -> str:
    """One sentence for a failure to talk to the server at ``url`` (the hub's endpoint or
    the file's address): "Cannot find huggingface.co: check your internet connection (the
    name could not be looked up)." ``who`` names the server for the user ("the model
    hub", "the download server"); ``timeout_s`` is the limit a timeout ran into."""
    host = host_of(url)
    place = f"{who} at {host}"
    within = f" within {_seconds(timeout_s)}" if timeout_s is not None else " in time"
    cause = cause_of(exc)
    if cause == "lookup":
        return f"Cannot find {host}: check your internet connection (the name could not be looked up)."
    if cause == "refused":
        return f"{_capital(place)} refused the connection: is the server running?"
    if cause == "unreachable":
        return f"Cannot reach {host}: this computer has no route to it; check your internet connection."
    if cause == "connect_timeout":
        return f"{_capital(place)} did not accept a connection{within}: check your internet connection."
    if cause == "read_timeout":
        return f"{_capital(place)} did not answer{within}; try again later."
    if cause == "closed":
        return f"{_capital(place)} closed the connection before answering; try again later."
    if cause == "secure":
        return (f"Cannot make a secure connection to {host} (a network that intercepts traffic, "
                "or a wrong clock on this computer, can cause this).")
    if cause == "proxy":
        return f"The proxy between this computer and {host} refused the connection."
    return f"Cannot reach {place} ({type(exc).__name__})."


def status_words(status: int, url: str, *, who: str = "the model hub", what: str = "the request",
                 repo: str | None = None, gated: bool = True) -> str:
    """One sentence for an HTTP error answer: a missing repository or file (404), a gated
    or private one (401/403; ``gated=False`` for a request no licence governs, a search),
    "slow down" (429), the server's own trouble (5xx)."""
    host = host_of(url)
    place = f"{who} at {host}"
    if status == 404:
        if repo is not None:
            return f"No repository called {repo} on {place}."
        return f"{_capital(what)} is not on {place} (HTTP 404)."
    if status in (401, 403) and not gated:
        return f"{_capital(place)} refused {what} (HTTP {status}): check the Hugging Face token in Settings."
    if status in (401, 403):
        subject = repo if repo is not None else what
        return (f"{_capital(place)} refused access to {subject} (HTTP {status}): it may be gated "
                "or private; accept its terms on its page and add a Hugging Face token in Settings.")
    if status == 429:
        return f"{_capital(place)} asks us to slow down (HTTP 429); try again in a minute."
    if 500 <= status < 600:
        return f"{_capital(place)} has a problem of its own (HTTP {status}); try again later."
    return f"{_capital(place)} answered {what} with an error (HTTP {status})."
