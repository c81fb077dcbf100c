"""Plain-English rules, decided by their example messages or by a small model reading
the message.

``decide_by`` picks: "examples" compares the message with each rule's examples
(example_classifier.py); "llm" asks a model; "auto" uses examples when every
candidate rule has enough of them, and asks the model when they leave it undecided.

For the model, all candidate rules are decided together in one call. The prompt puts the static part
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
from dataclasses import dataclass, field, replace

from app.core.providers.base import (
    CancelToken,
    ChatMessage,
    ChatRequest,
    Sampling,
    TextDelta,
    Usage,
)
from app.core.providers.errors import ProviderError
from app.core.providers.label_scores import LabelScores
from app.core.router.classifier_models import ClassifierModels
from app.core.router.conversation import Turn
from app.core.router.embedding_cache import EmbeddingCache
from app.core.router.engine import Decision
from app.core.router.example_classifier import (
    ExampleClassifier,
    decides_by_examples,
    embedding_target,
)
from app.core.router.schema import ClassifierConfig, Router, Rule
from app.core.router.targets import is_local, model_of
from app.core.router.trace import TraceEntry, TraceKind
from app.core.tokens import TokenCounter, default_counter

NONE = "none"
INSTRUCTIONS = (
    "You sort chat messages into categories. Read the categories, then the user's "
    "message, and answer with the one category word that fits best, or \"none\"."
)


TIMED_OUT = "gave no answer within"  # the start of the words for a classifier that took too long


@dataclass(frozen=True, slots=True)
class ClassifierAnswer:
    rule: str | None  # the chosen rule id; None for "none" or a failure
    model: str
    latency_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    evaluated: int = 0  # prompt tokens not served from the prefix cache
    error: str | None = None
    # llm: each answer word's log-probability; examples: each rule's similarity, best first
    scores: dict[str, float] = field(default_factory=dict, repr=False)
    method: str = "llm"  # "examples" or "llm"
    nearest: dict[str, str] = field(default_factory=dict, repr=False)  # examples: rule id → closest example
    embedded: int = 0  # examples: texts embedded for this answer (the message + examples not cached)
    why: str = ""  # examples: what won by how much, or why nothing did
    undecided: ClassifierAnswer | None = None  # auto: the examples answer that left it to the llm

    @property
    def answer(self) -> str:
        return self.rule or NONE

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "model": self.model, "answer": self.answer,
                                  "latency_ms": round(self.latency_ms, 1), "scores": self._json_scores()}
        if self.method == "examples":
            out["nearest"] = self.nearest
            out["embedded"] = self.embedded
            out["why"] = self.why
        else:
            out["tokens"] = self.tokens_in
        if self.error:
            out["error"] = self.error
        if self.undecided is not None:
            out["undecided"] = self.undecided.to_dict()
        return out

    def _json_scores(self) -> dict[str, float | None]:
        # -inf (a grammar's unchosen words) is not JSON: null says "not chosen at all".
        return {k: round(v, 4) if math.isfinite(v) else None for k, v in self.scores.items()}


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
    return [ChatMessage("system", static_prompt(rules)), ChatMessage("user", message_text(conversation, config, counter))]


def message_text(conversation: Sequence[Turn], config: ClassifierConfig, counter: TokenCounter) -> str:
    """What the classifier reads: the message, after up to ``context_turns`` earlier
    turns, cut to ``max_message_tokens``."""
    return _truncate(recent_text(conversation, config), config, counter)


def recent_text(conversation: Sequence[Turn], config: ClassifierConfig) -> str:
    """The message after up to ``context_turns`` earlier turns, not cut."""
    turns = [t for t in conversation if t.role in ("user", "assistant")]
    recent = turns[-(config.context_turns + 1):] if turns else []
    return "\n".join(f"{t.role}: {t.content}" if len(recent) > 1 else t.content for t in recent)


def _truncate(text: str, config: ClassifierConfig, counter: TokenCounter) -> str:
    if counter.count(text) <= config.max_message_tokens:
        return text
    # Keep the end: the latest words say most about what is asked now.
    words = text.split()
    while words and counter.count(" ".join(words)) > config.max_message_tokens:
        words = words[len(words) // 8 or 1:]
    return " ".join(words)


async def classify(registry: ClassifierModels, rules: Sequence[Rule], conversation: Sequence[Turn],
                   config: ClassifierConfig, counter: TokenCounter | None = None,
                   cache: EmbeddingCache | None = None) -> ClassifierAnswer:
    """Decide between ``rules`` as the router's ``decide_by`` says; never raises.

    ``counter`` counts tokens for the classifier model's prompt (default: the shared
    cl100k one, loaded only if the model is asked); ``cache`` holds the examples'
    vectors (default: the one in the data directory)."""
    if not decides_by_examples(rules, config):
        return await _classify_llm(registry, rules, conversation, config, counter)
    started = time.perf_counter()
    by_examples = await _classify_examples(registry, rules, conversation, config,
                                           cache or EmbeddingCache.shared())
    if by_examples.rule is not None or config.decide_by == "examples":
        return by_examples
    llm = await _classify_llm(registry, rules, conversation, config, counter)
    return replace(llm, latency_ms=(time.perf_counter() - started) * 1000, undecided=by_examples)


async def warm_examples(registry: ClassifierModels, router: Router,
                        cache: EmbeddingCache | None = None) -> int:
    """Embed the router's examples that are not cached yet, ahead of the first message
    that needs them (after a start, or an edit in the router editor). Returns how many
    were embedded; a model that cannot embed is left for the decision to report."""
    rules = [r for r in router.rules if r.classified and r.enabled and r.examples]
    if not rules or router.classifier.decide_by == "llm":
        return 0
    classifier = ExampleClassifier(registry.local, cache or EmbeddingCache.shared())
    try:
        await classifier.prepare(router.classifier)  # the model too, so the first message needn't load it
        _, new = await classifier.example_vectors(rules, router.classifier)
    except ProviderError:
        return 0
    return new


async def _classify_examples(registry: ClassifierModels, rules: Sequence[Rule], conversation: Sequence[Turn],
                             config: ClassifierConfig, cache: EmbeddingCache) -> ClassifierAnswer:
    model = embedding_target(config)
    # Cut to max_message_tokens by the embedding model's own tokenizer (in embed), not by
    # counting cl100k tokens here: loading that vocabulary would cost a cold process ~0.3 s.
    text = recent_text(conversation, config)
    classifier = ExampleClassifier(registry.local, cache)
    started = time.perf_counter()
    try:
        # Loading the model and embedding examples not cached yet are one-offs (a start,
        # a new router, an added example): they are not held to the per-message timeout,
        # else the first message after a start, or a router with many new examples,
        # would always time out. Only the message's own embedding is.
        await classifier.prepare(config)
        started = time.perf_counter()
        examples, new = await classifier.example_vectors(rules, config)
        found = await asyncio.wait_for(classifier.score(rules, text, config, examples), timeout=config.timeout_s)
    except TimeoutError:
        why = f"{TIMED_OUT} {config.timeout_s:g} s"
        return ClassifierAnswer(None, model, (time.perf_counter() - started) * 1000, error=why, method="examples")
    except ProviderError as exc:
        return ClassifierAnswer(None, model, (time.perf_counter() - started) * 1000, error=exc.message,
                                method="examples")
    return ClassifierAnswer(found.rule, model, (time.perf_counter() - started) * 1000, scores=found.scores,
                            method="examples", nearest=found.nearest, embedded=found.embedded + new, why=found.why)


async def _classify_llm(registry: ClassifierModels, rules: Sequence[Rule], conversation: Sequence[Turn],
                        config: ClassifierConfig, counter: TokenCounter | None) -> ClassifierAnswer:
    """One call to the classifier model deciding between ``rules``; never raises."""
    started = time.perf_counter()

    def failed(why: str) -> ClassifierAnswer:
        return ClassifierAnswer(None, config.target, (time.perf_counter() - started) * 1000, error=why)

    labels = labels_for(rules)
    words = (*labels, NONE)
    cancel = CancelToken()
    try:
        messages = classifier_messages(rules, conversation, config, counter or default_counter())
        scores = await asyncio.wait_for(_ask(registry, config, messages, words, cancel),
                                        timeout=config.timeout_s)
    except TimeoutError:
        cancel.cancel()  # ends a local evaluation (llama.cpp abort) or a remote stream
        return failed(f"{TIMED_OUT} {config.timeout_s:g} s")
    except ProviderError as exc:
        return failed(exc.message)
    except ValueError as exc:
        return failed(str(exc))
    best = max(scores.logprobs, key=lambda w: scores.logprobs[w])
    return ClassifierAnswer(labels.get(best), config.target, (time.perf_counter() - started) * 1000,
                            scores.prompt_tokens, scores.completion_tokens, scores.evaluated,
                            scores=scores.logprobs)


async def _ask(registry: ClassifierModels, config: ClassifierConfig, messages: list[ChatMessage],
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
    for by_examples in (answer.undecided, answer):
        if by_examples is not None and by_examples.method == "examples":
            _note_similarities(trace, by_examples)
    if answer.undecided is not None:
        left = answer.undecided.error or answer.undecided.why
        trace.append(TraceEntry(None, False, f"examples left it undecided ({left}); asked the model",
                                TraceKind.CLASSIFIER))
    if answer.rule is None:
        if answer.error:  # in words a person reads in the trace: no "error:" codes
            why = answer.error if answer.error.startswith(TIMED_OUT) else f"could not be asked: {answer.error}"
            line = f"{answer.model} {why}"
        else:
            why = f"matched no rule by examples: {answer.why}" if answer.method == "examples" \
                else "answered that none of them fits"
            line = f"{answer.model} {why} ({answer.latency_ms:.0f} ms)"
        trace.append(TraceEntry(None, False, line, TraceKind.CLASSIFIER))
        reason = decision.reason.replace("until it answers, ", f"the classifier {why}; ", 1)
        return _decided(decision, decision.target, None, reason, trace)
    rule = router.rule(answer.rule)
    trace = [e for e in trace if e.kind is not TraceKind.FALLBACK]  # a rule chose after all
    if answer.method == "examples":
        trace.append(TraceEntry(None, True, f'{answer.model} chose "{rule.label}" by its examples: '
                                            f"{answer.why} ({answer.latency_ms:.0f} ms)",
                                TraceKind.CLASSIFIER, target=rule.route_to))
        reason = (f"Routed to {rule.route_to} because the message is closest to the examples of rule "
                  f'"{rule.label}" (similarity {answer.scores[rule.id]:.2f}; closest: '
                  f'"{_short(answer.nearest[rule.id])}").')
        for i, entry in enumerate(trace):
            if entry.kind is TraceKind.CLASSIFIED and entry.rule == rule.id:
                trace[i] = entry.with_detail(True, entry.detail)
        return _decided(decision, rule.route_to, rule.id, reason, trace)
    trace.append(TraceEntry(None, True, f'{answer.model} chose "{rule.label}" ({answer.latency_ms:.0f} ms)',
                            TraceKind.CLASSIFIER, target=rule.route_to))
    for i, entry in enumerate(trace):
        if entry.kind is TraceKind.CLASSIFIED and entry.rule == rule.id:
            trace[i] = entry.with_detail(True, f"the classifier matched: {rule.description}")
    reason = (f'Routed to {rule.route_to} because the classifier matched rule "{rule.label}": '
              f"{rule.description}.")
    return _decided(decision, rule.route_to, rule.id, reason, trace)


def _note_similarities(trace: list[TraceEntry], answer: ClassifierAnswer) -> None:
    """Each scored rule's line says how close the message came and to which example."""
    for i, entry in enumerate(trace):
        if entry.kind is TraceKind.CLASSIFIED and entry.rule in answer.scores:
            trace[i] = entry.with_detail(False, f"similarity {answer.scores[entry.rule]:.3f} to its "
                                                f'examples; closest: "{_short(answer.nearest[entry.rule])}"')


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _decided(before: Decision, target: str | None, rule: str | None, reason: str,
             trace: list[TraceEntry]) -> Decision:
    after = Decision(target, rule, reason, trace, needs_classifier=before.needs_classifier)
    after.elapsed_us = before.elapsed_us  # the engine's own time; the classifier's is its latency
    return after
