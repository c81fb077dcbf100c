"""Screenshots of the real window on a real X server, for people to look at.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshots.py shots/

Scenes: the first run; a conversation with code, a live reply from the bundled model and
its route-trace popup; an error with the action that fixes it; privacy (a chat kept on
this computer with its reason, the unlock confirmation, a redacted send's trace and what
was sent off this computer, with a loopback server as the cloud); the same conversation
in a dark palette; a long chat's context meter, its reading progress and the Chat
settings panel. Each runs on a throwaway data folder. ``--privacy`` takes the privacy
scenes only, ``--context`` the long-chat ones, ``--damaged-database`` the choice a damaged
chat database brings at start, ``--first-hour`` what a new user meets in the first hour
(scripts/screenshots_first_hour.py: badges and traces, versions, math, the dark editor),
``--long-chat`` a 10,000-message chat and a reply streaming into it
(scripts/screenshots_long_chat.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.router.trace import trace_from_json

CODE_REPLY = """Here is a function that checks whether a number is prime:

```python
def is_prime(n: int) -> bool:
    \"\"\"True when n has no divisor but 1 and itself.\"\"\"
    if n < 2:
        return False
    return all(n % d for d in range(2, int(n ** 0.5) + 1))
```

It tries every divisor up to **√n**, which is enough: a larger factor would pair with a
smaller one already tried. For many numbers, use a *sieve* instead.
"""
TRACE = trace_from_json([
    {"rule": "private_stays_local", "label": "Private data stays local", "matched": False,
     "detail": "no private data found"},
    {"rule": "code_to_local", "label": "Code stays local", "matched": True,
     "detail": "the message asks for code (python)"},
])


def seed(session: Any) -> int:
    store = session.store
    cid = store.create_conversation("Prime numbers in Python")
    store.add_message(cid, "user", "Write a Python function that checks if a number is prime.")
    reply = store.add_message(cid, "assistant", CODE_REPLY, target="local:SmolLM2-135M-Instruct",
                              rule="code_to_local", trace=TRACE,
                              reason='Routed to local:SmolLM2-135M-Instruct because rule '
                                     '"code_to_local" matched: the message asks for code (python).')
    store.update_message(reply, tokens_in=31, tokens_out=112, latency_ms=1720.0, ttft_ms=140.0)
    return cid


def seed_usage(session: Any) -> None:
    """Three weeks of use: most replies local, some to cloud models, a few classifier calls."""
    from datetime import UTC, datetime, timedelta

    store = session.store
    cid = store.create_conversation("Usage", router="Save money")
    now = datetime.now(UTC)
    plan = [("local:SmolLM2-135M-Instruct", 0.0), ("openai:gpt-4o-mini", None),
            ("anthropic:claude-sonnet-4-5", None)]
    for day in range(21):
        for i in range(3 + day % 5):
            target, _ = plan[0] if i % 3 else plan[1 + (day + i) % 2]
            tokens_in, tokens_out = 400 + 37 * i, 150 + 11 * day
            cost = session.pricing.cost(target, tokens_in, tokens_out)
            store.add_usage(conversation_id=cid, message_id=None, target=target, kind="chat",
                            tokens_in=tokens_in, tokens_out=tokens_out, cost=cost, estimated=False)
            when = (now - timedelta(days=20 - day, hours=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            store._conn.execute("UPDATE usage SET created_at = ? WHERE id = (SELECT MAX(id) FROM usage)",
                                (when,))


def dark_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    colours = {QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
               QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26282b",
               QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2b2d30",
               QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#3d6fd9",
               QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2b2d30",
               QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
               QPalette.ColorRole.Link: "#8ab4f8"}
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    return palette


async def pause(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)  # let layouts settle and paint


def save(widget: Any, path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    # A grab of the screen, not widget.grab(): what the X server really shows.
    geometry = widget.frameGeometry()
    shot = widget.screen().grabWindow(0, geometry.x(), geometry.y(), geometry.width(), geometry.height())
    if not shot.save(str(path)):
        raise RuntimeError(f"could not write {path}")
    print(json.dumps({"saved": str(path), "size": [shot.width(), shot.height()]}))


async def open_window() -> Any:
    """The main window on this run's data folder, once its local model is loaded."""
    from app.ui.main_window import MainWindow

    w = MainWindow()
    w.move(0, 0)
    w.resize(1280, 820)
    w.show()
    await w.start()
    while "ready" not in w.status.model.text():
        await asyncio.sleep(0.05)
    await pause()
    return w


async def close_window(w: Any) -> None:
    closed = asyncio.Event()
    w.sig_closed.connect(closed.set)
    w.close()
    await closed.wait()


async def until_idle(w: Any) -> None:
    while w.chat.is_busy():
        await asyncio.sleep(0.05)


async def scenes(out: Path) -> None:
    from app.core.providers.config import ProviderConfig
    from app.core.router.library import user_routers_dir
    from app.core.settings import ProviderSettings, Settings

    window, close = open_window, close_window

    # 1. First run: nothing set up.
    w = await window()
    save(w, out / "1-first-run.png")
    await close(w)

    # 2. A conversation with code, a live local reply, and the route trace.
    w = await window()
    cid = seed(w.session)
    w.sidebar.refresh(select=cid)
    w.chat.open_conversation(cid)
    w.session.chat.max_tokens = 60
    w.chat.send("Thanks! Say it in one sentence.", [])
    while w.chat.is_busy():
        await asyncio.sleep(0.05)
    await pause()
    save(w, out / "2-conversation.png")
    w.chat.show_trace(w.session.conversations.messages(cid)[1].id)
    await pause()
    dialog = w.chat._trace_dialogs[-1]
    dialog.move(w.x() + 420, w.y() + 160)
    await pause()
    save(w, out / "3-route-trace.png")
    dialog.close()
    await close(w)

    # 3. An error, with the action that fixes it.
    Settings(providers=(ProviderSettings(ProviderConfig("anthropic", "anthropic",
                                                        "https://api.anthropic.com")),)).save()
    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cloud-only.json").write_text(json.dumps(
        {"schema": 1, "name": "Cloud only", "fallback": ["anthropic:claude-sonnet-4-5"], "rules": []}))
    w = await window()
    w.new_chat()
    w.chat.router_picker.setCurrentText("Cloud only")
    w.chat.send("Summarise the attached contract in three bullet points.", [])
    while w.chat.is_busy():
        await asyncio.sleep(0.05)
    await pause()
    save(w, out / "4-error.png")
    await close(w)

    # 4. Usage and savings, over three weeks of mixed local and cloud replies.
    w = await window()
    seed_usage(w.session)
    w.open_usage()
    w.usage_dialog.move(60, 40)
    w.usage_dialog.resize(1100, 760)
    await pause(0.6)
    save(w.usage_dialog, out / "6-usage.png")
    w.usage_dialog.close()
    w.open_settings()
    w.settings_dialog.move(100, 60)
    await pause(0.6)
    save(w.settings_dialog, out / "7-settings-providers.png")
    w.settings_dialog.close()
    await close(w)

    # 5. The model manager: a hub search, a file picked, its fit badge.
    from tests.support.hub_server import HubRepo, HubServer

    bundled = Path(__file__).resolve().parents[1] / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    repos = [HubRepo("acme/SmolLM2-135M-Instruct-GGUF", downloads=48210, likes=57,
                     files={"SmolLM2-135M-Instruct.Q4_1.gguf": bundled}),
             HubRepo("acme/Tiny-Coder-GGUF", downloads=9120, likes=12,
                     files={"tiny-coder.Q8_0.gguf": bundled})]
    with HubServer(repos) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        w = await window()
        w.open_models()
        manager = w.models_window
        manager.move(60, 40)
        manager.resize(1100, 720)
        discover = manager.discover
        manager.tabs.setCurrentWidget(discover)
        discover.search_field.setText("gguf")
        discover.search()
        while discover.searching:
            await asyncio.sleep(0.05)
        discover.results_table.selectRow(0)
        while not discover.files():
            await asyncio.sleep(0.05)
        discover.files_table.selectRow(0)
        while discover.fit is None:
            await asyncio.sleep(0.05)
        await pause(0.6)
        save(manager, out / "8-models-discover.png")
        manager.tabs.setCurrentWidget(manager.library)
        await pause(0.4)
        save(manager, out / "9-models-library.png")
        manager.close()
        await close(w)

    # 6. The router editor: a grouped condition, and the test panel's trace. The cloud
    # providers are set up (as keyless local servers would be) so every rule can win.
    Settings(providers=tuple(ProviderSettings(ProviderConfig(p, "openai", "http://127.0.0.1:9/v1",
                                                             key_required=False))
                             for p in ("openai", "anthropic", "gemini"))).save()
    w = await window()
    w.open_router_editor()
    editor = w.router_editor
    editor.move(20, 20)
    editor.resize(1360, 840)
    editor.open_router("Specialists")
    editor.rules.select(next(i for i, r in enumerate(editor.draft.rules) if r["id"] == "code"))
    editor.test_panel.message.setPlainText("My build fails with a segfault, here is the stack trace")
    await pause(0.8)
    save(editor, out / "10-router-editor.png")
    editor.rules.select(next(i for i, r in enumerate(editor.draft.rules) if r["id"] == "writing"))
    editor.test_panel.message.setPlainText("Could you help me polish this cover letter?")
    await pause(0.6)
    editor.test_panel.run_classifier()
    while editor.test_panel.is_asking():
        await asyncio.sleep(0.05)
    await pause(0.4)
    save(editor, out / "11-router-editor-classifier.png")
    editor.close()
    await close(w)

    # 7. Privacy (issue 18): the lock and its reason, unlocking, a redacted send's trace,
    # and what was sent off this computer; one of them again in the dark palette.
    await privacy_scenes(out)

    # 8. Dark palette, as a dark desktop theme gives it.
    from PySide6.QtWidgets import QApplication

    QApplication.instance().setPalette(dark_palette())
    w = await window()
    cid = seed(w.session)
    w.sidebar.refresh(select=cid)
    w.chat.open_conversation(cid)
    await pause()
    save(w, out / "5-dark.png")
    await close(w)


PRIVATE_RULE = {"id": "private_stays_local", "title": "Private data stays local", "private": True,
                "when": {"type": "pii"}, "route_to": "local:SmolLM2-135M-Instruct"}


def save_privacy_routers() -> None:
    """Two routers that send everything to the cloud but private messages: one keeps a
    chat holding private data on this computer, the other sends it on with placeholders."""
    from app.core.router.library import user_routers_dir

    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for name, history in (("Careful", "local"), ("Careful with placeholders", "redact")):
        data = {"schema": 1, "name": name, "fallback": ["openai:gpt-4o-mini"],
                "rules": [PRIVATE_RULE], "privacy": {"history": history}}
        (folder / f"{name.lower().replace(' ', '-')}.json").write_text(json.dumps(data))


def cloud_reply(request: Any) -> Any:
    """What the loopback "cloud" answers: a greeting that quotes the placeholder it was
    sent, if any (the chat shows the real value in its place)."""
    from tests.support.sse_server import sse, sse_reply

    if b"[EMAIL_1]" in request.body:
        texts = ("Here is a greeting, [EMAIL_1]:\n\n", "Good morning, team! ",
                 "Coffee is on me today.")
    else:
        texts = ("I can help with writing, questions, code and plans. ", "What do you need?")
    chunks = [sse(None, {"choices": [{"index": 0, "delta": {"content": t}, "finish_reason": None}]})
              for t in texts]
    return sse_reply(*chunks, sse(None, "[DONE]"))


async def chat_with(w: Any, router: str, *messages: str) -> int:
    w.new_chat()
    w.chat.router_picker.setCurrentText(router)
    for message in messages:
        w.chat.send(message, [])
        await until_idle(w)
    await pause()
    assert w.chat.conversation_id is not None
    return int(w.chat.conversation_id)


async def privacy_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.providers.config import ProviderConfig
    from app.core.settings import ProviderSettings, Settings
    from app.ui.privacy.unlock_confirmation import UnlockConfirmation
    from tests.support.sse_server import SSEServer

    with SSEServer(cloud_reply) as cloud:
        Settings(providers=(ProviderSettings(ProviderConfig(
            "openai", "openai", cloud.url + "/v1", key_required=False)),)).save()
        save_privacy_routers()
        w = await open_window()
        w.session.chat.max_tokens = 40
        locked = await chat_with(w, "Careful", "My email is jane.doe@example.com, please "
                                               "remember it for the newsletter.")
        save(w, out / "12-privacy-lock.png")

        warning = w.session.chat.privacy(locked, w.session.router("Careful")).unlock_warning
        box = UnlockConfirmation(warning, w)
        box.open()  # window-modal, but it does not block this coroutine
        await pause()
        box.move(w.x() + (w.width() - box.width()) // 2, w.y() + 300)  # below the reply
        await pause()
        save(w, out / "13-unlock-confirmation.png")
        box.done(0)

        redacted = await chat_with(w, "Careful with placeholders", "Hi! What can you help me with?",
                                   "My email is jane.doe@example.com, note it down.",
                                   "Write a two-line greeting for my team.")
        save(w, out / "14-redacted-chat.png")  # the reply shows the email the cloud never saw
        w.chat.show_trace(w.session.conversations.messages(redacted)[-1].id)
        await pause()
        dialog = w.chat._trace_dialogs[-1]
        dialog.resize(720, 420)
        dialog.move(w.x() + 380, w.y() + 140)
        await pause()
        save(dialog, out / "15-redacted-trace.png")  # without a frame, over the chat it misleads
        dialog.close()

        w.chat.open_sent_off()
        view = w.chat.sent_off_view
        view.move(80, 80)
        view.resize(1100, 420)
        await pause(0.6)
        save(view, out / "16-sent-off.png")
        view.all_chats.setChecked(True)
        await pause()
        save(view, out / "17-sent-off-all.png")
        view.close()

        w.open_router_editor()  # where the router's choice and a rule's private mark are set
        editor = w.router_editor
        editor.move(20, 20)
        editor.resize(1360, 840)
        editor.open_router("Careful with placeholders")
        editor.settings_button.click()
        await pause(0.6)
        save(editor, out / "20-router-editor-privacy.png")
        editor.rules.select(0)
        await pause(0.4)
        save(editor, out / "21-rule-private.png")
        editor.close()
        await close_window(w)

    # The locked chat and what left, in a dark palette.
    app = QApplication.instance()
    light = app.palette()
    app.setPalette(dark_palette())
    w = await open_window()
    w.sidebar.refresh(select=locked)
    w.chat.open_conversation(locked)
    await pause()
    save(w, out / "18-privacy-dark.png")
    w.chat.open_sent_off()
    view = w.chat.sent_off_view
    view.all_chats.setChecked(True)
    view.move(80, 80)
    view.resize(1100, 420)
    await pause(0.6)
    save(view, out / "19-sent-off-dark.png")
    view.close()
    await close_window(w)
    app.setPalette(light)


async def context_scenes(out: Path) -> None:
    """A 120-message chat at a 2,048-token local window: the meter, the reading progress
    before the first word, and the Chat settings panel over it."""
    from PySide6.QtCore import QTimer

    from app.core.providers.local_settings import LocalModelSettings

    w = await open_window()
    await w.session.preferences.save_local(LocalModelSettings(n_ctx=2048), w.session.settings.default_local_model)
    store = w.session.store
    cid = store.create_conversation("Planning the garden")
    topics = ["tomatoes", "the shed", "compost", "roses", "watering", "the pond"]
    for i in range(120):
        topic = topics[i % len(topics)]
        if i % 2 == 0:
            store.add_message(cid, "user", f"What should I know about {topic} this spring?")
        else:
            store.add_message(cid, "assistant", f"For {topic}: start early, keep notes, and check "
                              "the soil each week. " * 3, target="local:SmolLM2-135M-Instruct")
    w.sidebar.refresh(select=cid)
    w.chat.open_conversation(cid)
    w.session.chat.max_tokens = 24
    while not w.chat.meter.isVisible():
        await asyncio.sleep(0.05)
    await pause()
    save(w, out / "20-context-meter.png")
    w.chat.send("And what about the pond in May?", [])
    reply = w.chat._streaming
    while reply is not None and not reply._progress.text().startswith("Reading the conversation… 1,"):
        await asyncio.sleep(0.02)
    await pause(0.3)
    save(w, out / "21-reading-progress.png")
    await until_idle(w)
    await pause()

    def shoot_dialog() -> None:
        from PySide6.QtWidgets import QApplication

        from app.ui.chat.chat_settings_dialog import ChatSettingsDialog

        dialog = next(d for d in QApplication.topLevelWidgets() if isinstance(d, ChatSettingsDialog))
        dialog.system_prompt.setPlainText("You are a patient gardening coach. Answer in short lists.")
        dialog.temperature.setValue(0.4)
        save(dialog, out / "22-chat-settings.png")
        dialog.reject()

    QTimer.singleShot(700, shoot_dialog)
    w.chat.open_chat_settings()
    await pause()
    await close_window(w)


async def bad_file_scenes(out: Path) -> None:
    """Bad files in the routers folder (issue 20): a router nested 5,000 levels deep and a
    FIFO named like a router are listed as broken, alone; the chat says why in place."""
    from app.core.router.library import user_routers_dir

    folder = user_routers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deep.json").write_text('{"schema": 1, "rules": ' + "[" * 5000 + "]" * 5000 + "}",
                                      encoding="utf-8")
    os.mkfifo(folder / "pipe.json")
    w = await open_window()
    w.open_router_editor()
    editor = w.router_editor
    editor.move(20, 20)
    editor.resize(1100, 640)
    editor.open_router("deep")
    await pause(0.6)
    save(editor, out / "23-broken-router.png")
    editor.close()
    w.chat.composer.set_text("Summarize this for me")
    w.chat.router_picker.setCurrentText("deep")
    w.chat.send(w.chat.composer.text(), [])
    await pause(0.6)
    save(w, out / "24-broken-router-in-chat.png")
    await close_window(w)


async def damaged_database_scenes(out: Path) -> None:
    """A damaged chat database at start (issue 20): the choice in place of the chat, then
    the window on a new database, saying where the damaged one was kept."""
    from app.core.paths import data_dir
    from app.ui.main_window import MainWindow

    data_dir().mkdir(parents=True, exist_ok=True)
    (data_dir() / "switchboard.db").write_bytes(b"not a database any more " * 400)
    w = MainWindow()
    w.move(0, 0)
    w.resize(1280, 820)
    w.show()
    await w.start()
    await pause(0.6)
    save(w, out / "25-damaged-database.png")
    w.damaged_panel.set_aside_button.click()
    while w.session is None or "ready" not in w.status.model.text():
        await asyncio.sleep(0.05)
    await pause()
    save(w, out / "26-damaged-database-set-aside.png")
    await close_window(w)


async def all_scenes(out: Path) -> None:
    from screenshots_first_hour import first_hour_all
    from screenshots_long_chat import long_chat_scenes

    await scenes(out)
    await first_hour_all(out)
    await long_chat_scenes(out)


def main(argv: list[str]) -> int:
    only_privacy = "--privacy" in argv  # just the privacy scenes (issue 18), for a quick look
    only_context = "--context" in argv  # just the long-chat scenes (issue 19)
    only_bad_files = "--bad-files" in argv  # just the broken-file scenes (issue 20)
    only_database = "--damaged-database" in argv  # just the damaged-database scenes (issue 20)
    only_first_hour = "--first-hour" in argv  # just what a new user meets (issue 23)
    only_long_chat = "--long-chat" in argv  # a 10,000-message chat and a streaming reply (issue 24)
    argv = [a for a in argv if a not in ("--privacy", "--context", "--bad-files", "--damaged-database",
                                         "--first-hour", "--long-chat")]
    out = Path(argv[0] if argv else "shots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["SWITCHBOARD_HOME"] = tempfile.mkdtemp(prefix="switchboard-shots-")
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from app.ui.app import make_application
    from app.ui.event_loop import AppEventLoop

    app = make_application([])
    app.setStyle("Fusion")  # what most Linux desktops without a platform theme show
    from app.ui import indicator_style

    indicator_style.install(app)  # as make_application does, over the style just set
    from screenshots_first_hour import first_hour_all
    from screenshots_long_chat import long_chat_scenes

    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(privacy_scenes(out) if only_privacy
                                else context_scenes(out) if only_context
                                else bad_file_scenes(out) if only_bad_files
                                else damaged_database_scenes(out) if only_database
                                else first_hour_all(out) if only_first_hour
                                else long_chat_scenes(out) if only_long_chat else all_scenes(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
