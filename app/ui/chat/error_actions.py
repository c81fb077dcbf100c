"""The button offered beside an error: the controller names a fix, this gives it words."""

from __future__ import annotations

from app.controller.fixes import Fix, FixKind
from app.core.providers.config import PRESETS


def provider_label(provider_id: str) -> str:
    preset = PRESETS.get(provider_id)
    return preset.label if preset is not None else provider_id


def action_for(fix: Fix | None) -> tuple[str, Fix] | None:
    """``("Add key for Anthropic…", fix)``: the words of the button offering a fix."""
    if fix is None:
        return None
    provider = provider_label(fix.provider or "")
    if fix.kind is FixKind.ADD_KEY:
        return f"Add key for {provider}…", fix
    if fix.kind is FixKind.GO_ONLINE:
        return "Go online", fix
    if fix.kind is FixKind.SET_UP_PROVIDER:
        return f"Set up {provider}…", fix
    if fix.kind is FixKind.LOCAL_MODELS:
        return "Local models…", fix
    return None
