"""The first cloud provider brings a notice instead of a silent switch: new chats keep
"Local only" until the user picks "Use “Save money” for new chats"; "Keep Local only"
ends the offer; a set-up that already had providers keeps its own router."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.core.providers.config import config_from_preset
from app.core.router.library import LOCAL_ONLY
from app.core.settings import ProviderSettings, Settings
from tests.gui.conftest import until
from tests.support.window import Parts, opened

OPENAI = ProviderSettings(config_from_preset("openai"))


async def add_first_provider(p: Parts) -> None:
    assert p.session.router_offer.pending() is None
    assert not p.window.router_offer_notice.isVisible()
    await p.session.provider_setup.save(OPENAI)
    await until(lambda: p.window.router_offer_notice.isVisible(), 5, "the notice")


async def test_the_first_provider_brings_a_notice_and_changes_nothing_yet(
        qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        assert p.chat.router_name() == LOCAL_ONLY
        await add_first_provider(p)
        notice = p.window.router_offer_notice
        assert notice.use_button.text() == "Use “Save money” for new chats"
        assert notice.keep_button.text() == "Keep Local only"
        assert "New chats still use “Local only”" in notice.label.text()
        assert "pick another router above to use your cloud models" in p.chat.empty_state.intro.text()
        assert p.session.default_router_name() == LOCAL_ONLY  # until the user answers
        p.window.new_chat()
        assert p.chat.router_name() == LOCAL_ONLY


async def test_using_the_offered_router_applies_to_new_chats(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        await add_first_provider(p)
        QTest.mouseClick(p.window.router_offer_notice.use_button, Qt.MouseButton.LeftButton)
        await until(lambda: not p.window.router_offer_notice.isVisible(), 5, "the notice to go")
        assert p.session.default_router_name() == "Save money"
        assert p.chat.router_name() == "Save money"  # the new chat on screen
        p.window.new_chat()
        assert p.chat.router_name() == "Save money"
        assert Settings.load().router_offer is None
        assert p.window.status.currentMessage().startswith("New chats use “Save money”")


async def test_keeping_local_only_ends_the_offer_for_good(qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        await add_first_provider(p)
        QTest.mouseClick(p.window.router_offer_notice.keep_button, Qt.MouseButton.LeftButton)
        await until(lambda: not p.window.router_offer_notice.isVisible(), 5, "the notice to go")
        assert p.session.default_router_name() == LOCAL_ONLY
        saved = Settings.load()
        assert (saved.default_router, saved.router_offer) == (LOCAL_ONLY, None)
    async with opened(qtbot) as again:  # the next start: no notice
        assert not again.window.router_offer_notice.isVisible()
        assert again.chat.router_name() == LOCAL_ONLY


async def test_an_existing_set_up_keeps_its_router_and_sees_no_notice(
        qtbot: QtBot, memory_keyring: object) -> None:
    Settings(providers=(OPENAI,), default_router="Save money").save()
    async with opened(qtbot) as p:
        assert p.chat.router_name() == "Save money"
        await p.session.provider_setup.save(ProviderSettings(config_from_preset("groq")))
        assert not p.window.router_offer_notice.isVisible()
        assert p.session.default_router_name() == "Save money"


async def test_an_unanswered_offer_is_shown_again_at_the_next_start(
        qtbot: QtBot, memory_keyring: object) -> None:
    async with opened(qtbot) as p:
        await add_first_provider(p)
    async with opened(qtbot) as again:
        assert again.window.router_offer_notice.isVisible()
