"""The summarize policy's summaries: older turns, summarized by a local model, stored
and reused, and extended (not rewritten) as the chat grows.

A summary covers a chat's messages up to one message id. When the cut moves on, only
the messages between the old end and the new one are read, with the old summary, so a
long chat never asks the model to read more than its window holds. A summary of private
messages is private too: the egress gate treats it like the messages it came from. It is
always written here, by a model on this computer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.controller.message_counts import MessageCounts
from app.core.context_fit import reply_reserve
from app.core.providers.base import (
    CancelToken,
    ChatMessage,
    ChatRequest,
    Sampling,
    TextDelta,
)
from app.core.store import MessageRow, Store, StoredSummary

if TYPE_CHECKING:  # typed as the in-process provider: a summary never leaves the computer
    from app.core.providers.local_llama import LocalLlamaProvider

INSTRUCTIONS = (
    "You keep notes on a conversation so that it can go on after its older messages are "
    "gone. Update the summary with the new messages: what the user wants, facts, names, "
    "numbers, decisions and open questions. Plain sentences, no more than {words} words. "
    "Answer with the summary only."
)
TEMPERATURE = 0.2  # notes, not prose
# A turn reads at most this many runs of older messages into the summary: a long chat
# switched to summarize answers after about two summary steps, not after re-reading all
# of it; the oldest messages of such a backlog are left out, and the trace says so.
RUNS_PER_TURN = 2


@dataclass(frozen=True, slots=True)
class SummaryRequest:
    cid: int
    rows: Sequence[MessageRow]  # the conversation, oldest first, as a target would receive it
    upto: int  # summarize rows[:upto]
    model: str  # the local target that writes it ("local:…")
    window: int  # that model's context window
    tokens: int  # the summary's length, at most


class Summaries:
    def __init__(self, store: Store, local: LocalLlamaProvider, counts: MessageCounts) -> None:
        self._store = store
        self._local = local
        self._counts = counts

    def stored(self, cid: int, rows: Sequence[MessageRow]) -> tuple[StoredSummary | None, int]:
        """The chat's summary, and how many of ``rows`` it covers (0 when it covers
        messages the chat no longer has: an edited or regenerated turn)."""
        summary = self._store.summary(cid)
        ids = [row.id for row in rows]
        if summary is None or summary.through not in ids:
            return None, 0
        return summary, ids.index(summary.through) + 1

    async def covering(self, request: SummaryRequest, cancel: CancelToken) -> StoredSummary:
        """A summary of ``rows[:upto]``: the stored one when it reaches that far, else the
        stored one extended with the messages after it (written, then returned)."""
        summary, covered = self.stored(request.cid, request.rows)
        if summary is not None and covered >= request.upto:
            return summary
        text = summary.text if summary is not None else ""
        private = summary.private if summary is not None else False
        since = summary.since if summary is not None else None
        chunks = await self._chunks(request, covered, text)
        if len(chunks) > RUNS_PER_TURN:
            chunks = chunks[-RUNS_PER_TURN:]
            if summary is None:
                since = chunks[0][0].id
            # else: the stored text stays, the gap is the model's to bridge (rare: the
            # cut moves by a few messages a turn)
        for chunk in chunks:
            text = await self._extend(request, text, chunk, cancel) or text
            private = private or any(row.private is not None for row in chunk)
        result = StoredSummary(request.rows[request.upto - 1].id, text, request.model, private, since)
        if not cancel.cancelled:
            self._store.set_summary(request.cid, result)
        return result

    async def _chunks(self, request: SummaryRequest, begin: int,
                      summary: str) -> list[Sequence[MessageRow]]:
        """rows[begin:upto] in runs the model can read along with the summary so far."""
        rows = request.rows[begin:request.upto]
        counts = await self._counts.counts(request.model, [_line(row) for row in rows])
        room = request.window - reply_reserve(request.window, request.tokens) \
            - 2 * request.tokens - 200  # instructions, and the summary growing meanwhile
        chunks: list[Sequence[MessageRow]] = []
        start, used = 0, 0
        for i, n in enumerate(counts):
            if used + n > room and i > start:
                chunks.append(rows[start:i])
                start, used = i, 0
            used += n
        if start < len(rows):
            chunks.append(rows[start:])
        return chunks

    async def _extend(self, request: SummaryRequest, summary: str, rows: Sequence[MessageRow],
                      cancel: CancelToken) -> str:
        words = max(40, request.tokens * 3 // 5)
        budget = max(1, request.window - reply_reserve(request.window, request.tokens)
                     - 2 * request.tokens - 200)
        lines = "\n".join(_line(row) for row in rows)
        chars = budget * 3  # a message longer than the window is read in part
        prompt = (f"Summary so far:\n{summary or '(none yet)'}\n\nNew messages:\n{lines[:chars]}")
        messages = (ChatMessage("system", INSTRUCTIONS.format(words=words)), ChatMessage("user", prompt))
        model_request = ChatRequest(request.model.partition(":")[2], messages,
                                    Sampling(temperature=TEMPERATURE), max_tokens=request.tokens,
                                    cancel=cancel)
        parts = []
        async for event in self._local.stream_chat(model_request):
            if isinstance(event, TextDelta):
                parts.append(event.text)
        return "".join(parts).strip()


def _line(row: MessageRow) -> str:
    who = {"user": "User", "assistant": "Assistant"}.get(row.role, "Note")
    return f"{who}: {row.content}"
