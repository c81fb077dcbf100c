"""``python -m app ask "text"``: route, stream and save a message, headless.

The reply goes to stdout as it streams; the route line and anything that went wrong go
to stderr, so ``ask ... > answer.txt`` keeps just the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from app.cli.errors import UsageError
from app.controller.events import Delta, Done, Failed, FallbackUsed, Routed
from app.controller.session import Session
from app.core.providers.base import ImagePart
from app.core.router import Decision, Router, RouterFormatError

EXIT_NO_ANSWER = 1
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".gif": "image/gif"}


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("ask", help="send a message and stream the answer")
    p.add_argument("text", help="the message")
    p.add_argument("--router", help="router file or name (default: the one in settings)")
    p.add_argument("--conversation", type=int, metavar="ID", help="continue this conversation")
    p.add_argument("--offline", action="store_true", help="use no remote provider")
    p.add_argument("--max-tokens", type=int, metavar="N",
                   help="end the reply after N tokens (default: when the model stops)")
    p.add_argument("--local-only", action="store_true",
                   help="lock this conversation to models on this computer (kept for later messages)")
    p.add_argument("--image", type=Path, action="append", default=[], metavar="PATH",
                   help="attach an image (PNG, JPEG, WebP or GIF); may be repeated")
    p.set_defaults(run=run)


def route_line(decision: Decision) -> str:
    if decision.rule is not None:
        entry = next((t for t in decision.trace if t.rule == decision.rule and t.label), None)
        title = entry.label if entry is not None else decision.rule
        if decision.sticky:
            why = f"kept from rule {title}"
        else:
            why = f"rule {title}: {entry.detail}" if entry else f"rule {title}"
    else:
        why = "no rule matched, fallback"
        if decision.needs_classifier:
            why += f" ({len(decision.needs_classifier)} plain-English rules wait for the classifier)"
    return f"→ {decision.target} · {why}"


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_ask(args))


async def _ask(args: argparse.Namespace) -> int:
    session = await Session.open(offline=True if args.offline else None, primary=False)
    try:
        try:
            router = session.router(args.router)
        except RouterFormatError as exc:
            raise UsageError(f"router: {exc}") from None
        cid = args.conversation or session.chat.new_conversation(router)
        if session.store.conversation(cid) is None:
            raise UsageError(f"there is no conversation {cid} (see: python -m app history)")
        if args.max_tokens is not None:
            if args.max_tokens < 1:
                raise UsageError("--max-tokens: give a whole number of at least 1")
            session.chat.max_tokens = args.max_tokens
        if args.local_only:
            session.chat.set_lock(cid, True)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, session.chat.stop, cid)  # Ctrl+C stops, keeps the text
        images = [read_image(path) for path in args.image]
        return await _stream(session, cid, args.text, router, images)
    finally:
        await session.aclose()


def read_image(path: Path) -> ImagePart:
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise UsageError(f"--image {path}: not a PNG, JPEG, WebP or GIF file")
    try:
        return ImagePart(mime, path.read_bytes())
    except OSError as exc:
        raise UsageError(f"--image {path}: {exc.strerror or exc}") from None


async def _stream(session: Session, cid: int, text: str, router: Router, images: list[ImagePart]) -> int:
    code = 0
    async for event in session.chat.send(cid, text, router, images):
        if isinstance(event, Routed):
            print(route_line(event.decision), file=sys.stderr, flush=True)
        elif isinstance(event, FallbackUsed):
            print(f"↷ {event.failed} failed ({event.reason}); trying {event.next_target}",
                  file=sys.stderr, flush=True)
        elif isinstance(event, Delta):
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, Done):
            print()
            note = " · stopped" if event.status == "incomplete" else ""
            print(f"  {event.target} · {event.tokens_out} tokens · {event.latency_ms:,.0f} ms"
                  f" · conversation {cid}{note}", file=sys.stderr)
        elif isinstance(event, Failed):
            if event.partial:
                print()
            print(f"error: {event.reason}", file=sys.stderr)
            code = EXIT_NO_ANSWER
    return code
