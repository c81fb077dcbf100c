"""The settings that are not providers: how local models run, offline mode, prices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from app.controller.changes import Changes
from app.core.chat_settings import ContextPolicy
from app.core.pricing import Price, Pricing, parse_price
from app.core.providers.local_llama import LlamaBuild, gpu_offload_supported, llama_build
from app.core.providers.local_settings import LocalModelSettings, default_threads

if TYPE_CHECKING:
    from app.controller.session import Session


class Preferences:
    def __init__(self, session: Session) -> None:
        self._session = session

    # ---- local models ---------------------------------------------------------------

    @property
    def local(self) -> LocalModelSettings:
        return self._session.settings.local

    @property
    def default_local_model(self) -> str:
        return self._session.settings.default_local_model

    @property
    def local_models(self) -> list[str]:
        return list(self._session.local_models)

    @staticmethod
    def default_threads() -> int:
        return default_threads()

    @staticmethod
    def gpu_offload_supported() -> bool:
        return gpu_offload_supported()

    @staticmethod
    def llama_build() -> LlamaBuild:
        return llama_build()

    async def save_local(self, local: LocalModelSettings, default_model: str) -> None:
        """Save; the loaded model is unloaded so the next reply loads it with these settings.
        Publishes settings, and local_models when another model is chosen for chat."""
        before = self._session.settings
        chosen = default_model != before.default_local_model
        self._session.saved_settings.update(local=local, default_local_model=default_model,
                                            also=Changes(local_models=chosen))
        if local != before.local:
            await self._session.registry.local.unload()

    async def choose_chat_model(self, name: str) -> None:
        """Make ``name`` the model local chat uses ("Use for chat"); publishes local_models."""
        await self.save_local(self.local, name)

    def save_chat_defaults(self, policy: ContextPolicy, first_token_timeout_s: float,
                           reply_limit_tokens: int | None = None) -> None:
        """What chats do when they outgrow a model's window (those without their own
        policy), how long a cloud model may stay silent before its fallback answers, and
        the longest reply of a chat that sets none (None: as saved).
        Raises SettingsError when settings.json cannot be written (nothing changes then)."""
        limit = reply_limit_tokens or self._session.settings.reply_limit_tokens
        self._session.saved_settings.update(context_policy=policy, first_token_timeout_s=first_token_timeout_s,
                                            reply_limit_tokens=limit)
        self._session.chat.first_token_timeout_s = first_token_timeout_s
        self._session.chat.max_tokens = limit

    def set_offline(self, offline: bool) -> None:
        """Offline mode on or off (see ``Session.set_offline``)."""
        self._session.set_offline(offline)

    # ---- prices -----------------------------------------------------------------------

    @property
    def prices(self) -> Mapping[str, Price]:
        """Every known price: shipped defaults with the user's overrides applied."""
        return self._session.pricing.prices

    @staticmethod
    def default_prices() -> Mapping[str, Price]:
        return Pricing.load().prices

    @property
    def overrides(self) -> Mapping[str, Mapping[str, float]]:
        return self._session.settings.pricing_overrides

    def save_prices(self, overrides: Mapping[str, Mapping[str, float]]) -> None:
        """Save the user's prices ({"provider:model": {"input": …, "output": …}} per million
        tokens); raises PricingError naming a bad entry, SettingsError if unwritable."""
        checked = {target: _checked(target, entry) for target, entry in overrides.items()}
        Pricing.load(checked)  # a wrong entry raises here, before anything is saved
        self._session.saved_settings.update(pricing_overrides=checked)
        self._session.pricing.set_overrides(checked)  # the one Pricing everyone reads


def _checked(target: str, entry: Mapping[str, float]) -> dict[str, float]:
    price = parse_price(target, dict(entry))
    return {"input": price.input_per_mtok, "output": price.output_per_mtok}
