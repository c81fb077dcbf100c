"""``python -m app serve``: the local API server, headless, until Ctrl+C.

OpenAI- and Anthropic-compatible routes on http://127.0.0.1:8765/v1 (Settings →
Local API server, or ``--host``/``--port``), answered by the same routers, privacy gate
and fallbacks as the window. ``--new-token`` creates a bearer token, keeps it in the
system keyring and prints it once; a token is required to listen beyond this computer.

Exit codes: 0 stopped with Ctrl+C, 2 the server could not start as asked.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from app.api.server import ApiServer, ApiStartError
from app.api.token import forget_token, new_token, stored_token
from app.cli.errors import UsageError
from app.controller.session import Session


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("serve", help="serve the routers as an OpenAI/Anthropic-compatible API")
    p.add_argument("--host", help="address to listen on (default: 127.0.0.1, this computer only)")
    p.add_argument("--port", type=int, help="port (default: 8765, or the one in settings)")
    p.add_argument("--new-token", action="store_true",
                   help="create a bearer token, keep it in the keyring and print it once")
    p.add_argument("--no-token", action="store_true",
                   help="remove the token (then only this computer may connect)")
    p.add_argument("--offline", action="store_true", help="use no remote provider")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.port is not None and not 0 <= args.port <= 65535:
        raise UsageError("--port takes a number from 0 to 65535")
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    session = await Session.open(offline=True if args.offline else None, primary=False)
    try:
        if args.no_token:
            await forget_token(session.secrets)
        token = await new_token(session.secrets) if args.new_token else await stored_token(session.secrets)
        if args.new_token:
            print(f"API token (shown once; kept in {session.secrets.backend_name}): {token}", flush=True)
        server = ApiServer(session, host=args.host, port=args.port, token=token)
        try:
            await server.start()
        except ApiStartError as exc:
            raise UsageError(str(exc)) from None
        print(f"Switchboard API on {server.base_url} — "
              f"{'token required' if token else 'no token (this computer only)'}; "
              "Ctrl+C stops it", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C is KeyboardInterrupt
                loop.add_signal_handler(sig, stop.set)
        waiting = asyncio.ensure_future(stop.wait())
        serving = asyncio.ensure_future(server.wait())
        await asyncio.wait({waiting, serving}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        await server.stop()
        if serving.done() and not serving.cancelled() and serving.exception() is not None:
            raise serving.exception()  # type: ignore[misc]  # the server failed on its own
        print("stopped", file=sys.stderr)
        return 0
    finally:
        await session.aclose()
