"""``python -m app route``: decide where a message goes, without sending it.

The JSON it prints is a contract other tools rely on: target, rule, reason, trace,
needs_classifier, elapsed_us; and, when plain-English rules were decided, classifier:
{method ("examples" or "llm"), model, answer, latency_ms, scores, …}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from app.cli.errors import UsageError
from app.controller.route_words import Route, route_sentence, trace_lines
from app.controller.routing import RouteResult
from app.controller.session import Session
from app.core.router import Router, RouterFormatError, Turn
from app.core.safe_read import UnsafeInput, one_line, read_json

MAX_CONVERSATION_BYTES = 64 << 20  # a long chat with its text, not a disk image
NOW_YEARS = (1970, 9998)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("route", help="show which model a message would go to, and why")
    p.add_argument("--router", required=True,
                   help="a router file, or the name of a bundled template (\"Save money\")")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--message", help="the message to route")
    source.add_argument("--conversation", type=Path,
                        help='a JSON list of {"role", "content"}; the last user message is routed')
    p.add_argument("--now", help="pretend it is this time (ISO 8601, e.g. 2026-11-25T22:30+01:00)")
    p.add_argument("--image", action="store_true", help="the message has an image attached")
    p.add_argument("--offline", action="store_true", help="treat every remote target as unavailable")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    turns = read_conversation(args.conversation) if args.conversation else [Turn("user", args.message)]
    if args.image:
        turns = with_image(turns)
    result = asyncio.run(_route(args.router, turns, parse_now(args.now), args.offline))
    decision = result.decision
    if args.json:
        out = decision.to_dict()
        if result.classifier is not None:
            out["classifier"] = result.classifier.to_dict()
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(route_sentence(Route.of_decision(decision)))
        for line in trace_lines(decision.trace):
            print(f"  {line}")
    return 0


async def _route(spec: str, turns: list[Turn], now: datetime, offline: bool) -> RouteResult:
    """The session's own routing service: the settings, keys and availability ``ask`` sees."""
    session = await Session.open(offline=True if offline else None, primary=False)
    try:
        return await session.routing.route(find_router(session, spec), turns, now=now)
    finally:
        await session.aclose()


def find_router(session: Session, spec: str) -> Router:
    try:
        return session.router(spec)
    except RouterFormatError as exc:
        raise UsageError(f"router: {exc}") from None  # exc names the file or the name


def parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now().astimezone()
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f'--now: "{one_line(text, 60)}" is not an ISO 8601 time '
                         "(e.g. 2026-11-25T22:30+01:00)") from None
    # The calendar's ends: year 1 at +14:00 is year 0 in UTC, which datetime cannot hold.
    if not NOW_YEARS[0] <= now.year <= NOW_YEARS[1]:
        raise UsageError(f"--now: pick a time between the years {NOW_YEARS[0]} and {NOW_YEARS[1]}")
    return now if now.tzinfo else now.astimezone()  # a time without offset is local time


def read_conversation(path: Path) -> list[Turn]:
    try:
        data = read_json(path, limit=MAX_CONVERSATION_BYTES)
    except OSError as exc:
        raise UsageError(f"conversation {path}: {exc.strerror or exc}") from None
    except UnsafeInput as exc:
        raise UsageError(f"conversation {path} {exc}") from None
    if not isinstance(data, list) or not data:
        raise UsageError(f'conversation {path}: expected a non-empty list of {{"role", "content"}}')
    turns = [_turn(item, i, path) for i, item in enumerate(data)]
    if not any(t.role == "user" for t in turns):
        raise UsageError(f"conversation {path}: there is no user message to route")
    return turns


def with_image(turns: list[Turn]) -> list[Turn]:
    """--image: the routed (last user) message has at least one image attached."""
    last = max(i for i, t in enumerate(turns) if t.role == "user")
    turn = turns[last]
    return [*turns[:last], Turn(turn.role, turn.content, max(1, turn.images)), *turns[last + 1:]]


def _turn(item: Any, index: int, path: Path) -> Turn:
    where = f"conversation {path}: item {index}"
    if not isinstance(item, dict) or not isinstance(item.get("role"), str) or "content" not in item:
        raise UsageError(f'{where}: expected an object with "role" and "content"')
    content = item["content"]
    if isinstance(content, str):
        return Turn(item["role"], content)
    if isinstance(content, list):  # OpenAI content parts: text and image_url
        texts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        images = sum(1 for p in content if isinstance(p, dict) and p.get("type") == "image_url")
        return Turn(item["role"], "\n".join(t for t in texts if isinstance(t, str)), images)
    if content is None:
        return Turn(item["role"], "")
    raise UsageError(f"{where}: content must be text or a list of parts")
