"""The OpenAI-compatible routes: ``/v1/models``, ``/v1/chat/completions``, ``/v1/embeddings``.

Request bodies are read as the OpenAI reference describes them; what Switchboard cannot
honour (tools, several choices, images by URL) is refused with a 400 that says so,
never ignored in silence. The body's ``model`` is the target that answered.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.api.answering import (
    EMBEDDING_MODEL,
    ROUTER_PREFIX,
    Answering,
    Asked,
    Begun,
    cut_off,
)
from app.api.errors import ApiError, Problem
from app.controller.events import Delta, Done, Failed
from app.controller.turns import ApiTurn
from app.core.models.embedding_model import BUNDLED_EMBEDDER_NAME
from app.core.providers.base import ImagePart

MAX_EMBED_INPUTS = 256
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def read_json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(Problem.BAD_REQUEST, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(Problem.BAD_REQUEST, "The body must be a JSON object.")
    return body


# ---- /v1/models --------------------------------------------------------------------------

def models_body(answering: Answering, anthropic: bool) -> dict[str, Any]:
    ids = [f"{ROUTER_PREFIX}{r.name}" for r in answering.routers()] + answering.targets()
    if anthropic:  # the Anthropic SDK lists models here too, in its own shape
        data = [{"type": "model", "id": i, "display_name": i, "created_at": "2025-01-01T00:00:00Z"}
                for i in ids]
        return {"data": data, "has_more": False, "first_id": ids[0] if ids else None,
                "last_id": ids[-1] if ids else None}
    return {"object": "list", "data": [{"id": i, "object": "model", "created": 0,
                                        "owned_by": "switchboard"} for i in [*ids, EMBEDDING_MODEL]]}


async def list_models(request: Request) -> Response:
    answering: Answering = request.app.state.answering
    return JSONResponse(models_body(answering, "anthropic-version" in request.headers))


# ---- /v1/chat/completions ------------------------------------------------------------------

def asked_of(body: dict[str, Any]) -> tuple[Asked, bool]:
    """The request, and whether usage is wanted in the stream."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(Problem.BAD_REQUEST, "'model' is required.", param="model")
    for unsupported in ("tools", "functions", "tool_choice", "response_format", "logprobs"):
        if body.get(unsupported) not in (None, False, [], {"type": "text"}):
            raise ApiError(Problem.BAD_REQUEST, f"'{unsupported}' is not supported by this server.",
                           param=unsupported)
    if body.get("n", 1) != 1:
        raise ApiError(Problem.BAD_REQUEST, "Only one choice (n = 1) is answered.", param="n")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(Problem.BAD_REQUEST, "'messages' must be a non-empty list.", param="messages")
    system: list[str] = []
    turns: list[ApiTurn] = []
    for number, message in enumerate(messages):
        if not isinstance(message, dict):
            raise ApiError(Problem.BAD_REQUEST, f"messages[{number}] is not an object.", param="messages")
        role = message.get("role")
        text, images = _content(message.get("content"), number)
        if role in ("system", "developer"):
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append(ApiTurn(role, text, images if role == "user" else ()))
        else:
            raise ApiError(Problem.BAD_REQUEST, f"messages[{number}]: the role {role!r} is not supported.",
                           param="messages")
    stream = body.get("stream") is True
    options = body.get("stream_options") or {}
    include_usage = stream and isinstance(options, dict) and options.get("include_usage") is True
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    return Asked(model, tuple(turns), "\n\n".join(system), _number(body, "temperature"),
                 _number(body, "top_p"), limit, stream), include_usage


def _number(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ApiError(Problem.BAD_REQUEST, f"'{name}' must be a number.", param=name)
    return value


def _content(content: object, number: int) -> tuple[str, tuple[ImagePart, ...]]:
    if content is None:
        return "", ()
    if isinstance(content, str):
        return content, ()
    if not isinstance(content, list):
        raise ApiError(Problem.BAD_REQUEST, f"messages[{number}].content must be text or a list of parts.",
                       param="messages")
    texts: list[str] = []
    images: list[ImagePart] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            images.append(data_url_image(url, number))
        else:
            raise ApiError(Problem.BAD_REQUEST, f"messages[{number}]: content parts of type {kind!r} "
                           "are not supported (text and image_url are).", param="messages")
    return "\n".join(texts), tuple(images)


def data_url_image(url: object, number: int) -> ImagePart:
    """An image given inline (``data:image/png;base64,…``); a web address is not fetched."""
    if not isinstance(url, str) or not url.startswith("data:") or ";base64," not in url:
        raise ApiError(Problem.BAD_REQUEST, f"messages[{number}]: images must be data URLs "
                       "(data:image/png;base64,…); this server fetches nothing from the web.",
                       param="messages")
    head, _, data = url.partition(";base64,")
    mime = head[len("data:"):] or "image/png"
    try:
        return ImagePart(mime, base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        raise ApiError(Problem.BAD_REQUEST, f"messages[{number}]: the image is not valid base64.",
                       param="messages") from None


async def chat_completions(request: Request) -> Response:
    answering: Answering = request.app.state.answering
    asked, include_usage = asked_of(await read_json(request))
    begun = await answering.begin(asked, request.receive)
    reply_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if asked.stream:
        return StreamingResponse(_chunks(begun, reply_id, created, include_usage),
                                 media_type="text/event-stream", headers={**SSE_HEADERS, **begun.headers()})
    done = await begun.finished(request.receive)
    return JSONResponse({
        "id": reply_id, "object": "chat.completion", "created": created, "model": done.target,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": done.text},
                     "finish_reason": finish_reason(done), "logprobs": None}],
        "usage": _usage(done), "system_fingerprint": None,
    }, headers=begun.headers())


def finish_reason(done: Done) -> str:
    return "length" if cut_off(done) else "stop"


def _usage(done: Done) -> dict[str, int]:
    return {"prompt_tokens": done.tokens_in, "completion_tokens": done.tokens_out,
            "total_tokens": done.tokens_in + done.tokens_out}


async def _chunks(begun: Begun, reply_id: str, created: int, include_usage: bool) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None,
              model: str = begun.target) -> str:
        body = {"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
                if usage is None else [], "system_fingerprint": None}
        if include_usage:
            body["usage"] = usage
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    try:
        yield chunk({"role": "assistant", "content": ""})
        async for event in begun.all():
            if isinstance(event, Delta):
                yield chunk({"content": event.text})
            elif isinstance(event, Done):
                yield chunk({}, finish_reason(event), model=event.target)
                if include_usage:
                    yield chunk({}, usage=_usage(event), model=event.target)
                break
            elif isinstance(event, Failed):  # broke off mid-reply: say so in the stream
                error = {"message": f"The reply broke off: {event.reason}", "type": "server_error",
                         "param": None, "code": "service_unavailable"}
                yield f"data: {json.dumps({'error': error})}\n\n"
                break
        yield "data: [DONE]\n\n"
    finally:
        begun.run.stop()  # no-op once finished; the client gone mid-stream otherwise



# ---- /v1/embeddings -----------------------------------------------------------------------

async def embeddings(request: Request) -> Response:
    answering: Answering = request.app.state.answering
    body = await read_json(request)
    model = body.get("model")
    if not isinstance(model, str) or model.removeprefix("local:") != BUNDLED_EMBEDDER_NAME:
        raise ApiError(Problem.MODEL_NOT_FOUND, f"The embedding model here is {EMBEDDING_MODEL!r}.",
                       param="model")
    given = body.get("input")
    texts = [given] if isinstance(given, str) else given
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ApiError(Problem.BAD_REQUEST, "'input' must be text or a list of texts "
                       "(token arrays are not accepted).", param="input")
    if len(texts) > MAX_EMBED_INPUTS:
        raise ApiError(Problem.BAD_REQUEST, f"At most {MAX_EMBED_INPUTS} inputs per request.", param="input")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise ApiError(Problem.BAD_REQUEST, "'encoding_format' is float or base64.", param="encoding_format")
    vectors, tokens = await answering.embed(texts)
    data = [{"object": "embedding", "index": i,
             "embedding": _base64(v) if encoding == "base64" else v} for i, v in enumerate(vectors)]
    return JSONResponse({"object": "list", "data": data, "model": EMBEDDING_MODEL,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
                        headers={"x-switchboard-routed-to": EMBEDDING_MODEL})


def _base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
