"""Importing and removing local models: only real GGUF files, never half a file."""

from __future__ import annotations

import pytest

from app.controller.model_library import LibraryError, import_model, library_entries, remove_model
from app.core.paths import models_dir


def test_the_bundled_model_is_listed_with_its_metadata(bundled_gguf):
    (entry,) = library_entries()
    assert entry.bundled and entry.name == "SmolLM2-135M-Instruct"
    assert entry.info is not None and entry.info.architecture == "llama"
    assert entry.size == bundled_gguf.stat().st_size and entry.problem is None


def test_each_entry_carries_the_context_chats_load_it_with():
    # The settings' length, lowered to the model's own 8,192 as loading lowers it.
    assert [e.chat_context for e in library_entries(4096)] == [4096]
    assert [e.chat_context for e in library_entries(100_000)] == [8192]
    assert [e.chat_context for e in library_entries()] == [None]


def test_import_copies_a_gguf_and_remove_deletes_it(bundled_gguf, tmp_path):
    copy = tmp_path / "Tiny-Copy.Q4_1.gguf"
    copy.write_bytes(bundled_gguf.read_bytes())
    entry = import_model(copy)
    assert entry.path == models_dir() / copy.name and entry.path.read_bytes() == copy.read_bytes()
    assert not list(models_dir().glob("*.part"))
    assert {e.name for e in library_entries()} == {"SmolLM2-135M-Instruct", "Tiny-Copy"}
    with pytest.raises(LibraryError, match="installed already"):
        import_model(copy)
    assert remove_model("Tiny-Copy") == entry.path and not entry.path.exists()


def test_a_file_that_is_not_a_model_is_refused_and_nothing_is_left(tmp_path):
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are not weights")
    with pytest.raises(LibraryError, match="cannot be used"):
        import_model(fake)
    assert not models_dir().exists() or not any(models_dir().iterdir())


def test_a_truncated_model_is_refused(bundled_gguf, tmp_path):
    cut = tmp_path / "Cut.gguf"
    cut.write_bytes(bundled_gguf.read_bytes()[: 5_000_000])
    with pytest.raises(LibraryError, match="Cut.gguf cannot be used"):
        import_model(cut)


def test_the_bundled_model_cannot_be_removed():
    with pytest.raises(LibraryError, match="ships with Switchboard"):
        remove_model("SmolLM2-135M-Instruct")
    with pytest.raises(LibraryError, match="no installed model"):
        remove_model("nope")


async def test_a_hub_token_in_the_keyring_reaches_the_hub_requests(monkeypatch, tmp_path):
    import keyring.core

    from app.controller.session import HUB_TOKEN_ID, Session
    from tests.unit.conftest import MemoryKeyring

    kr = MemoryKeyring()
    kr.priority = 5
    kr.items[("switchboard", HUB_TOKEN_ID)] = "hf_sentinel"
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)
    session = await Session.open()
    try:
        assert session.models.hub.token == "hf_sentinel"
        async with session.models._client() as client:
            assert client.headers["authorization"] == "Bearer hf_sentinel"
        assert "hf_sentinel" not in repr(session.models.hub)
    finally:
        await session.aclose()
