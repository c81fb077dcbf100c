"""One conversation as Markdown and JSON (app/controller/export.py), on a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from app.controller.conversations import Conversations
from app.controller.export import (
    ExportError,
    conversation_markdown,
    export_conversation,
    suggested_file_name,
)
from app.core.chat_settings import ChatSettings, ContextPolicy
from app.core.router.trace import TraceEntry
from app.core.store import Store, default_db_path

LOCAL = "local:SmolLM2-135M-Instruct"


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(default_db_path()) as opened:
        yield opened


@pytest.fixture
def chat(store: Store) -> int:
    cid = store.create_conversation("Mail to Bob")
    store.add_message(cid, "user", "write to bob@example.com",
                      attachments=[{"kind": "image", "mime": "image/png", "bytes": 12_300}])
    reply = store.add_message(cid, "assistant", "Dear Bob,", target=LOCAL, rule="private",
                              trace=[TraceEntry("private", True, "email address found",
                                                label="Private data stays local")],
                              reason="email address found")
    store.update_message(reply, tokens_in=12, tokens_out=3)
    failed = store.add_message(cid, "assistant", "", status="failed", target="openai:gpt-4o")
    store.update_message(failed, error="no API key for openai")
    return cid


def test_markdown_names_who_spoke_and_which_model_answered(store: Store, chat: int) -> None:
    text = export_conversation(Conversations(store), chat, "md")
    assert text == "\n".join([
        "# Mail to Bob", "",
        "**You:**", "", "*[image/png, 12.3 kB]*", "write to bob@example.com", "",
        f"**Assistant ({LOCAL} · rule “Private data stays local”: email address found):**", "", "Dear Bob,", "",
        "**Assistant (openai:gpt-4o · not answered) [failed]:**", "",
        "*no API key for openai*", "",
    ])


def test_the_window_words_the_route_its_own_way(store: Store, chat: int) -> None:
    row = store.conversation(chat)
    assert row is not None
    text = conversation_markdown(row, store.messages(chat), lambda m: f"via {m.target}")
    assert f"**Assistant (via {LOCAL}):**" in text


def test_json_keeps_every_field_and_the_trace(store: Store, chat: int) -> None:
    document = json.loads(export_conversation(Conversations(store), chat, "json"))
    assert document["schema"] == 1
    assert document["conversation"]["id"] == chat
    assert document["conversation"]["title"] == "Mail to Bob"
    user, reply, failed = document["messages"]
    assert user["role"] == "user" and user["attachments"][0]["bytes"] == 12_300
    assert (reply["target"], reply["rule"], reply["tokens_out"]) == (LOCAL, "private", 3)
    assert reply["trace"][0]["rule"] == "private" and reply["trace"][0]["matched"] is True
    assert reply["trace"][0]["detail"] == "email address found"
    assert (failed["status"], failed["error"]) == ("failed", "no API key for openai")
    assert user["trace"] is None


def test_a_missing_conversation_says_so(store: Store) -> None:
    with pytest.raises(ExportError, match="there is no conversation 42"):
        export_conversation(Conversations(store), 42, "md")


def test_file_names_come_from_the_title(store: Store) -> None:
    row = store.conversation(store.create_conversation('Plans: a/b "draft"'))
    assert row is not None
    assert suggested_file_name(row, "md") == "Plans a b draft.md"
    empty = store.conversation(store.create_conversation("///"))
    assert empty is not None
    assert suggested_file_name(empty, "json") == "Chat.json"


def test_the_chats_own_settings_are_exported_with_it(store: Store, chat: int) -> None:
    conversations = Conversations(store)
    conversations.set_chat_settings(chat, ChatSettings(system_prompt="Be brief.\nUse French.",
                                                       temperature=0.2, context_policy=ContextPolicy.SUMMARIZE))
    document = json.loads(export_conversation(conversations, chat, "json"))
    assert document["conversation"]["settings"] == {"system_prompt": "Be brief.\nUse French.",
                                                    "temperature": 0.2, "context_policy": "summarize"}
    text = export_conversation(conversations, chat, "md")
    assert "**Chat settings:**" in text and "  > Be brief.\n  > Use French." in text
    assert "- Temperature: 0.2" in text and "- Long chats: summarize" in text
    assert text.index("Chat settings") < text.index("**You:**")


def test_a_chat_without_settings_exports_none(store: Store, chat: int) -> None:
    assert "Chat settings" not in export_conversation(Conversations(store), chat, "md")
