"""``python -m app ask "text"``: route, stream and save a message, headless.

The reply goes to stdout as it streams; the route line, reading progress and anything
that went wrong go to stderr, so ``ask ... > answer.txt`` keeps just the answer. The
chat-setting options (system prompt, sampling, reply length, one model, context policy)
are stored with the conversation, as the window's Chat settings are.

Exit codes: 0 answered, 1 nothing answered (every target in the chain failed), 2 bad
input, 130 stopped with Ctrl+C (the partial reply is kept).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from app.cli.arguments import record_id
from app.cli.errors import EXIT_BAD_INPUT, UsageError
from app.controller import route_words as words
from app.controller.error_words import describe
from app.controller.events import Delta, Done, Failed, FallbackUsed, Reading, Routed
from app.controller.session import Session
from app.core.byte_size import format_bytes
from app.core.chat_settings import ChatSettingsError, ContextPolicy
from app.core.images import ACCEPTED_FORMATS, MAX_IMAGE_BYTES, ImageError, image_file
from app.core.providers.base import ImagePart
from app.core.router import Decision, Router, RouterFormatError
from app.core.safe_read import safe_text
from app.core.store import DatabaseDamaged, DatabaseTooNew, StoreError

EXIT_NO_ANSWER = 1
EXIT_STOPPED = 130  # the shell's code for Ctrl+C


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("ask", help="send a message and stream the answer")
    p.add_argument("text", help="the message")
    p.add_argument("--router", help="router file or name (default: the one in settings)")
    p.add_argument("--conversation", type=record_id, metavar="ID", help="continue this conversation")
    p.add_argument("--offline", action="store_true", help="use no remote provider")
    chat = p.add_argument_group("chat settings (stored with the conversation)")
    chat.add_argument("--system", metavar="TEXT", help="system prompt for this conversation")
    chat.add_argument("--temperature", type=float, metavar="T", help="sampling temperature, 0 to 2")
    chat.add_argument("--top-p", type=float, metavar="P", help="nucleus sampling, 0 to 1")
    chat.add_argument("--max-tokens", type=int, metavar="N",
                      help="end each reply after N tokens (default: when the model stops)")
    chat.add_argument("--model", metavar="PROVIDER:MODEL",
                      help="one model answers this conversation instead of its router")
    chat.add_argument("--context-policy", choices=[p.value for p in ContextPolicy],
                      help="when the chat outgrows the model's window: drop the oldest turns "
                           "(rolling), summarize them locally (summarize), or stop")
    p.add_argument("--local-only", action="store_true",
                   help="lock this conversation to models on this computer (kept for later messages)")
    p.add_argument("--image", type=Path, action="append", default=[], metavar="PATH",
                   help=f"attach an image ({ACCEPTED_FORMATS}, at most {format_bytes(MAX_IMAGE_BYTES)}); "
                        "may be repeated")
    p.set_defaults(run=run)


def route_line(decision: Decision) -> str:
    return f"→ {words.route_line(words.Route.of_decision(decision))}"


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_ask(args))


async def _ask(args: argparse.Namespace) -> int:
    # Refused before the store is opened: a bad image leaves no empty chat behind.
    images = [read_image(path) for path in args.image]
    message = _Message(args.text)
    try:
        session = await Session.open(offline=True if args.offline else None, primary=False)
    except StoreError as exc:
        return message.not_saved(exc)
    try:
        return await _ask_in(session, args, images, message)
    except StoreError as exc:
        if message.saved:
            raise  # the message is in the database; only the reply's bookkeeping failed
        message.forget_new_chat(session)
        return message.not_saved(exc)
    except UsageError:  # the command line was wrong: it is still in the shell's history
        message.forget_new_chat(session)  # a refused --temperature leaves no empty chat
        raise
    except BaseException:
        if not message.saved:
            message.print_back()
        raise
    finally:
        await session.aclose()


async def _ask_in(session: Session, args: argparse.Namespace, images: list[ImagePart],
                  message: _Message) -> int:
    try:
        router = session.router(args.router)
    except RouterFormatError as exc:
        raise UsageError(f"router: {exc}") from None
    if args.conversation is None:
        cid = message.new_chat = session.chat.new_conversation(router)
    else:
        cid = args.conversation
    if session.store.conversation(cid) is None:
        raise UsageError(f"there is no conversation {cid} (see: python -m app history)")
    _store_chat_settings(session, cid, args)
    if args.local_only:
        session.chat.set_lock(cid, True)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, session.chat.stop, cid)  # Ctrl+C stops, keeps the text
    return await _stream(session, cid, message, router, images)


class _Message:
    """The user's typed message, until the database holds it: when it cannot be stored,
    it is printed back in full, so that nothing they wrote is lost."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.saved = False  # the chat's first event comes only once it is stored
        self.new_chat: int | None = None  # the chat this run created for it

    def not_saved(self, exc: StoreError) -> int:
        """Say why (one line) and give the message back; the exit status for ``exc``."""
        print(f"error: {describe(exc)}", file=sys.stderr)
        self.print_back()
        # A file Switchboard cannot use is bad input; a busy or failing one is not.
        return EXIT_BAD_INPUT if isinstance(exc, DatabaseDamaged | DatabaseTooNew) else EXIT_NO_ANSWER

    def print_back(self) -> None:
        print(f"Your message was not saved: {safe_text(self.text)}", file=sys.stderr, flush=True)

    def forget_new_chat(self, session: Session) -> None:
        """Delete the chat made for a message that was never stored (it would list empty)."""
        if self.new_chat is None:
            return
        try:
            session.conversations.delete(self.new_chat)
        except StoreError:
            pass  # the database that refused the message refuses this too: an empty chat stays


def _store_chat_settings(session: Session, cid: int, args: argparse.Namespace) -> None:
    given: dict[str, Any] = {name: value for name, value in (
        ("system_prompt", args.system), ("temperature", args.temperature), ("top_p", args.top_p),
        ("max_tokens", args.max_tokens), ("target", args.model),
        ("context_policy", ContextPolicy(args.context_policy) if args.context_policy else None),
    ) if value is not None}
    if not given:
        return
    try:
        settings = session.conversations.chat_settings(cid).updated(**given)
    except ChatSettingsError as exc:
        raise UsageError(str(exc)) from None
    session.conversations.set_chat_settings(cid, settings)


def read_image(path: Path) -> ImagePart:
    """The image at ``path``, refused (exit 2) before anything is stored or sent when it is
    not a PNG, JPEG, GIF or WebP file within the limit: its content decides, not its name."""
    try:
        return image_file(path)
    except ImageError as exc:
        raise UsageError(f"--image: {exc}") from None


async def _stream(session: Session, cid: int, message: _Message, router: Router,
                  images: list[ImagePart]) -> int:
    code = 0
    progress = _Progress(sys.stderr)
    async for event in session.chat.send(cid, message.text, router, images):
        message.saved = True  # send() stores the message before its first event
        if isinstance(event, Reading):
            progress.show(event)
            continue
        progress.clear()
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
            note = " · stopped" if event.status == "incomplete" else \
                f" · {event.message.error}" if event.message.error else ""  # cut off at its limit
            print(f"  {event.target} · {event.tokens_out} tokens · {event.latency_ms:,.0f} ms"
                  f" · conversation {cid}{note}", file=sys.stderr)
            if event.status == "incomplete":
                code = EXIT_STOPPED
        elif isinstance(event, Failed):
            if event.partial:
                print()
            print(f"error: {event.reason}", file=sys.stderr)
            code = EXIT_NO_ANSWER
    return code


class _Progress:
    """"Reading the conversation… 1,800 of 3,900 tokens" on one line of a terminal;
    nothing when stderr is a file or a pipe (a log wants the outcome, not a meter)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._shown = False

    def show(self, event: Reading) -> None:
        if self._tty and event.total:
            print(f"\rReading the conversation… {event.done:,} of {event.total:,} tokens",
                  end="", file=self._out, flush=True)
            self._shown = True

    def clear(self) -> None:
        if self._shown:
            print("\r\033[K", end="", file=self._out, flush=True)
            self._shown = False
