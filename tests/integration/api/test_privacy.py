"""A conversation sent through the API is judged as the chat judges it: a private
message anywhere in it keeps it on this computer, and the loopback "cloud" sees nothing."""

from __future__ import annotations

import httpx
import pytest

from app.api.server import ApiServer
from tests.integration.api.conftest import Serve, use_cloud
from tests.support.remote_dialects import openai_chunk
from tests.support.sse_server import RecordedRequest, Reply, SSEServer, sse, sse_reply

pytestmark = pytest.mark.model
EMAIL = "jane.doe@example.com"
CODE = "```python\nprint('hello')\n```\nWhat does this print?"
LOCAL = "local:SmolLM2-135M-Instruct"


def answer(request: RecordedRequest) -> Reply:
    return sse_reply(openai_chunk("From the cloud."), sse(None, "[DONE]"))


async def ask(server: ApiServer, messages: list[dict[str, str]], stream: bool = False) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=300) as client:
        return await client.post("/chat/completions", json={
            "model": "switchboard/Save money", "max_tokens": 4, "stream": stream, "messages": messages})


async def test_a_protected_conversation_through_the_api_stays_local(serve: Serve):
    with SSEServer(answer) as cloud:
        use_cloud(cloud.url)
        server = await serve()
        history = [{"role": "user", "content": f"My email is {EMAIL}, remember it."},
                   {"role": "assistant", "content": "Noted."},
                   {"role": "user", "content": CODE}]
        for stream in (False, True):
            protected = await ask(server, history, stream)
            assert protected.status_code == 200
            assert protected.headers["x-switchboard-routed-to"] == LOCAL
        private_now = await ask(server, [{"role": "user", "content": f"Write to {EMAIL} about {CODE}"}])
        assert private_now.headers["x-switchboard-routed-to"] == LOCAL
        assert cloud.requests == []  # nothing private, nothing at all, left this computer

        fresh = await ask(server, [{"role": "user", "content": CODE}])
        assert fresh.headers["x-switchboard-routed-to"] == "openai:gpt-4o-mini"
        assert fresh.json()["choices"][0]["message"]["content"] == "From the cloud."
        assert len(cloud.requests) == 1 and EMAIL not in cloud.requests[0].body.decode()
        assert [e.target for e in server.session.store.egress_rows()] == ["openai:gpt-4o-mini"]
