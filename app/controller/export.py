"""One conversation as a file: Markdown to read or share, JSON for other programs.

Both faces of the app write it here: the window's File → Export chat (Ctrl+Shift+E) and
``python -m app export --conversation ID --format md|json``, so the two files agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from app.controller.conversations import Conversations
from app.controller.route_words import Route, route_line
from app.core.byte_size import format_bytes
from app.core.chat_settings import ChatSettings
from app.core.router.trace import trace_to_json
from app.core.store import ConversationRow, MessageRow

Format = Literal["md", "json"]
FORMATS: tuple[Format, ...] = ("md", "json")
JSON_SCHEMA = 1  # bumped when a field changes meaning, so readers of old files can tell
RouteWords = Callable[[MessageRow], str]  # a reply's "which model, and why" in words


class ExportError(Exception):
    """Nothing to export; the message is for the user."""


def route_words(message: MessageRow) -> str:
    """``local:SmolLM2-135M-Instruct · rule “Private data stays local”: email address
    found``: the target and why, as ``ask`` says it (the window passes its badge's words)."""
    return route_line(Route.of_message(message))


def export_conversation(conversations: Conversations, cid: int, fmt: Format,
                        words: RouteWords = route_words) -> str:
    """Conversation ``cid`` as the text of a ``fmt`` file; ExportError if there is none."""
    conversation = conversations.get(cid)
    if conversation is None:
        raise ExportError(f"there is no conversation {cid}")
    messages = conversations.messages(cid)
    settings = conversations.chat_settings(cid)
    if fmt == "json":
        return conversation_json(conversation, messages, settings)
    return conversation_markdown(conversation, messages, words, settings)


def conversation_markdown(conversation: ConversationRow, messages: Sequence[MessageRow],
                          words: RouteWords = route_words, settings: ChatSettings | None = None) -> str:
    lines = [f"# {conversation.title}", ""]
    lines += _settings_lines(settings or ChatSettings())
    for message in messages:
        who = "You" if message.role == "user" else f"Assistant ({words(message)})"
        if message.versions > 1:  # the version chosen in the window; the others are not exported
            who += f", version {message.version} of {message.versions}"
        if message.status != "complete":
            who += f" [{message.status}]"  # stopped, failed or interrupted: not the whole answer
        lines += [f"**{who}:**", ""]
        lines += [f"*[{_attachment(a)}]*" for a in message.attachments]
        if message.content:
            lines.append(message.content)
        elif message.error:
            lines.append(f"*{message.error}*")
        lines.append("")
    return "\n".join(lines)


def _settings_lines(settings: ChatSettings) -> list[str]:
    """The chat's own settings under the title, so a reader knows what shaped the replies."""
    shown = settings.to_json()
    if not shown:
        return []
    names = {"system_prompt": "System prompt", "temperature": "Temperature", "top_p": "Top-p",
             "max_tokens": "Longest reply (tokens)", "context_policy": "Long chats", "target": "Model"}
    lines = ["**Chat settings:**", ""]
    for key, value in shown.items():
        if key == "system_prompt":
            lines += [f"- {names[key]}:", "", *(f"  > {line}" for line in str(value).splitlines()), ""]
        else:
            lines.append(f"- {names.get(key, key)}: {value}")
    return [*lines, ""]


def conversation_json(conversation: ConversationRow, messages: Sequence[MessageRow],
                      settings: ChatSettings | None = None) -> str:
    document = {
        "schema": JSON_SCHEMA,
        "conversation": {"id": conversation.id, "title": conversation.title,
                         "router": conversation.router,
                         "created_at": conversation.created_at.isoformat(),
                         "updated_at": conversation.updated_at.isoformat(),
                         "settings": (settings or ChatSettings()).to_json()},
        "messages": [_message_json(m) for m in messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _message_json(message: MessageRow) -> dict[str, Any]:
    return {
        "id": message.id, "role": message.role, "content": message.content,
        "status": message.status, "attachments": message.attachments,
        "target": message.target, "rule": message.rule, "reason": message.reason,
        "trace": None if message.trace is None else trace_to_json(message.trace),
        "tokens_in": message.tokens_in, "tokens_out": message.tokens_out, "cost": message.cost,
        "latency_ms": message.latency_ms, "ttft_ms": message.ttft_ms, "error": message.error,
        "version": message.version, "versions": message.versions,  # the chosen one of its versions
        "created_at": message.created_at.isoformat(),
    }


def _attachment(attachment: dict[str, Any]) -> str:
    kind = str(attachment.get("mime") or attachment.get("kind") or "file")
    size = attachment.get("bytes")
    return f"{kind}, {format_bytes(int(size))}" if isinstance(size, int) else kind


def suggested_file_name(conversation: ConversationRow, fmt: Format) -> str:
    """The title as a file name: path separators and control characters become spaces."""
    stem = " ".join(re.sub(r'[\x00-\x1f/\\:*?"<>|]', " ", conversation.title).split())
    return f"{stem or 'Chat'}.{fmt}"


def write_export(path: Path, text: str) -> None:
    """Write the file; OSError (a folder not writable, a full disk) is the caller's to word."""
    path.write_text(text, encoding="utf-8")
