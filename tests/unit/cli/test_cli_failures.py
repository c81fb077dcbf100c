"""A command whose work fails says so in one line, in the same words as the window."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.__main__ import EXIT_FAILED, main
from app.core.settings import Settings, SettingsError


def test_a_worded_failure_is_one_line_and_status_1(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Settings, path: Path | None = None) -> None:
        raise SettingsError("Could not save settings to /x/settings.json: No space left on device")

    monkeypatch.setattr(Settings, "save", refuse)
    assert main(["providers", "add", "openai"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err == "error: Could not save settings to /x/settings.json: No space left on device\n"


def test_a_bug_keeps_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Settings, path: Path | None = None) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Settings, "save", broken)
    with pytest.raises(ZeroDivisionError):
        main(["providers", "add", "openai"])
