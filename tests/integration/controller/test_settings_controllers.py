"""Provider setup, preferences and usage over a real session: loopback servers, the
in-memory keyring, the settings file and the store on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.controller.usage import local_share, usage_csv, usage_lines
from app.core.providers.config import ProviderConfig
from app.core.providers.local_settings import LocalModelSettings
from app.core.settings import ProviderSettings, settings_path
from tests.support.sse_server import SSEServer, json_reply

SENTINEL = "sk-sentinel-0123456789"


def models_server():
    def answer(request):
        if request.headers.get("authorization") != f"Bearer {SENTINEL}":
            return json_reply({"error": {"message": "invalid key"}}, 401)
        return json_reply({"data": [{"id": "m1"}, {"id": "m2", "context_length": 12_000}]})
    return SSEServer(answer)


async def test_a_provider_is_saved_with_its_key_in_the_keyring_only(session):
    setup = session.provider_setup
    with models_server() as server:
        config = ProviderConfig("mine", "openai", server.url + "/v1", default_model="m2")
        listed = await setup.list_models(config, SENTINEL)
        assert listed.health.ok and listed.models == ("m1", "m2")
        # The window the list reported is what routing and fitting use from now on.
        assert session.facts.window("mine:m2").tokens == 12_000
        assert session.facts.window("mine:m1").source == "assumed"
        assert not (await setup.test(config, "wrong")).ok
        saved = await setup.save(ProviderSettings(config, ("m1", "m2")), key=SENTINEL)
    assert saved.provider_id == "mine" and saved.warning is None
    assert session.test_keyring.items[("switchboard", "mine")] == SENTINEL
    assert setup.has_key("mine")
    assert [p.id for p in session.settings.providers] == ["mine"]
    assert SENTINEL not in settings_path().read_text()
    # A provider now exists, but new chats keep their router until the user takes the offer.
    assert session.default_router_name() == "Local only"
    assert session.router_offer.pending() == "Save money"
    assert session.router_offer.accept() == "Save money"
    assert session.default_router_name() == "Save money"
    assert session.registry.get("mine").id == "mine"


async def test_renaming_and_removing_move_and_forget_the_key(session):
    setup = session.provider_setup
    config = ProviderConfig("a", "openai", "http://127.0.0.1:9/v1")
    await setup.save(ProviderSettings(config), key=SENTINEL)
    await setup.save(ProviderSettings(ProviderConfig("b", "openai", config.base_url)), key=SENTINEL, replacing="a")
    assert [p.id for p in session.settings.providers] == ["b"]
    assert ("switchboard", "a") not in session.test_keyring.items
    assert (await setup.remove("b")).warning is None
    assert session.settings.providers == () and not session.test_keyring.items


async def test_local_settings_and_prices_are_saved_and_used(session):
    prefs = session.preferences
    await prefs.save_local(LocalModelSettings(n_ctx=2048, n_threads=1, n_batch=256, n_gpu_layers=0),
                           prefs.default_local_model)
    saved = json.loads(settings_path().read_text())
    assert saved["local"]["n_ctx"] == 2048 and session.settings.local.n_threads == 1
    prefs.save_prices({"openai:gpt-4o": {"input": 1.0, "output": 2.0}})
    assert session.pricing.cost("openai:gpt-4o", 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert session.chat.pricing is session.pricing
    with pytest.raises(Exception, match="nocolon"):
        prefs.save_prices({"nocolon": {"input": 1.0, "output": 2.0}})
    assert session.settings.pricing_overrides == {"openai:gpt-4o": {"input": 1.0, "output": 2.0}}


async def test_usage_by_day_local_share_and_csv_match_a_hand_count(session):
    store = session.store
    cid = store.create_conversation(router="Save money")
    rows = [("openai:gpt-4o", "chat", 1000, 500, 0.0075), ("local:SmolLM2-135M-Instruct", "chat", 300, 100, 0.0),
            ("local:SmolLM2-135M-Instruct", "chat", 200, 50, 0.0), ("local:SmolLM2-135M-Instruct", "classifier", 80, 1, 0.0)]
    for target, kind, tokens_in, tokens_out, cost in rows:
        store.add_usage(conversation_id=cid, message_id=None, target=target, kind=kind,
                        tokens_in=tokens_in, tokens_out=tokens_out, cost=cost, estimated=False)
    old = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    store.add_usage(conversation_id=cid, message_id=None, target="openai:gpt-4o", kind="chat",
                    tokens_in=10, tokens_out=10, cost=1.0, estimated=False)
    store._conn.execute("UPDATE usage SET created_at = ? WHERE id = (SELECT MAX(id) FROM usage)", (old,))

    since = datetime.now(UTC) - timedelta(days=30)
    report, lines = session.usage(since)
    assert report.messages == 3 and report.tokens_in == 1500 and report.tokens_out == 650
    assert report.cost == pytest.approx(0.0075)
    assert report.classifier_tokens_in == 80
    assert local_share(lines) == pytest.approx(2 / 3)
    cloud = next(line for line in lines if line.provider == "openai")
    assert (cloud.calls, cloud.tokens_in, cloud.cost) == (1, 1000, pytest.approx(0.0075))
    all_time = usage_lines(store)
    assert sum(line.calls for line in all_time if line.kind == "chat") == 4
    csv_text = usage_csv(lines)
    assert csv_text.splitlines()[0] == "day,provider,model,kind,calls,tokens_in,tokens_out,cost_usd"
    assert len(csv_text.splitlines()) == 1 + len(lines)
