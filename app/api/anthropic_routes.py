"""The Anthropic-compatible route: ``POST /v1/messages``, streaming and not.

Read as Anthropic's Messages API describes it: ``system`` (text or text blocks),
``messages`` with text and base64 image blocks, ``max_tokens`` (required there, and so
here), ``temperature``, ``top_p``, ``stream``. Streams are the named events its SDKs
read: message_start, content_block_start, ping, content_block_delta, content_block_stop,
message_delta, message_stop; a reply that breaks off ends with an ``error`` event.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.api.answering import Answering, Asked, Begun, cut_off
from app.api.errors import ApiError, Problem
from app.api.openai_routes import SSE_HEADERS, read_json
from app.controller.events import Delta, Done, Failed
from app.controller.turns import ApiTurn
from app.core.providers.base import ImagePart


def asked_of(body: dict[str, Any]) -> Asked:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(Problem.BAD_REQUEST, "model: Field required")
    limit = body.get("max_tokens")
    if limit is None:
        raise ApiError(Problem.BAD_REQUEST, "max_tokens: Field required")
    if body.get("tools"):
        raise ApiError(Problem.BAD_REQUEST, "tools: not supported by this server")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(Problem.BAD_REQUEST, "messages: at least one message is required")
    turns = []
    for number, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            raise ApiError(Problem.BAD_REQUEST, f"messages.{number}.role: expected user or assistant")
        text, images = _blocks(message.get("content"), f"messages.{number}.content")
        turns.append(ApiTurn(role, text, images if role == "user" else ()))
    system, _ = _blocks(body.get("system") or "", "system", images=False)
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ApiError(Problem.BAD_REQUEST, f"{name}: expected a number")
    return Asked(model, tuple(turns), system, body.get("temperature"), body.get("top_p"), limit,
                 body.get("stream") is True)


def _blocks(content: object, where: str, *, images: bool = True) -> tuple[str, tuple[ImagePart, ...]]:
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise ApiError(Problem.BAD_REQUEST, f"{where}: expected text or a list of content blocks")
    texts: list[str] = []
    found: list[ImagePart] = []
    for number, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "image" and images:
            found.append(_image(block.get("source"), f"{where}.{number}"))
        else:
            raise ApiError(Problem.BAD_REQUEST, f"{where}.{number}: blocks of type {kind!r} are not supported")
    return "\n".join(texts), tuple(found)


def _image(source: object, where: str) -> ImagePart:
    if not isinstance(source, dict) or source.get("type") != "base64":
        raise ApiError(Problem.BAD_REQUEST, f"{where}.source: images must be base64 "
                       "(this server fetches nothing from the web)")
    try:
        return ImagePart(str(source.get("media_type") or "image/png"),
                         base64.b64decode(str(source.get("data", "")), validate=True))
    except (binascii.Error, ValueError):
        raise ApiError(Problem.BAD_REQUEST, f"{where}.source.data: not valid base64") from None


async def messages(request: Request) -> Response:
    answering: Answering = request.app.state.answering
    asked = asked_of(await read_json(request))
    begun = await answering.begin(asked, request.receive)
    message_id = f"msg_{uuid.uuid4().hex[:24]}"
    if asked.stream:
        return StreamingResponse(_events(begun, message_id), media_type="text/event-stream",
                                 headers={**SSE_HEADERS, **begun.headers()})
    done = await begun.finished(request.receive)
    return JSONResponse({
        "id": message_id, "type": "message", "role": "assistant", "model": done.target,
        "content": [{"type": "text", "text": done.text}],
        "stop_reason": _stop_reason(done), "stop_sequence": None,
        "usage": {"input_tokens": done.tokens_in, "output_tokens": done.tokens_out},
    }, headers=begun.headers())


def _stop_reason(done: Done) -> str:
    return "max_tokens" if cut_off(done) else "end_turn"


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps({'type': event, **data}, ensure_ascii=False)}\n\n"


async def _events(begun: Begun, message_id: str) -> AsyncIterator[str]:
    try:
        yield _sse("message_start", {"message": {
            "id": message_id, "type": "message", "role": "assistant", "model": begun.target,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0}}})
        yield _sse("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        yield _sse("ping", {})
        async for event in begun.all():
            if isinstance(event, Delta):
                yield _sse("content_block_delta", {"index": 0,
                                                   "delta": {"type": "text_delta", "text": event.text}})
            elif isinstance(event, Done):
                yield _sse("content_block_stop", {"index": 0})
                yield _sse("message_delta", {
                    "delta": {"stop_reason": _stop_reason(event), "stop_sequence": None},
                    "usage": {"input_tokens": event.tokens_in, "output_tokens": event.tokens_out}})
                yield _sse("message_stop", {})
                return
            elif isinstance(event, Failed):
                yield _sse("error", {"error": {"type": "api_error",
                                               "message": f"The reply broke off: {event.reason}"}})
                return
    finally:
        begun.run.stop()
