"""A conversation made to fit the target about to answer it: the chat's system prompt,
then under its context policy a summary of older turns and the newest turns verbatim.

``context_fit`` chooses; this builds the request's messages from the choice and moves
the conversation's privacy along with them (which messages are private, their ids for
the egress log), since what is sent is no longer the stored list one for one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.controller.egress import Protection
from app.controller.message_counts import MessageCounts
from app.controller.summaries import Summaries, SummaryRequest
from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.context_fit import Budget, ContextTooLong, Fit, fit, reply_reserve, summary_budget
from app.core.providers.base import CancelToken, ChatMessage
from app.core.providers.errors import ContextTooLongError
from app.core.router.targets import is_local, provider_of
from app.core.store import MessageRow

if TYPE_CHECKING:
    from app.controller.target_facts import TargetFacts

SUMMARY_HEADING = "Summary of the earlier conversation (its older messages are not shown):\n"


@dataclass(frozen=True, slots=True)
class Fitted:
    messages: tuple[ChatMessage, ...]
    protection: Protection  # the conversation's, for these messages
    fit: Fit
    note: str  # for the trace: "last 12 of 40 messages, 3,812 of 4,096 tokens; 28 older summarized"


@dataclass(frozen=True, slots=True)
class FitRequest:
    cid: int
    target: str
    rows: Sequence[MessageRow]  # stored messages, one for one with ``messages``
    messages: Sequence[ChatMessage]
    protection: Protection
    settings: ChatSettings


class ConversationFitter:
    def __init__(self, facts: TargetFacts, counts: MessageCounts, summaries: Summaries | None,
                 default_policy: Callable[[], ContextPolicy] = lambda: ContextPolicy.ROLLING,
                 summarizer: Callable[[], str | None] = lambda: None) -> None:
        self.facts = facts
        self.counts = counts
        self._summaries = summaries
        self._default_policy = default_policy
        self._summarizer = summarizer  # the local target that writes summaries, when the answer is remote

    def policy(self, settings: ChatSettings) -> ContextPolicy:
        return settings.policy(self._default_policy())

    async def plan(self, request: FitRequest) -> tuple[Fit, Budget]:
        """What would be sent, without writing a summary (the context meter asks this)."""
        window = self.facts.window(request.target).tokens
        budget = Budget(window, reply_reserve(window, request.settings.max_tokens))
        messages = list(request.messages)
        texts = [request.settings.system_prompt, *(m.text for m in messages)] \
            if request.settings.system_prompt else [m.text for m in messages]
        counts = await self.counts.counts(request.target, texts,
                                          ([0] if request.settings.system_prompt else [])
                                          + [len(m.images) for m in messages])
        fixed = counts.pop(0) if request.settings.system_prompt else 0
        policy = self.policy(request.settings)
        summary_tokens, covered = None, 0
        if policy is ContextPolicy.SUMMARIZE and self._summaries is not None:
            stored, covered = self._summaries.stored(request.cid, request.rows)
            if stored is not None:
                summary_tokens = (await self.counts.counts(request.target, [stored.text]))[0]
        try:
            return fit(counts, [m.role for m in messages], budget=budget, policy=policy, fixed=fixed,
                       summary_tokens=summary_tokens, summarized=covered), budget
        except ContextTooLong as error:
            raise too_long(request.target, error) from None

    async def fitted(self, request: FitRequest, cancel: CancelToken) -> Fitted:
        """The request's messages for ``request.target``; ContextTooLongError when the
        policy cannot make them fit (the next target in the chain is tried)."""
        plan, budget = await self.plan(request)
        summary_text, summary_private = "", False
        if plan.summarized:
            writer = request.target if is_local(request.target) else self._summarizer()
            if writer is None or self._summaries is None:  # nobody here to write it: roll
                plan = _rolled(plan)
            else:
                summary = await self._summaries.covering(SummaryRequest(
                    request.cid, request.rows, plan.start, writer, self.facts.window(writer).tokens,
                    summary_budget(budget.window)), cancel)
                summary_text, summary_private = summary.text, summary.private
                plan = replace(plan, unread=_unread(request.rows, summary.since))
        head = [ChatMessage("system", request.settings.system_prompt)] if request.settings.system_prompt \
            else []
        if summary_text:
            head.append(ChatMessage("system", SUMMARY_HEADING + summary_text))
        messages = (*head, *request.messages[plan.start:])
        protection = _moved(request.protection, plan.start, len(head),
                            len(head) - 1 if summary_text and summary_private else None)
        return Fitted(messages, protection, plan, plan.describe())


def too_long(target: str, error: ContextTooLong) -> ContextTooLongError:
    if error.policy is ContextPolicy.STOP:
        sentence = (f"The conversation is too long for {target}: it {error.sentence}. This chat sends "
                    "everything (its context policy is Stop): start a new chat, pick a model with a "
                    "longer context, or choose Rolling or Summarize in Chat settings.")
    else:
        sentence = f"The message is too long for {target}: it {error.sentence}."
    return ContextTooLongError(sentence, provider=provider_of(target))


def _unread(rows: Sequence[MessageRow], since: int | None) -> int:
    """How many of the oldest rows a summary starting at message ``since`` never read."""
    return next((i for i, row in enumerate(rows) if row.id == since), 0) if since is not None else 0


def _rolled(plan: Fit) -> Fit:
    """A summarize plan without a summary: the same cut, older messages left out."""
    return replace(plan, summarized=0, policy=ContextPolicy.ROLLING)


def _moved(protection: Protection, start: int, head: int, private_summary: int | None) -> Protection:
    """``protection`` for messages[start:] sent after ``head`` added messages."""
    private = {i - start + head for i in protection.private if i >= start}
    if private_summary is not None:
        private.add(private_summary)
    ids = (*([None] * head), *protection.message_ids[start:]) if protection.message_ids else ()
    moved = replace(protection, private=frozenset(private), message_ids=ids)
    if not protection.allows_remote and moved.allows_remote:
        # A private message that is no longer sent still keeps its chat here: what
        # routing promised the conversation holds for every request in it.
        moved = replace(moved, locked=True)
    return moved
