"""``python -m app --self-test``: the whole app, offscreen, answers one message.

It starts the real window on a throwaway data folder, sends one message through the
default router to the bundled model exactly as a user would, checks that the reply
streamed and was stored, and prints a JSON report. Packaging runs it on the frozen app.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

PROMPT = "Say hello in one short sentence."
TIMEOUT_S = 180.0


def run_self_test() -> int:
    started = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = tempfile.mkdtemp(prefix="switchboard-self-test-")
    os.environ["SWITCHBOARD_HOME"] = home  # never the user's own chats
    checks: dict[str, bool] = {}
    report: dict[str, Any] = {"ok": False, "checks": checks}
    try:
        _run(report, started)
    except Exception as error:  # noqa: BLE001 - the report must say what broke
        report["error"] = f"{type(error).__name__}: {error}"
    finally:
        shutil.rmtree(home, ignore_errors=True)
    report["ok"] = bool(checks) and all(checks.values()) and "error" not in report
    report["elapsed_ms"] = round((time.perf_counter() - started) * 1000)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


def _run(report: dict[str, Any], started: float) -> None:
    from app.ui.app import make_application
    from app.ui.event_loop import AppEventLoop
    from app.ui.main_window import MainWindow

    app = make_application(sys.argv[:1])
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow()
    window.show()
    report["window_shown_ms"] = round((time.perf_counter() - started) * 1000)
    with loop:
        loop.run_until_complete(asyncio.wait_for(_exercise(window, report), TIMEOUT_S))


async def _exercise(window: MainWindow, report: dict[str, Any]) -> None:
    from app.core.paths import resources_dir
    from app.core.tokens import default_counter

    checks: dict[str, bool] = report["checks"]
    await window.start()
    session, chat = window.session, window.chat
    checks["window_ready"] = session is not None and chat is not None
    if session is None or chat is None:
        return
    resources = resources_dir()
    report["resources"] = str(resources)
    checks["resources_found"] = (resources / "routers").is_dir() and (resources / "model_catalog.json").is_file()
    checks["tokenizer_loads"] = default_counter().count("hello world") > 0
    report["keyring_backend"] = session.secrets.backend_name
    report["keyring_secure"] = session.secrets.secure
    report["router"] = chat.router_name()
    report["local_models"] = session.local_models
    checks["bundled_model_installed"] = bool(session.local_models)

    session.chat.max_tokens = 48  # enough to prove it streams; bounded for slow machines
    chat.composer.set_text(PROMPT)
    chat.send(PROMPT, [])
    while chat.is_busy():
        await asyncio.sleep(0.02)
    rows = session.conversations.messages(chat.conversation_id) if chat.conversation_id else []
    reply = next((r for r in reversed(rows) if r.role == "assistant"), None)
    checks["message_stored"] = any(r.role == "user" and r.content == PROMPT for r in rows)
    checks["reply_complete"] = reply is not None and reply.status == "complete" and bool(reply.content.strip())
    checks["reply_streamed"] = chat.coalescer.flushes >= 1
    checks["model_loaded"] = session.registry.local.loaded_name is not None
    if reply is not None:
        report["reply"] = {"target": reply.target, "rule": reply.rule, "reason": reply.reason,
                           "chars": len(reply.content), "tokens_out": reply.tokens_out,
                           "latency_ms": round(reply.latency_ms or 0), "error": reply.error}
    closed = asyncio.Event()
    window.sig_closed.connect(closed.set)
    window.close()
    await closed.wait()
