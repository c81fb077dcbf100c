"""The router file format (``"schema": 1``): typed objects, loading and saving.

``load_router(dump_router(r)) == r`` holds for every valid router; loading rejects
anything it cannot use with an error naming the exact field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.router.conditions import Condition, parse_condition
from app.core.safe_read import UnsafeInput, read_json
from app.core.router.fields import Fields, RouterFormatError
from app.core.router.targets import is_local, is_target

SCHEMA_VERSION = 1
RULE_KINDS = ("calculated", "classified")
CLASSIFIER_METHODS = ("loglik", "grammar")
DECIDE_BY = ("auto", "examples", "llm")
# What a protected conversation (one holding a private message) does when a later
# message would leave the machine: stay on local targets, send it with the private
# spans replaced by placeholders, or send it without the private turns.
HISTORY_POLICIES = ("local", "redact", "omit")
# A router is rules and examples a person writes; 4 MB is thousands of examples, and
# anything bigger is not a router.
MAX_ROUTER_BYTES = 4 << 20
# A year: stickiness is for a conversation's follow-ups. Far larger values (2**53) cannot
# even be a timedelta, and failed every decision of a conversation once it was sticky.
MAX_STICKY_MINUTES = 366 * 24 * 60
# A name is shown in menus and becomes the file's name, which most file systems cap at
# 255 bytes.
MAX_NAME_CHARS = 100
MIN_EXAMPLES_FOR_AUTO = 3  # fewer examples than this and similarity is mostly noise
_CLASSIFIER_KEYS = ("target", "method", "timeout_s", "context_turns", "max_message_tokens",
                    "decide_by", "embedding_model", "threshold", "margin")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True, slots=True)
class Sticky:
    """Keep a conversation on the target a rule chose, for a while or a few messages."""

    minutes: int | None = None
    messages: int | None = None


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """Which model decides the plain-English rules, and how long it may take."""

    target: str = "local:SmolLM2-135M-Instruct"
    method: str = "loglik"  # local: "loglik" (score each label) or "grammar" (constrained answer)
    timeout_s: float = 2.0
    context_turns: int = 0  # earlier turns the classifier sees besides the message
    max_message_tokens: int = 256
    # "examples": similarity to the rules' example messages; "llm": ask the model above;
    # "auto": examples when every candidate rule has MIN_EXAMPLES_FOR_AUTO of them.
    decide_by: str = "auto"
    embedding_model: str | None = None  # "local:<name>"; None: the bundled sentence encoder
    # The winner must score at least `threshold` (cosine similarity of mean-pooled
    # vectors) and lead the runner-up by `margin`; otherwise no rule is chosen and the
    # fallback answers. Calibrated for the bundled encoder (all-MiniLM-L6-v2) with
    # scripts/bench.py classifier on the dev set and an off-topic set written for it
    # (tests/data): 0.92 of on-topic messages right and 0.83 of off-topic ones left to
    # the fallback, on a plateau from 0.21 to 0.23 (0.24 drops on-topic accuracy below
    # 0.9); a chat model as embedder needs far higher values (SmolLM2: 0.8 / 0.002).
    threshold: float = 0.22
    margin: float = 0.03


@dataclass(frozen=True, slots=True)
class Privacy:
    history: str = "local"  # one of HISTORY_POLICIES


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    route_to: str
    title: str = ""
    enabled: bool = True
    when: Condition | None = None  # calculated rules only
    description: str = ""  # classified rules: the plain-English test
    examples: tuple[str, ...] = ()  # classified rules: messages that belong to it
    private: bool = False  # a message this rule matches is private (as with pii conditions)

    @property
    def classified(self) -> bool:
        return self.when is None

    @property
    def label(self) -> str:
        return self.title or self.id


@dataclass(frozen=True, slots=True)
class Router:
    name: str
    fallback: tuple[str, ...]
    rules: tuple[Rule, ...] = ()
    description: str = ""
    sticky: Sticky | None = None
    classifier: ClassifierConfig = ClassifierConfig()
    privacy: Privacy = Privacy()

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def targets(self) -> list[str]:
        """Every target the router can send to, each once: enabled rules', then fallback."""
        seen = [r.route_to for r in self.rules if r.enabled] + list(self.fallback)
        return list(dict.fromkeys(seen))


# ---- reading -------------------------------------------------------------------------

def parse_router(data: Any) -> Router:
    f = Fields(data, "")
    f.only("schema", "name", "description", "fallback", "sticky", "classifier", "privacy", "rules")
    version = f.raw("schema")
    # `true == 1` in Python: the type is checked, not just the value.
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            f.fail("schema", f"version {version} is newer than this Switchboard understands "
                             f"({SCHEMA_VERSION}); update Switchboard to use this router")
        f.fail("schema", f"expected {SCHEMA_VERSION}")
    rules = tuple(_parse_rule(item, path) for item, path in f.items("rules", non_empty=False)) \
        if f.has("rules") else ()
    _check_unique_ids(rules)
    return Router(
        name=_parse_name(f),
        description=f.text("description", ""),
        fallback=_parse_targets(f, "fallback"),
        sticky=_parse_sticky(Fields(f.raw("sticky"), f.at("sticky"))) if f.has("sticky") else None,
        rules=rules,
        classifier=_parse_classifier(Fields(f.raw("classifier"), f.at("classifier")))
        if f.has("classifier") else ClassifierConfig(),
        privacy=_parse_privacy(Fields(f.raw("privacy"), f.at("privacy")))
        if f.has("privacy") else Privacy(),
    )


def _parse_privacy(f: Fields) -> Privacy:
    f.only("history")
    return Privacy(history=f.choice("history", HISTORY_POLICIES, default="local"))


def _parse_classifier(f: Fields) -> ClassifierConfig:
    f.only(*_CLASSIFIER_KEYS)
    default = ClassifierConfig()
    timeout = f.number("timeout_s") if f.has("timeout_s") else default.timeout_s
    if not 0 < timeout <= 60:
        f.fail("timeout_s", f"must be between 0 and 60 seconds, got {timeout:g}")
    threshold = float(f.number("threshold")) if f.has("threshold") else default.threshold
    if not -1 <= threshold <= 1:
        f.fail("threshold", f"is a similarity, between -1 and 1; got {threshold:g}")
    margin = float(f.number("margin")) if f.has("margin") else default.margin
    if not 0 <= margin <= 1:
        f.fail("margin", f"is how far the best rule must lead the next, between 0 and 1; got {margin:g}")
    embedding_model = None
    if f.has("embedding_model"):
        embedding_model = _parse_target(f, "embedding_model")
        if not is_local(embedding_model):
            f.fail("embedding_model", f'embeddings are made on this computer: expected "local:<model name>", '
                                      f'got "{embedding_model}"')
    return ClassifierConfig(
        target=_parse_target(f, "target") if f.has("target") else default.target,
        method=f.choice("method", CLASSIFIER_METHODS, default=default.method),
        timeout_s=timeout,
        context_turns=f.whole("context_turns", minimum=0) if f.has("context_turns") else 0,
        max_message_tokens=f.whole("max_message_tokens", minimum=8) if f.has("max_message_tokens")
        else default.max_message_tokens,
        decide_by=f.choice("decide_by", DECIDE_BY, default=default.decide_by),
        embedding_model=embedding_model,
        threshold=threshold,
        margin=margin,
    )


def _parse_targets(f: Fields, key: str) -> tuple[str, ...]:
    targets = f.texts(key)
    for i, target in enumerate(targets):
        if not is_target(target):
            raise RouterFormatError(f"{f.at(key)}[{i}]", f'expected "provider:model", got "{target}"')
    return targets


def _parse_target(f: Fields, key: str) -> str:
    target = f.text(key)
    if not is_target(target):
        f.fail(key, f'expected "provider:model", got "{target}"')
    return target


def _parse_sticky(f: Fields) -> Sticky:
    f.only("minutes", "messages")
    if not (f.has("minutes") or f.has("messages")):
        raise RouterFormatError(f.path, 'expected "minutes" or "messages"')
    return Sticky(
        minutes=f.whole("minutes", minimum=1, maximum=MAX_STICKY_MINUTES) if f.has("minutes") else None,
        messages=f.whole("messages", minimum=1) if f.has("messages") else None,
    )


def _parse_rule(data: Any, path: str) -> Rule:
    f = Fields(data, path)
    f.only("id", "type", "title", "enabled", "when", "description", "examples", "route_to", "private")
    rule_id = f.text("id", non_empty=True)
    if not _RULE_ID.fullmatch(rule_id):
        f.fail("id", f'"{rule_id}" may use only letters, digits, "_", "-" and "."')
    kind = f.choice("type", RULE_KINDS, default="calculated")
    common: dict[str, Any] = {
        "id": rule_id,
        "route_to": _parse_target(f, "route_to"),
        "title": f.text("title", ""),
        "enabled": f.flag("enabled", True),
        "private": f.flag("private", False),
    }
    if kind == "classified":
        if f.has("when"):
            f.fail("when", "a classified rule is decided by its description, not by conditions")
        examples = f.texts("examples", non_empty=False) if f.has("examples") else ()
        return Rule(**common, description=f.text("description", non_empty=True), examples=examples)
    if f.has("examples"):
        f.fail("examples", 'examples belong to plain-English rules ("type": "classified"); '
                           "this rule is decided by its conditions")
    if not f.has("when"):
        f.fail("when", 'missing (or set "type": "classified" and give a "description")')
    return Rule(**common, when=parse_condition(f.raw("when"), f.at("when")),
                description=f.text("description", ""))


def _parse_name(f: Fields) -> str:
    name = f.text("name", non_empty=True)
    if len(name) > MAX_NAME_CHARS:
        f.fail("name", f"may be at most {MAX_NAME_CHARS} characters long (this one has {len(name):,})")
    return name


def _check_unique_ids(rules: tuple[Rule, ...]) -> None:
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise RouterFormatError(f"rules[{i}].id", f'"{rule.id}" is already used by rules[{seen[rule.id]}]')
        seen[rule.id] = i


def load_router(path: Path) -> Router:
    """Read a router file; every problem (I/O, size, JSON, format) is a RouterFormatError
    naming the file."""
    try:
        data = read_json(path, limit=MAX_ROUTER_BYTES)
    except (OSError, UnsafeInput) as exc:
        reason = f"cannot be read: {exc.strerror.lower()}" if isinstance(exc, OSError) and exc.strerror \
            else str(exc)
        raise RouterFormatError("", f"{path.name} {reason}") from None
    return parse_router(data)


# ---- writing -------------------------------------------------------------------------

def dump_router(router: Router) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": SCHEMA_VERSION, "name": router.name}
    if router.description:
        out["description"] = router.description
    out["fallback"] = list(router.fallback)
    if router.sticky:
        out["sticky"] = {k: v for k, v in (("minutes", router.sticky.minutes),
                                           ("messages", router.sticky.messages)) if v is not None}
    if router.classifier != ClassifierConfig():
        default = ClassifierConfig()
        out["classifier"] = {k: getattr(router.classifier, k) for k in _CLASSIFIER_KEYS
                             if getattr(router.classifier, k) != getattr(default, k)}
    if router.privacy != Privacy():
        out["privacy"] = {"history": router.privacy.history}
    out["rules"] = [_dump_rule(r) for r in router.rules]
    return out


def _dump_rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id}
    if rule.title:
        out["title"] = rule.title
    if rule.classified:
        out["type"] = "classified"
    if not rule.enabled:
        out["enabled"] = False
    if rule.when is not None:
        out["when"] = rule.when.to_dict()
    if rule.description:
        out["description"] = rule.description
    if rule.examples:
        out["examples"] = list(rule.examples)
    if rule.private:
        out["private"] = True
    out["route_to"] = rule.route_to
    return out


def save_router(router: Router, path: Path) -> None:
    """Write atomically: a crash mid-save must not leave a half router behind."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(dump_router(router), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
