"""Screenshots of what a new user meets in the first hour (issue 23), run by
``scripts/screenshots.py --first-hour`` and with the whole set: the first run and the
default-router notice, each route badge and trace, reply versions and Continue, math
and block quotes, Settings and the router editor in light and dark, the model manager.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

from screenshots import close_window, dark_palette, open_window, pause, save, until_idle

# ---- Issue 23, the first hour (routing words, focus, the default router, the first run):

LOCAL = "local:SmolLM2-135M-Instruct"


def _fresh_home() -> None:
    """Each part on its own throwaway data folder: a first run must be a first run."""
    os.environ["SWITCHBOARD_HOME"] = tempfile.mkdtemp(prefix="switchboard-shots-")


def _seed_routes(session: Any) -> dict[str, int]:
    """One chat with three replies: routed by a rule, by the fallback of a router with no
    rules, and one nothing answered (no key for the cloud model it needed)."""
    from app.core.router import TraceEntry, TraceKind

    store = session.store
    cid = store.create_conversation("Mail to the accountant", router="Save money")
    store.add_message(cid, "user", "Draft a reply to jane.doe@example.com about the invoice.")
    rule = store.add_message(
        cid, "assistant", "Dear Jane,\n\nThank you for the invoice. I will pay it this week.",
        target=LOCAL, rule="private_stays_local",
        trace=[TraceEntry("private_stays_local", True, "email address found",
                          label="Private data stays local", target=LOCAL)])
    store.update_message(rule, tokens_in=41, tokens_out=18, latency_ms=820.0, ttft_ms=150.0)
    store.add_message(cid, "user", "Thanks. And a shorter one?")
    fallback = store.add_message(
        cid, "assistant", "Hi Jane, thanks — paying this week.", target=LOCAL,
        trace=[TraceEntry(None, True, f"fell back to {LOCAL}", TraceKind.FALLBACK, target=LOCAL)])
    store.update_message(fallback, tokens_in=70, tokens_out=9, latency_ms=400.0, ttft_ms=120.0)
    store.add_message(cid, "user", "Now write the whole contract.")
    failed = store.add_message(
        cid, "assistant", "", status="failed", target="openai:gpt-4o-mini", rule="long_context",
        trace=[TraceEntry("long_context", True, "the conversation is long (7,200 tokens)",
                          label="Long chats go to the cloud", target="openai:gpt-4o-mini"),
               TraceEntry(None, False, "openai:gpt-4o-mini failed: no API key", TraceKind.ATTEMPT,
                          target="openai:gpt-4o-mini")])
    store.update_message(failed, error="No API key for openai. Add one in Settings → Providers.")
    return {"cid": cid, "rule": rule, "fallback": fallback, "failed": failed}


async def _trace_shot(w: Any, message_id: int, path: Path) -> None:
    from app.ui.chat.route_trace import RouteTraceDialog

    w.chat.show_trace(message_id)
    dialog = w.chat.findChildren(RouteTraceDialog)[-1]
    dialog.move(140, 120)
    await pause(0.5)
    save(dialog, path)
    dialog.close()
    await pause(0.2)


async def first_hour_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.providers.config import config_from_preset
    from app.core.settings import ProviderSettings

    app = QApplication.instance()
    light = app.palette()
    for suffix, palette in (("", light), ("-dark", dark_palette())):
        app.setPalette(palette)

        # 1. The first run: what a router is and what "Local only" means, and the link.
        _fresh_home()
        w = await open_window()
        save(w, out / f"23-first-run{suffix}.png")

        # 2. The first cloud provider: a notice, not a silent switch of new chats' router.
        await w.session.provider_setup.save(ProviderSettings(config_from_preset("openai")))
        await pause(0.5)
        save(w, out / f"23-default-router-notice{suffix}.png")
        await close_window(w)

        # 3. The route trace: a rule's title and why; a router with no rules; nothing answered.
        _fresh_home()
        w = await open_window()
        ids = _seed_routes(w.session)
        w.sidebar.refresh(select=ids["cid"])
        w.chat.open_conversation(ids["cid"])
        await pause(0.6)
        save(w, out / f"23-route-badges{suffix}.png")
        await _trace_shot(w, ids["rule"], out / f"23-trace-rule{suffix}.png")
        await _trace_shot(w, ids["fallback"], out / f"23-trace-fallback{suffix}.png")
        await _trace_shot(w, ids["failed"], out / f"23-trace-failed{suffix}.png")
        await close_window(w)
    app.setPalette(light)


# ---- Screenshot scenes for reply versions, Continue and deleting one message (issue 23).

async def versions_scenes(out: Path) -> None:
    """A regenerated reply showing ‹ 2/2 › (light and dark) and its first version chosen
    again; a reply cut off at its length limit offering Continue (light and dark), and the
    same continued; a deleted message with its Undo bar."""
    from PySide6.QtWidgets import QApplication

    from app.core.providers.config import ProviderConfig
    from app.core.router.library import user_routers_dir
    from app.core.settings import ProviderSettings, Settings
    from tests.support.sse_server import sse, sse_reply

    answers = [
        "How about **Smokey**? It suits a grey coat, and it is easy to call across a garden.",
        ("**Ash** is a good fit: short, soft, and as grey as the cat. Other ideas: *Pebble*, "
         "*Misty* or *Earl Grey*."),
        ("Here is a short story about a lighthouse keeper named Ada. Every night she climbed "
         "the ninety steps, trimmed the wick and watched the beam sweep the dark water. One "
         "winter a"),
        (" storm cut the telegraph line, and Ada kept the light burning for three nights alone "
         "until the supply boat came."),
    ]
    served: list[Any] = []

    def scripted(request: Any) -> Any:
        """The n-th request gets the n-th answer; the third stops at its length limit."""
        served.append(request)
        n = len(served) - 1
        delta = {"choices": [{"index": 0, "delta": {"content": answers[min(n, 3)]}, "finish_reason": None}]}
        end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "length" if n == 2 else "stop"}]}
        return sse_reply(sse(None, delta), sse(None, end), sse(None, "[DONE]"))

    from tests.support.sse_server import SSEServer

    with SSEServer(scripted) as cloud:
        Settings(providers=(ProviderSettings(ProviderConfig(
            "cloud", "openai", cloud.url + "/v1", key_required=False)),)).save()
        folder = user_routers_dir()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cloud-only.json").write_text(json.dumps(
            {"schema": 1, "name": "Cloud only", "fallback": ["cloud:gpt-4o-mini"], "rules": []}))
        w = await open_window()
        app = QApplication.instance()
        light = app.palette()

        w.new_chat()
        w.chat.router_picker.setCurrentText("Cloud only")
        w.chat.send("Suggest a name for a grey cat.", [])
        await until_idle(w)
        w.chat.regenerate()
        await until_idle(w)
        await pause()
        save(w, out / "40-reply-versions.png")
        app.setPalette(dark_palette())
        await pause()
        save(w, out / "41-reply-versions-dark.png")
        app.setPalette(light)
        await pause()
        reply = w.chat.messages.last_widget("assistant")
        w.chat.choose_version(reply.message_id, 1)
        await pause()
        save(w, out / "42-reply-version-1-of-2.png")

        w.new_chat()
        w.chat.router_picker.setCurrentText("Cloud only")
        w.chat.send("Tell me a story about a lighthouse keeper.", [])
        await until_idle(w)
        await pause()
        save(w, out / "43-cut-off-with-continue.png")
        app.setPalette(dark_palette())
        await pause()
        save(w, out / "44-cut-off-with-continue-dark.png")
        app.setPalette(light)
        await pause()
        reply = w.chat.messages.last_widget("assistant")
        w.chat.continue_reply(reply.message_id)
        await until_idle(w)
        await pause()
        save(w, out / "45-continued.png")

        w.chat.delete_message(reply.message_id)
        await pause()
        save(w, out / "46-deleted-with-undo.png")
        await close_window(w)


# ---- Screenshot scene for issue 23's math and block quotes: a reply with inline and display

MATH_QUESTION = "What is the area under y = x² between 0 and 1, and how is it worked out?"


MATH_REPLY = r"""The area is the integral of $f(x) = x^2$ from $0$ to $1$, which is \(\frac{1}{3}\):

$$\int_0^1 x^2\,dx = \left[\frac{x^3}{3}\right]_0^1 = \frac{1}{3}$$

In general \[\int_a^b x^n\,dx = \frac{b^{n+1} - a^{n+1}}{n+1}, \quad n \neq -1\] for any powers.
A textbook on this costs $5 and $10 used; in code it is `area = 1/3  # $x$ stays`.

> Newton and Leibniz found this independently: for $F' = f$,
> the integral is $F(b) - F(a)$.
>
> > Nested: the *fundamental theorem of calculus*.

The half-written formula at the end of a reply still streaming is shown as typed: \(\sqrt{x"""


def seed_math(session: Any) -> int:
    store = session.store
    cid = store.create_conversation("Area under a parabola")
    store.add_message(cid, "user", MATH_QUESTION)
    reply = store.add_message(cid, "assistant", MATH_REPLY, target="local:SmolLM2-135M-Instruct",
                              rule=None, trace=[], reason="Routed to local:SmolLM2-135M-Instruct.")
    store.update_message(reply, tokens_in=24, tokens_out=180, latency_ms=2300.0, ttft_ms=150.0)
    return cid


async def math_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.ui.chat.prose_label import ProseLabel

    app = QApplication.instance()
    light = app.palette()
    cid = None
    for name, palette in (("light", light), ("dark", dark_palette())):
        app.setPalette(palette)
        w = await open_window()
        cid = cid or seed_math(w.session)  # the same data folder: seeded once
        w.sidebar.refresh(select=cid)
        w.chat.open_conversation(cid)
        await pause(0.6)
        while any(label.drawing() for label in w.findChildren(ProseLabel)):
            await pause(0.05)  # formulas are drawn off the UI thread
        save(w, out / f"50-math-{name}.png")
        await close_window(w)
    app.setPalette(light)


# ---- Issue 23, Settings / router editor / dark palette. Settings → Providers after a

def desktop_dark() -> object:
    """dark_palette() with the disabled colours a desktop's dark theme also has: without
    them a disabled Save looks exactly like an enabled one."""
    from PySide6.QtGui import QColor, QPalette

    palette = dark_palette()
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c7f84"))
    return palette


async def editor_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.providers.config import ProviderConfig
    from app.core.settings import ProviderSettings, Settings
    from app.ui import indicator_style
    from tests.conftest import free_port

    app = QApplication.instance()
    # The app puts its style behind IndicatorStyle at start (make_application); main()
    # replaces the style with plain Fusion after that, so put it back for these shots.
    indicator_style.install(app)
    light = app.palette()
    # Keyless local servers stand in for the cloud, so every rule's target is set up; the
    # custom one listens nowhere, so its Test connection fails with the cause named.
    refused = f"http://127.0.0.1:{free_port()}/v1"
    Settings(providers=(*(ProviderSettings(ProviderConfig(p, "openai", "http://127.0.0.1:9/v1",
                                                          key_required=False))
                          for p in ("openai", "anthropic", "gemini")),
                        ProviderSettings(ProviderConfig("custom", "openai", refused,
                                                        key_required=False)))).save()

    async def providers_page(name: str) -> None:
        w.open_settings("providers")
        dialog = w.settings_dialog
        dialog.move(60, 40)
        page = dialog.providers
        page.select("custom")
        page.test_button.click()
        while page.busy():
            await pause(0.05)
        await pause(0.5)
        save(dialog, out / name)

    async def prices_page(name: str) -> None:
        dialog = w.settings_dialog
        dialog.show_page("prices")
        prices = dialog.prices
        if prices.price_of("openai:gpt-4o-mini") == w.session.preferences.default_prices().get("openai:gpt-4o-mini"):
            prices.set_price("openai:gpt-4o-mini", 0.2, 0.7)  # changed: "you (changed)", Reset
            prices.set_price("acme:house-model", 0.5, 1.5)  # added: "you (added)", Remove
        prices.table.scrollToItem(prices.table.item(prices.row_of("openai:gpt-4o-mini"), 0))
        await pause(0.4)
        save(dialog, out / name)

    def open_editor(rule_id: str) -> object:
        w.open_router_editor()
        editor = w.router_editor
        editor.move(20, 20)
        editor.resize(1360, 840)
        editor.open_router("Specialists")
        editor.rules.select(next(i for i, r in enumerate(editor.draft.rules) if r["id"] == rule_id))
        return editor

    w = await open_window()
    await providers_page("27-settings-test-connection.png")
    await prices_page("28-settings-prices.png")
    w.settings_dialog.close()
    editor = open_editor("code")  # the same icons and boxes in the light palette
    await pause(0.6)
    save(editor, out / "29-router-editor-light.png")
    editor.close()
    await close_window(w)

    app.setPalette(desktop_dark())
    try:
        w = await open_window()
        await providers_page("30-settings-test-connection-dark.png")
        await prices_page("31-settings-prices-dark.png")
        dialog = w.settings_dialog
        for index, page in enumerate(("local", "chats", "privacy", "api")):
            dialog.show_page(page)
            await pause(0.4)
            save(dialog, out / f"{32 + index}-settings-{page}-dark.png")
        dialog.close()

        editor = open_editor("writing")
        editor.test_panel.message.setPlainText("Could you help me polish this cover letter?")
        while editor.test_panel.is_pending() or editor.test_panel.is_asking():
            await pause(0.05)
        await pause(0.8)
        save(editor, out / "36-router-editor-dark-plain-english.png")
        editor.rules.select(next(i for i, r in enumerate(editor.draft.rules) if r["id"] == "code"))
        await pause(0.5)
        save(editor, out / "37-router-editor-dark-keywords.png")
        editor.settings_button.click()  # the router's own settings
        editor.pages.currentWidget().verticalScrollBar().setValue(10_000)
        await pause(0.5)
        save(editor, out / "38-router-editor-dark-classifier-settings.png")
        editor.routers.new_menu.actions()[0].trigger()  # "Blank router": saved as "New router"
        editor.settings_form.name.setFocus()
        editor.settings_form.name.selectAll()
        for key in "Travel plans":  # typed, not yet saved: the list follows it
            editor.settings_form.name.insert(key)
            editor.settings_form.name.textEdited.emit(editor.settings_form.name.text())
        await pause(0.5)
        save(editor, out / "39-router-editor-dark-new-name.png")
        editor.revert()  # nothing unsaved: closing asks nothing
        editor.close()
        await close_window(w)
    finally:
        app.setPalette(light)


# ---- Model manager scenes (issue 23): Discover with the size and memory columns and wrapped

async def models_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from app.core.models.hub import Hub, RemoteFile
    from tests.support.hub_server import HubRepo, HubServer

    bundled = Path(__file__).resolve().parents[1] / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not bundled.is_file():  # run from /tmp/scenes: the repository is the working directory
        bundled = Path.cwd() / "resources" / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    repos = [HubRepo("acme/SmolLM2-135M-Instruct-GGUF", downloads=48210, likes=57,
                     files={"SmolLM2-135M-Instruct.Q4_1.gguf": bundled,
                            "SmolLM2-135M-Instruct.Q8_0.gguf": bundled,
                            "SmolLM2-135M-Instruct.F16.gguf": bundled}),
             HubRepo("acme/Tiny-Coder-GGUF", downloads=9120, likes=12,
                     files={"tiny-coder.Q8_0.gguf": bundled})]
    with socket.socket() as s:  # a port nobody listens on: the hub "refuses"
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]

    with HubServer(repos) as hub:
        os.environ["HF_ENDPOINT"] = hub.url
        w = await open_window()
        assert w.session is not None
        w.open_models()
        manager = w.models_window
        manager.move(60, 40)
        manager.resize(1100, 720)
        discover = manager.discover
        manager.tabs.setCurrentWidget(discover)

        # 1. Search, pick a repository: each file with its size and the memory it needs.
        discover.search_field.setText("smollm2")
        discover.search()
        while discover.searching:
            await asyncio.sleep(0.05)
        discover.results_table.selectRow(0)
        while not discover.memory():
            await asyncio.sleep(0.05)
        discover.files_table.selectRow(0)
        while discover.fit is None:
            await asyncio.sleep(0.05)
        await pause(0.6)
        save(manager, out / "models-1-discover.png")

        # 2. The hub refuses; a pasted URL searches and lists at once: one error, its cause.
        w.session.models.hub = Hub(f"http://127.0.0.1:{closed}")
        discover.search_field.setText("https://huggingface.co/acme/SmolLM2-135M-Instruct-GGUF")
        discover.search()
        while discover.searching or discover._runner.busy("files"):
            await asyncio.sleep(0.05)
        await pause(0.4)
        save(manager, out / "models-2-discover-refused.png")

        # 3. The Library: the context chats use, the model's maximum beside it.
        manager.tabs.setCurrentWidget(manager.library)
        await pause(0.4)
        save(manager, out / "models-3-library.png")

        # 4. Downloads: two that cannot start (refused); the newest's error alone is shown.
        w.session.models.downloads._hub.file_url = (  # the downloads keep the hub they began with
            lambda repo, name, revision="main": f"http://127.0.0.1:{closed}/{name}")
        for name in ("first.Q4_0.gguf", "second.Q4_0.gguf"):
            job = w.session.models.download(RemoteFile("acme/Tiny-GGUF", name, 1_000_000, None, "Q4_0"))
            while job.state != "failed":
                await asyncio.sleep(0.05)
        manager.tabs.setCurrentWidget(manager.downloads)
        await pause(0.5)
        save(manager, out / "models-4-downloads-error.png")

        # 5. Discover in the dark palette, with the recommended notes wrapped.
        app = QApplication.instance()
        light = app.palette()
        app.setPalette(dark_palette())
        w.session.models.hub = Hub(hub.url)
        manager.tabs.setCurrentWidget(discover)
        discover.open_repo("acme/SmolLM2-135M-Instruct-GGUF")
        while not discover.memory():
            await asyncio.sleep(0.05)
        manager.resize(900, 640)
        await pause(0.6)
        save(manager, out / "models-5-discover-dark-narrow.png")
        app.setPalette(light)
        manager.close()
        await close_window(w)


async def first_hour_all(out: Path) -> None:
    for scenes in (first_hour_scenes, versions_scenes, math_scenes, editor_scenes, models_scenes):
        await scenes(out)
