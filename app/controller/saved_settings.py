"""The one owner of the settings: every change is a replace, a save, then a notice.

Before this, six places replaced ``session.settings`` in two orders (some saved first,
some assigned first), so a failed save sometimes left memory and disk disagreeing. Here
the order is fixed: write settings.json, then keep the new value, then publish
``Changes(settings=True)`` plus whatever else the caller says changed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.controller.changes import NO_CHANGES, ChangeHub, Changes
from app.core.settings import Settings, SettingsError

__all__ = ["SavedSettings"]


class SavedSettings:
    def __init__(self, settings: Settings, changes: ChangeHub) -> None:
        self._current = settings
        self._changes = changes

    @property
    def current(self) -> Settings:
        return self._current

    def update(self, *, also: Changes = NO_CHANGES, keep_if_unsaved: bool = False,
               **values: Any) -> Settings:
        """Replace ``values`` (Settings field names), save, keep, publish; returns the new
        settings. Raises SettingsError when settings.json cannot be written, and then
        nothing changes, unless ``keep_if_unsaved``: a switch that must act at once
        (offline mode keeps messages on this computer) holds for this session anyway,
        and the error still says it was not saved."""
        settings = replace(self._current, **values)
        try:
            settings.save()
        except SettingsError:
            if keep_if_unsaved:
                self._keep(settings, also)
            raise
        self._keep(settings, also)
        return settings

    def _keep(self, settings: Settings, also: Changes) -> None:
        self._current = settings
        self._changes.publish(Changes(settings=True) | also)
