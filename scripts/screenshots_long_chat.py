"""Screenshots of a 10,000-message chat and a reply streaming into it (issue 24).

The chat mixes what the view must keep right while it recycles widgets: code blocks,
lists, replies that failed, images attached, replies with a second version. The view is
dragged across the chat first, so what shows is drawn by widgets lent from elsewhere;
then a long reply streams at the bottom, shot mid-stream, in light and dark.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from screenshots import close_window, dark_palette, open_window, pause, save, until_idle

LOCAL = "local:SmolLM2-135M-Instruct"
CODE = "Use a set for the lookups:\n\n```python\nseen = set()\nfor item in items:\n    seen.add(item)\n```\n"
LIST = "Three things to check:\n\n- the soil, each week\n- the **water** level\n- the light in the afternoon\n"


def _seed(session: Any, count: int) -> int:
    store = session.store
    cid = store.create_conversation(f"A long chat ({count:,} messages)")
    for i in range(count):
        if i % 2 == 0:
            attachments = [{"mime": "image/png", "bytes": 48_213}] if i % 14 == 0 else None
            store.add_message(cid, "user", f"Question {i // 2 + 1}: what about step {i}?",
                              attachments=attachments)
            continue
        text = CODE if i % 6 == 1 else LIST if i % 6 == 3 else f"Answer {i // 2 + 1}: it depends on the light."
        mid = store.add_message(cid, "assistant", text, target=LOCAL,
                                status="failed" if i % 10 == 9 else "complete")
        if i % 10 == 9:
            store.update_message(mid, error="The local model stopped: it ran out of memory.")
    return cid


async def long_chat_scenes(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    w = await open_window()
    cid = _seed(w.session, 10_000)
    w.sidebar.refresh(select=cid)
    w.chat.open_conversation(cid)
    await pause()
    bar = w.chat.messages.verticalScrollBar()
    for place in (0, 13, 5, 17, 9):  # the thumb dragged about: widgets are lent and refilled
        bar.setValue(bar.maximum() * place // 19)
        for _ in range(6):
            bar.setValue(bar.value() - 120)
            await asyncio.sleep(0.016)
    await pause()
    save(w, out / "40-long-chat-10000-middle.png")
    w.chat.messages.follow()
    w.session.chat.max_tokens = 400
    w.chat.send("Write a long story about a lighthouse keeper, in several paragraphs.", [])
    reply = w.chat._streaming
    app = QApplication.instance()
    for suffix, palette in (("", None), ("-dark", dark_palette())):
        if palette is not None:
            app.setPalette(palette)
        start = len(reply.text()) if reply is not None else 0
        while reply is not None and w.chat.is_busy() and len(reply.text()) < start + 300:
            await asyncio.sleep(0.02)
        save(w, out / f"41-long-chat-streaming{suffix}.png")
    await until_idle(w)
    app.setPalette(app.style().standardPalette())
    await close_window(w)
