"""Plain-English rules, decided by a small model reading the message.

All candidate rules are decided together in one call. The prompt puts the static part
(instructions and the rules' descriptions) first and the message last, so llama.cpp's
prefix cache skips re-reading the static part on every message. The local model is
never asked to write: each answer label is scored as the first token of its reply
(log-likelihood), so the answer is always a valid rule id or "none". Anything that
goes wrong (timeout, model error) is an answer of "none" with the reason, and the
engine's fallback decides.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.providers.base import CancelToken, ChatMessage, ChatRequest, Sampling, TextDelta, Usage
from app.core.providers.errors import ProviderError
from app.core.providers.local_llama import LabelScores
from app.core.providers.registry import ProviderRegistry
from app.core.router.conversation import Turn
from app.core.router.engine import Decision, TraceEntry
from app.core.router.schema import ClassifierConfig, Router, Rule
from app.core.router.targets import is_local, model_of
from app.core.tokens import TokenCounter

NONE = "none"
INSTRUCTIONS = (
    "You sort chat messages into categories. Read the categories, then the user's "
    "message, and answer with the one category word that fits best, or \"none\"."
)


@dataclass(frozen=True, slots=True)
class ClassifierAnswer:
    rule: str | None  # the chosen rule id; None for "none" or a failure
    model: str
    latency_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    evaluated: int = 0  # prompt tokens not served from the prefix cache
    error: str | None = None
    scores: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def answer(self) -> str:
        return self.rule or NONE

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"model": self.model, "answer": self.answer,
                                  "latency_ms": round(self.latency_ms, 1), "tokens": self.tokens_in}
        if self.error:
            out["error"] = self.error
        return out


def labels_for(rules: Sequence[Rule]) -> dict[str, str]:
    """Answer word → rule id. The words are the rules' ids made readable
    ("hard_reasoning" → "hard reasoning"). The loglik method scores their first token:
    words that share one tie, and the first rule wins; the grammar method reads whole
    words."""
    return {rule.id.replace("_", " ").replace("-", " "): rule.id for rule in rules}


def static_prompt(rules: Sequence[Rule]) -> str:
    lines = [INSTRUCTIONS, "", "Categories:"]
    for word, rule_id in labels_for(rules).items():
        rule = next(r for r in rules if r.id == rule_id)
        lines.append(f"- {word}: {rule.description}")
    lines.append(f"- {NONE}: none of the above")
    return "\n".join(lines)


def classifier_messages(rules: Sequence[Rule], conversation: Sequence[Turn], config: ClassifierConfig,
                        counter: TokenCounter) -> list[ChatMessage]:
    """Static instructions first; then up to ``context_turns`` earlier turns and the
    message itself, cut to ``max_message_tokens``."""
    turns = [t for t in conversation if t.role in ("user", "assistant")]
    recent = turns[-(config.context_turns + 1):] if turns else []
    text = "\n".join(f"{t.role}: {t.content}" if len(recent) > 1 else t.content for t in recent)
    return [ChatMessage("system", static_prompt(rules)), ChatMessage("user", _truncate(text, config, counter))]


def _truncate(text: str, config: ClassifierConfig, counter: TokenCounter) -> str:
    if counter.count(text) <= config.max_message_tokens:
        return text
    # Keep the end: the latest words say most about what is asked now.
    words = text.split()
    while words and counter.count(" ".join(words)) > config.max_message_tokens:
        words = words[len(words) // 8 or 1:]
    return " ".join(words)


async def classify(registry: ProviderRegistry, rules: Sequence[Rule], conversation: Sequence[Turn],
                   config: ClassifierConfig, counter: TokenCounter) -> ClassifierAnswer:
    """One call deciding between ``rules``; never raises."""
    started = time.perf_counter()

    def failed(why: str) -> ClassifierAnswer:
        return ClassifierAnswer(None, config.target, (time.perf_counter() - started) * 1000, error=why)

    labels = labels_for(rules)
    words = (*labels, NONE)
    cancel = CancelToken()
    try:
        messages = classifier_messages(rules, conversation, config, counter)
        scores = await asyncio.wait_for(_ask(registry, config, messages, words, cancel),
                                        timeout=config.timeout_s)
    except TimeoutError:
        cancel.cancel()  # ends a local evaluation (llama.cpp abort) or a remote stream
        return failed(f"no answer within {config.timeout_s:g} s")
    except ProviderError as exc:
        return failed(exc.message)
    except ValueError as exc:
        return failed(str(exc))
    best = max(scores.logprobs, key=lambda w: scores.logprobs[w])
    return ClassifierAnswer(labels.get(best), config.target, (time.perf_counter() - started) * 1000,
                            scores.prompt_tokens, scores.completion_tokens, scores.evaluated,
                            scores=scores.logprobs)


async def _ask(registry: ProviderRegistry, config: ClassifierConfig, messages: list[ChatMessage],
               words: tuple[str, ...], cancel: CancelToken) -> LabelScores:
    model = model_of(config.target)
    if is_local(config.target):
        local = registry.local
        ask = local.choose if config.method == "grammar" else local.score_next_token
        return await ask(model, messages, words, cancel)
    provider, model = registry.resolve(config.target)
    request = ChatRequest(model, tuple(messages), Sampling(temperature=0), max_tokens=32,
                          cancel=cancel, choices=words)
    text, usage = [], Usage(0, 0, estimated=True)
    async for event in provider.stream_chat(request):
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, Usage):
            usage = event
    answer = parse_answer("".join(text), words)
    return LabelScores({w: 0.0 if w == answer else -math.inf for w in words},
                       usage.input_tokens, usage.input_tokens, usage.output_tokens)


def parse_answer(text: str, words: Sequence[str]) -> str:
    """The word in a structured answer ``{"answer": "<word>"}``; ValueError otherwise."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"the classifier's answer is not JSON: {text[:60]!r}") from None
    answer = data.get("answer") if isinstance(data, dict) else None
    if answer not in words:
        raise ValueError(f"the classifier answered {answer!r}, which is not one of the rules")
    return str(answer)


def apply_answer(decision: Decision, router: Router, answer: ClassifierAnswer) -> Decision:
    """The decision once the classifier has spoken: its rule's target, or the fallback
    the engine already chose, with the classifier's line added to the trace."""
    trace = [*decision.trace]
    if answer.rule is None:
        why = f"error: {answer.error}" if answer.error else "answered none"
        trace.append(TraceEntry("classifier", False, f"{answer.model} {why} ({answer.latency_ms:.0f} ms)"))
        reason = decision.reason.replace("until it answers, ", f"it {why}; ", 1)
        return _decided(decision, decision.target, None, reason, trace)
    rule = router.rule(answer.rule)
    trace.append(TraceEntry("classifier", True, f'{answer.model} chose "{rule.id}" ({answer.latency_ms:.0f} ms)'))
    for i, entry in enumerate(trace):
        if entry.rule == rule.id:
            trace[i] = TraceEntry(rule.id, True, f"the classifier matched: {rule.description}")
    reason = (f'Routed to {rule.route_to} because the classifier matched rule "{rule.label}": '
              f"{rule.description}.")
    return _decided(decision, rule.route_to, rule.id, reason, trace)


def _decided(before: Decision, target: str | None, rule: str | None, reason: str,
             trace: list[TraceEntry]) -> Decision:
    after = Decision(target, rule, reason, trace, needs_classifier=before.needs_classifier)
    after.elapsed_us = before.elapsed_us  # the engine's own time; the classifier's is its latency
    return after
