"""The button offered beside an error: the controller names a fix, this gives it words."""

from __future__ import annotations

from app.core.providers.config import PRESETS


def provider_label(provider_id: str) -> str:
    preset = PRESETS.get(provider_id)
    return preset.label if preset is not None else provider_id


def action_for(fix: str | None) -> tuple[str, str] | None:
    """``("Add key for Anthropic…", "add_key:anthropic")`` for a controller's ``fix``."""
    if fix is None:
        return None
    kind, _, subject = fix.partition(":")
    if kind == "add_key":
        return f"Add key for {provider_label(subject)}…", fix
    if kind == "go_online":
        return "Go online", fix
    return None
