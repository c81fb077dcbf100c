"""The window's local API server: started with the window when Settings says so, and
switched on and off from Settings → Local API server. The server itself (app/api) runs
on the window's qasync loop; this object holds it for the window's lifetime and says
when its state changed."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.api.server import ApiServer, ApiStartError
from app.api.token import forget_token, new_token, stored_token

if TYPE_CHECKING:
    from app.controller.session import Session

log = logging.getLogger(__name__)

__all__ = ["ApiServerHost"]


class ApiServerHost(QObject):
    sig_state_changed = Signal()
    """Started, stopped, failed to start, or the token changed: read ``status()``."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._server: ApiServer | None = None
        self.problem = ""  # why the last start failed, in plain words
        self.has_token = False
        self._lock = asyncio.Lock()  # one start or stop at a time
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.running

    @property
    def base_url(self) -> str:
        if self._server is not None and self.running:
            return self._server.base_url
        api = self._session.settings.api
        host = f"[{api.host}]" if ":" in api.host else api.host
        return f"http://{host}:{api.port}/v1"

    def status(self) -> str:
        if self.running:
            guard = "a token is required" if self.has_token else "no token: this computer only"
            return f"Running on {self.base_url} ({guard})."
        return f"Not running: {self.problem}" if self.problem else "Not running."

    def switch(self, on: bool) -> asyncio.Task[None]:
        """Start (or restart) or stop the server in the background; never cancelled
        half-way (a second switch waits for the first: one start or stop at a time)."""
        task = asyncio.ensure_future(self.start() if on else self.stop())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def start_if_enabled(self) -> None:
        if self._session.settings.api.enabled:
            self.switch(True)

    async def start(self) -> None:
        async with self._lock:
            await self._stop()
            token = await stored_token(self._session.secrets)
            self.has_token = token is not None
            server = ApiServer(self._session, token=token)
            try:
                await server.start()
            except ApiStartError as error:
                self.problem = str(error)
                log.warning("The local API server did not start: %s", error)
            else:
                self._server, self.problem = server, ""
        self.sig_state_changed.emit()

    async def stop(self) -> None:
        async with self._lock:
            await self._stop()
            self.problem = ""
        self.sig_state_changed.emit()

    async def _stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop()

    async def create_token(self) -> str:
        """A new token (shown once by the caller); a running server requires it at once.
        SecretsError when the keyring refuses it (it then holds for this session)."""
        try:
            token = await new_token(self._session.secrets)
        finally:
            await self._token_changed()
        return token

    async def remove_token(self) -> None:
        try:
            await forget_token(self._session.secrets)
        finally:
            await self._token_changed()

    async def _token_changed(self) -> None:
        token = await stored_token(self._session.secrets)
        self.has_token = token is not None
        if self._server is not None:
            self._server.token = token
        self.sig_state_changed.emit()
