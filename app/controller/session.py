"""The running app's parts, wired together once: what both faces (window, CLI) open.

Settings, the store, keys, prices, providers and the chat controller; everything that
must be read off the event loop (keys from the keyring) is read in ``open``.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.controller.availability import Availabilities, TargetHealth
from app.controller.changes import ChangeHub
from app.controller.chat import ChatController
from app.controller.conversation_fit import ConversationFitter
from app.controller.conversations import Conversations
from app.controller.default_router import RouterOffer
from app.controller.egress import EgressGate
from app.controller.local_models import LocalModels
from app.controller.message_counts import MessageCounts
from app.controller.preferences import Preferences
from app.controller.provider_setup import ProviderSetup
from app.controller.router_catalog import RouterCatalog
from app.controller.routing import RoutingService
from app.controller.saved_settings import SavedSettings
from app.controller.summaries import Summaries
from app.controller.target_facts import TargetFacts
from app.controller.usage import UsageSummary, usage_lines, usage_report
from app.core.file_modes import secure_data_folder
from app.core.model_catalog import ModelCatalog
from app.core.pricing import Pricing
from app.core.providers.local_llama import LocalLlamaProvider
from app.core.providers.local_settings import LOCAL
from app.core.providers.registry import ProviderRegistry
from app.core.router import Router, library
from app.core.router.fields import RouterFormatError
from app.core.secrets import SecretStore
from app.core.settings import Settings
from app.core.store import BUSY_TIMEOUT_S, WRITE_WAIT_S, Store, default_db_path, set_aside
from app.core.store import DatabaseDamaged as DatabaseDamaged  # what the window's start offers to fix

if TYPE_CHECKING:
    from app.controller.model_manager import ModelManager

HUB_TOKEN_ID = "huggingface"  # keyring entry of the optional Hugging Face token


class Session:
    def __init__(self, settings: Settings, store: Store, secrets: SecretStore) -> None:
        self.store = store
        self.secrets = secrets
        self.changes = ChangeHub()  # what operations changed; the window re-emits it as signals
        self.saved_settings = SavedSettings(settings, self.changes)  # the one writer
        # One Pricing object: the chat, usage and the prices page share it (set_overrides).
        catalog = ModelCatalog.load()
        self.pricing = Pricing.load(settings.pricing_overrides, catalog=catalog)
        # One list of installed models, which the provider and availability both read.
        self.installed = LocalModels(self.saved_settings, self.changes,
                                     load=lambda name: self.registry.local.load(name))
        local = LocalLlamaProvider(models=self.installed.models,
                                   settings_for=lambda name: self.settings.local)
        self.registry = ProviderRegistry(settings.provider_configs(), secrets.cached, local)
        self.availability = Availabilities(
            providers=lambda: self.settings.provider_configs(),
            local_models=self.installed.names,
            has_key=lambda provider_id: secrets.cached(provider_id) is not None,
            offline=lambda: self.settings.offline,
            health=TargetHealth(),
        )
        self.gate = EgressGate(self.registry, store)  # the only way to a remote provider
        # What each target can hold and see: the local model's settings and file, the
        # shipped catalog, the user's overrides, what providers' model lists report.
        self.facts = TargetFacts(catalog, overrides=lambda: self.settings.model_overrides,
                                 local_settings=lambda name: self.settings.local,
                                 local_path=self._local_path)
        self.routing = RoutingService(store, self.gate, self.pricing, self.availability,
                                      facts=self.facts, default_policy=lambda: self.settings.context_policy)
        counts = MessageCounts(local)
        fitter = ConversationFitter(self.facts, counts, Summaries(store, local, counts),
                                    default_policy=lambda: self.settings.context_policy,
                                    summarizer=self._summarizer)
        self.chat = ChatController(store, self.registry, self.pricing, self.availability,
                                   warm_key=secrets.get, routing=self.routing, gate=self.gate,
                                   lock_new_chats=lambda: self.settings.lock_new_chats,
                                   publish=self.changes.publish, fitter=fitter,
                                   first_token_timeout_s=settings.first_token_timeout_s,
                                   max_tokens=settings.reply_limit_tokens)
        self.conversations = Conversations(store, self.changes)
        self.provider_setup = ProviderSetup(self)
        self.preferences = Preferences(self)

    @classmethod
    async def open(cls, *, offline: bool | None = None, primary: bool = True) -> Session:
        """``primary``: the window, whose writes run on its event loop and so wait for
        another program's lock no longer than the busy timeout (the message it could not
        store stays in the composer); a CLI run (False) can wait longer.

        Any of them marks replies that a process which has ended left streaming as
        incomplete; a live process's reply is left alone (app.core.writer_locks)."""
        settings = Settings.load()
        if offline is not None:
            settings = replace(settings, offline=offline)
        secrets = await asyncio.to_thread(SecretStore)  # probes D-Bus: not on the loop
        # Keyring reads, off the loop: every provider's key, and the model hub's token.
        await secrets.warm([*(p.id for p in settings.providers), HUB_TOKEN_ID])
        store = Store(default_db_path(), write_wait_s=BUSY_TIMEOUT_S if primary else WRITE_WAIT_S)
        secure_data_folder()  # files from before this check may be readable by others
        return cls(settings, store, secrets)

    @staticmethod
    def set_aside_database() -> Path:
        """Move the (damaged) database aside, unchanged, so that the next ``open`` starts
        a new one; returns where it went (OSError when it cannot be moved)."""
        return set_aside(default_db_path())

    def _local_path(self, name: str) -> Path | None:
        return next((m.path for m in self.installed.models() if m.name == name), None)

    def _summarizer(self) -> str | None:
        """The local model that writes the summarize policy's summaries for a chat a
        remote model answers: the default local model, else any installed one."""
        names = self.installed.names()
        name = self.settings.default_local_model if self.settings.default_local_model in names \
            else next(iter(names), None)
        return f"{LOCAL}:{name}" if name else None

    def router(self, spec: str | None = None) -> Router:
        return self.routers.find(spec or self.default_router_name())

    @functools.cached_property
    def models(self) -> ModelManager:
        """Built on first use: the hub client is not needed to chat."""
        from app.controller.model_manager import ModelManager
        from app.core.models.hub import Hub

        return ModelManager(self.installed, self.saved_settings,
                            Hub(token=self.secrets.cached(HUB_TOKEN_ID)))

    def default_router_name(self) -> str:
        """The settings' default, except on a set-up with no provider at all that never
        chose one: then every rule would only fall back to the local model, so say so and
        route "Local only"."""
        if not self.settings.providers and self.settings.default_router == library.DEFAULT_ROUTER:
            return library.LOCAL_ONLY
        return self.settings.default_router

    @functools.cached_property
    def router_offer(self) -> RouterOffer:
        """The cloud-aware router offered for new chats once the first provider is added."""
        return RouterOffer(self.saved_settings)

    @functools.cached_property
    def routers(self) -> RouterCatalog:
        return RouterCatalog(self)

    def router_names(self) -> list[str]:
        return self.routers.names()

    def usage(self, since: datetime | None = None) -> UsageSummary:
        """What was used and what it cost since ``since`` (all time when None)."""
        return UsageSummary(usage_report(self.store, self.pricing, self.router_or_none, since=since),
                            usage_lines(self.store, since))

    def router_or_none(self, name: str | None) -> Router | None:
        """The router, or None when its file is broken or gone (the caller has a fallback)."""
        try:
            return self.router(name)
        except RouterFormatError:
            return None

    @property
    def settings(self) -> Settings:
        """The current settings; changed only through ``saved_settings.update``."""
        return self.saved_settings.current

    @property
    def local_models(self) -> list[str]:
        """The names of the installed local models (``installed`` holds the list)."""
        return self.installed.names()

    def set_offline(self, offline: bool) -> None:
        """Offline mode: no message leaves this computer. Saved for the next start; when
        it cannot be saved it still holds for this session (SettingsError says so)."""
        self.saved_settings.update(offline=offline, keep_if_unsaved=True)

    def provider_needs_setup(self, provider_id: str) -> bool:
        return provider_id not in {p.id for p in self.settings.providers}

    def recall(self, name: str) -> object:
        """A remembered bit of app state (window geometry, last chat), or None."""
        return self.store.get_setting(f"state.{name}")

    def remember(self, name: str, value: object) -> None:
        self.store.set_setting(f"state.{name}", value)

    async def aclose(self) -> None:
        if "models" in self.__dict__:  # a running download stops and keeps its part
            await self.models.downloads.aclose()
        await self.registry.aclose()
        self.store.close()
