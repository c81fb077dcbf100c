"""Structural proof that the egress gate is the only way to a remote provider.

A chat request reaches a provider through ``stream_chat``. The only code that calls it
on a provider taken from the ``ProviderRegistry`` is the gate; the classifier calls it
on whatever its ``ClassifierModels`` resolves, and the session hands it the gate. The
registry is built only where no user content is sent (the session, and the two
"test connection" commands, which ask for health and model lists).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
# summaries.py calls the in-process LocalLlamaProvider (its type says so): nothing leaves.
CHAT_CALLERS = {"controller/egress.py", "core/router/classifier.py", "controller/summaries.py"}
REGISTRY_RESOLVERS = {"controller/egress.py"}
REGISTRY_BUILDERS = {"controller/session.py", "controller/provider_setup.py", "cli/providers.py"}


def calls(attribute: str) -> set[str]:
    """Files under app/ that call ``<something>.<attribute>(…)``, providers themselves aside."""
    found = set()
    for path in APP.rglob("*.py"):
        name = path.relative_to(APP).as_posix()
        if name.startswith("core/providers/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == attribute:
                found.add(name)
    return found


def names(identifier: str) -> set[str]:
    found = set()
    for path in APP.rglob("*.py"):
        name = path.relative_to(APP).as_posix()
        if name.startswith("core/providers/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Name) and n.id == identifier for n in ast.walk(tree)):
            found.add(name)
    return found


def test_only_the_gate_and_the_gated_classifier_send_chat_requests():
    assert calls("stream_chat") <= CHAT_CALLERS


def test_only_the_gate_turns_a_target_into_a_registry_provider():
    resolving = {f for f in calls("resolve") if f not in {"__init__.py", "core/paths.py",
                                                           "core/router/embedding_cache.py"}}
    assert resolving <= REGISTRY_RESOLVERS | {"core/router/classifier.py"}  # the classifier: gated


def test_the_registry_is_built_only_where_nothing_is_chatted():
    assert names("ProviderRegistry") - {"controller/egress.py", "controller/chat.py"} <= REGISTRY_BUILDERS


async def test_the_session_hands_the_chat_and_the_classifier_the_gate(switchboard_home, memory_keyring):
    from app.controller.egress import EgressGate
    from app.controller.session import Session

    session = await Session.open()
    try:
        assert isinstance(session.gate, EgressGate)
        assert session.chat.gate is session.gate
        assert session.routing._gate is session.gate
    finally:
        await session.aclose()


def test_summaries_are_written_only_by_the_local_provider():
    source = (APP / "controller" / "summaries.py").read_text(encoding="utf-8")
    assert "local: LocalLlamaProvider" in source
