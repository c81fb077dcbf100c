"""The local API server: a Starlette app served by uvicorn on the app's own event loop.

Not a thread or a second process: ``uvicorn.Server.serve()`` runs as a task on the loop
that already runs the window (qasync) or the ``serve`` command (asyncio), so a request
is answered by the very session, routing service and llama.cpp worker the chat uses.
The socket is bound here, before uvicorn starts, so a port in use or a refused address
is an ``ApiStartError`` in plain words (uvicorn itself would exit the process).
Uvicorn's signal handling is off: the window and the command own Ctrl+C.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.api import anthropic_routes, openai_routes
from app.api.answering import Answering
from app.api.errors import ApiError, Problem, dialect_of
from app.api.guard import Guard, LocalQueue
from app.core.api_settings import is_loopback

if TYPE_CHECKING:
    from app.controller.session import Session

log = logging.getLogger(__name__)
SHUTDOWN_S = 3  # streams still open when the server stops are cut after this


class ApiStartError(Exception):
    """The server cannot start as asked; the message says why and what to do."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the window or the command handles signals, not the server


class ApiServer:
    def __init__(self, session: Session, *, host: str | None = None, port: int | None = None,
                 token: str | None = None) -> None:
        settings = session.settings.api
        self.session = session
        self.host = host or settings.host
        self.port = settings.port if port is None else port
        self.token = token
        self.queue = LocalQueue()
        self.answering = Answering(session, self.queue)
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def app(self) -> Guard:
        routes = [
            Route("/v1/models", openai_routes.list_models, methods=["GET"]),
            Route("/v1/chat/completions", openai_routes.chat_completions, methods=["POST"]),
            Route("/v1/embeddings", openai_routes.embeddings, methods=["POST"]),
            Route("/v1/messages", anthropic_routes.messages, methods=["POST"]),
        ]
        handlers: Any = {ApiError: _api_error, HTTPException: _http_error, Exception: _internal_error}
        app = Starlette(routes=routes, exception_handlers=handlers)
        app.state.answering = self.answering
        api = self.session.settings.api
        return Guard(app, host=self.host, token=lambda: self.token, cors_origins=api.cors_origins,
                     allowed_hosts=api.allowed_hosts)

    async def start(self) -> None:
        """Listen; ApiStartError when it cannot (no token for another computer, port taken)."""
        if not is_loopback(self.host) and not self.token:
            raise ApiStartError(f"Listening on {self.host} lets other computers call this server, so it "
                                "needs a token: create one (Settings → Local API server, or "
                                "`python -m app serve --new-token`) and try again.")
        sock = _bound(self.host, self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app(), http=H11Protocol, ws="none", lifespan="off",
                                log_config=None, log_level="warning", access_log=False,
                                server_header=False, timeout_graceful_shutdown=SHUTDOWN_S)
        self._server = _Server(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task.done():
            sock.close()
            error = self._task.exception()
            raise ApiStartError(f"The API server did not start: {error}")

    async def wait(self) -> None:
        """Until the server stops."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        """Stop listening, stop the answers still streaming, and wait for them."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        self.answering.answerer.stop_all()
        with contextlib.suppress(Exception):
            await self._task
        await self.answering.aclose()
        self._server = self._task = None


def _bound(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        with contextlib.suppress(NameError):
            sock.close()
        if exc.errno == 98:  # EADDRINUSE
            raise ApiStartError(f"Port {port} on {host} is in use by another program: choose another "
                                "port.") from None
        raise ApiStartError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response(dialect_of(request.url.path))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    problem = Problem.NOT_FOUND if exc.status_code == 404 else Problem.BAD_REQUEST
    message = f"No route {request.method} {request.url.path}." if exc.status_code in (404, 405) \
        else str(exc.detail)
    error = ApiError(problem, message)
    response = error.response(dialect_of(request.url.path))
    response.status_code = exc.status_code
    return response


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.error("API request failed: %s", type(exc).__name__, exc_info=exc)
    return ApiError(Problem.INTERNAL, "The server failed on this request; see the app's log."
                    ).response(dialect_of(request.url.path))
