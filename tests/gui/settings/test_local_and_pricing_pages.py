"""Settings pages: how local models run (and offline mode), and prices."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QLayout, QToolButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.core.models.library import LocalModel
from app.core.pricing import Price, PricingError
from app.core.providers.local_settings import LocalModelSettings
from app.core.settings import SettingsError, settings_path
from app.ui.settings.local_models_page import GPU_BUILD_HINT, LocalModelsPage
from app.ui.settings.pricing_page import COL_INPUT, COL_SOURCE, COL_TARGET, HEADERS, PricingPage
from tests.gui.conftest import until

TARGET = "openai:gpt-4o"


Show = Callable[[QWidget], None]


@pytest.fixture
def show(qtbot: QtBot) -> Iterator[Show]:
    """Show a page in a host whose layout passes no size constraints on (the offscreen
    platform warns on each change of a window's constraints). The hosts stay referenced
    here until the test ends, or Python would delete them with their pages."""
    hosts: list[QWidget] = []

    def host(page: QWidget) -> None:
        window = QWidget()
        qtbot.addWidget(window)
        layout = QVBoxLayout(window)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(page)
        window.resize(720, 560)
        window.show()
        qtbot.waitExposed(window)
        hosts.append(window)

    yield host


def pretend_installed(session: Any, names: list[str]) -> None:
    """The session's one list of installed models holds ``names`` (files need not exist:
    the page only shows names)."""
    session.installed._scan = lambda: [LocalModel(n, Path(f"{n}.gguf"), False) for n in names]
    session.installed.refresh()


def settings_file() -> dict[str, Any]:
    """settings.json as written, under this test's $SWITCHBOARD_HOME."""
    path = settings_path()
    assert path.is_relative_to(os.environ["SWITCHBOARD_HOME"])
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# ---- local models ------------------------------------------------------------------------


def local_page(show: Show, session: Any,
               calls: list[bool] | None = None) -> LocalModelsPage:
    def set_offline(value: bool) -> None:
        if calls is not None:
            calls.append(value)
        session.set_offline(value)

    page = LocalModelsPage(session.preferences, lambda: session.settings.offline, set_offline)
    show(page)
    return page


async def test_local_page_shows_current_values(qtbot: QtBot, show: Show, session: Any) -> None:
    pretend_installed(session, ["alpha", "beta"])
    await session.preferences.save_local(
        LocalModelSettings(n_ctx=8192, n_threads=3, n_batch=256, n_gpu_layers=0), "beta")
    page = local_page(show, session)
    assert page.model.currentData() == "beta"
    assert [page.model.itemData(i) for i in range(page.model.count())] == ["alpha", "beta"]
    assert page.threads.value() == 3
    assert page.context.value() == 8192
    assert page.batch.value() == 256
    assert page.gpu_layers.value() == 0
    assert page.offline.isChecked() is False
    assert not page.save_button.isEnabled() and not page.revert_button.isEnabled()
    assert "next reply" in page.note.text()
    for widget in (page.model, page.threads, page.context, page.batch, page.gpu_layers,
                   page.offline, page.save_button, page.revert_button):
        assert widget.accessibleName() and widget.toolTip()


async def test_default_model_not_installed_is_still_shown(qtbot: QtBot, show: Show,
                                                          session: Any) -> None:
    pretend_installed(session, ["alpha"])
    page = local_page(show, session)
    assert page.model.currentData() == session.settings.default_local_model
    assert "not installed" in page.model.currentText()


async def test_save_local_settings_updates_session_and_file(qtbot: QtBot, show: Show,
                                                            session: Any) -> None:
    pretend_installed(session, ["alpha", "beta"])
    page = local_page(show, session)
    page.model.setCurrentIndex(page.model.findData("beta"))
    page.threads.setValue(6)
    page.context.setValue(16384)
    page.batch.setValue(1024)
    assert page.save_button.isEnabled()
    changed: list[bool] = []
    page.sig_changed.connect(lambda: changed.append(True))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: changed, what="the local settings to be saved")
    assert session.settings.local == LocalModelSettings(n_ctx=16384, n_threads=6, n_batch=1024,
                                                        n_gpu_layers=0)
    assert session.settings.default_local_model == "beta"
    saved = settings_file()["local"]
    assert saved == {"n_ctx": 16384, "n_threads": 6, "n_batch": 1024, "n_gpu_layers": 0,
                     "default_model": "beta"}
    assert not page.save_button.isEnabled()
    assert page.status.text() == "Saved."


async def test_automatic_threads_saves_none(qtbot: QtBot, show: Show, session: Any) -> None:
    await session.preferences.save_local(LocalModelSettings(n_threads=4),
                                         session.settings.default_local_model)
    page = local_page(show, session)
    assert page.threads.value() == 4
    page.threads.setValue(page.threads.minimum())
    automatic = session.preferences.default_threads()
    assert page.threads.text() == f"Automatic ({automatic})"
    page.save()
    await until(lambda: session.settings.local.n_threads is None, what="threads saved as None")
    assert settings_file()["local"]["n_threads"] is None


async def test_revert_drops_edits(qtbot: QtBot, show: Show, session: Any) -> None:
    page = local_page(show, session)
    before = page.context.value()
    page.context.setValue(before + 256)
    assert page.revert_button.isEnabled()
    qtbot.mouseClick(page.revert_button, Qt.MouseButton.LeftButton)
    assert page.context.value() == before
    assert not page.save_button.isEnabled()


async def test_gpu_layers_follow_the_build(qtbot: QtBot, show: Show, session: Any) -> None:
    supported = session.preferences.gpu_offload_supported()
    page = local_page(show, session)
    assert page.gpu_support.text() == (
        f"GPU offload supported by this build: {'yes' if supported else 'no'}")
    assert page.gpu_layers.isEnabled() is supported
    if not supported:  # this build is CPU-only
        assert "CMAKE_ARGS" in page.gpu_layers.toolTip() and "-DGGML_CUDA=on" in GPU_BUILD_HINT


async def test_gpu_layers_all_saves_minus_one(qtbot: QtBot, show: Show, session: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session.preferences, "gpu_offload_supported", lambda: True)
    page = local_page(show, session)
    assert page.gpu_layers.isEnabled()
    assert "yes" in page.gpu_support.text()
    page.gpu_layers.setValue(-1)
    assert page.gpu_layers.text() == "All"
    page.save()
    await until(lambda: session.settings.local.n_gpu_layers == -1, what="all GPU layers saved")
    assert settings_file()["local"]["n_gpu_layers"] == -1


async def test_offline_toggle_calls_set_offline_and_persists(qtbot: QtBot, show: Show,
                                                             session: Any) -> None:
    calls: list[bool] = []
    page = local_page(show, session, calls)
    assert page.offline.text() == "Offline: no message leaves this computer"
    before = session.settings.local
    page.offline.setChecked(True)
    page.save()
    await until(lambda: calls, what="set_offline")
    assert calls == [True]
    assert session.settings.offline is True
    assert settings_file()["offline"] is True
    assert session.settings.local == before
    page.offline.setChecked(False)
    page.save()
    await until(lambda: calls == [True, False], what="offline off again")
    assert settings_file()["offline"] is False


async def test_local_save_error_is_shown_inline(qtbot: QtBot, show: Show, session: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    async def fail(local: LocalModelSettings, model: str) -> None:
        raise SettingsError("Could not save settings to /nowhere: Permission denied")

    monkeypatch.setattr(session.preferences, "save_local", fail)
    page = local_page(show, session)
    page.context.setValue(page.context.value() + 256)
    page.save()
    await until(lambda: page.problem.isVisible(), what="the problem to show")
    assert "Permission denied" in page.problem.text()
    assert page.save_button.isEnabled()  # the edit is still there to retry


# ---- prices ------------------------------------------------------------------------------


def pricing_page(show: Show, session: Any) -> PricingPage:
    page = PricingPage(session.preferences)
    show(page)
    return page


def action_button(page: PricingPage, target: str) -> QToolButton:
    button = page.reset_button(target)
    assert button is not None, f"{target} has no reset button"
    return button


async def test_pricing_lists_every_known_target(qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    assert set(page.targets()) == set(session.preferences.prices)
    assert page.table.rowCount() == len(session.preferences.prices)
    assert not page.save_button.isEnabled()
    assert page.reset_button(TARGET) is None  # shipped prices have nothing to reset
    for widget in (page.filter, page.add_button, page.table, page.save_button, page.revert_button):
        assert widget.accessibleName() and widget.toolTip()


async def test_every_price_column_is_labelled_and_says_whose_price_it_is(
        qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    headers = [page.table.horizontalHeaderItem(c) for c in range(page.table.columnCount())]
    assert all(h is not None and h.text().strip() and h.toolTip() for h in headers), \
        [h.text() if h else None for h in headers]
    assert [h.text() for h in headers if h] == list(HEADERS)

    def source(target: str) -> str:
        item = page.table.item(page.row_of(target), COL_SOURCE)
        assert item is not None
        return item.text()

    assert source(TARGET) == "Switchboard"
    page.set_price(TARGET, 9.0, 9.0)
    assert source(TARGET) == "you (changed)"
    page.set_price("acme:brand-new", 1.0, 2.0)
    assert source("acme:brand-new") == "you (added)"
    assert action_button(page, "acme:brand-new").text() == "Remove"


async def test_edit_a_price_in_its_cell_and_save(qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    default = session.preferences.default_prices()[TARGET]
    cell = page.table.item(page.row_of(TARGET), COL_INPUT)
    assert cell is not None
    page.table.scrollToItem(cell)
    page.table.editItem(cell)
    editor = page.table.findChild(QDoubleSpinBox)
    assert editor is not None and TARGET in editor.accessibleName()
    assert editor.value() == pytest.approx(default.input_per_mtok)
    editor.setValue(4.0)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on its next turn
    await until(lambda: page.price_of(TARGET).input_per_mtok == 4.0,  # type: ignore[union-attr]
                what="the edited price to reach the page")
    assert cell.font().bold()
    assert action_button(page, TARGET).isEnabled()
    assert page.save_button.isEnabled()
    changed: list[bool] = []
    page.sig_changed.connect(lambda: changed.append(True))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert changed
    assert dict(session.settings.pricing_overrides) == {
        TARGET: {"input": 4.0, "output": default.output_per_mtok}}
    assert session.pricing.cost(TARGET, 1_000_000, 0) == pytest.approx(4.0)
    assert settings_file()["pricing_overrides"] == {
        TARGET: {"input": 4.0, "output": default.output_per_mtok}}
    assert not page.save_button.isEnabled()


async def test_reset_to_default_removes_the_override(qtbot: QtBot, show: Show,
                                                     session: Any) -> None:
    default = session.preferences.default_prices()[TARGET]
    session.preferences.save_prices({TARGET: {"input": 9.0, "output": 9.0}})
    page = pricing_page(show, session)
    row = page.row_of(TARGET)
    cell = page.table.item(row, COL_TARGET)
    assert cell is not None and cell.font().bold()
    assert page.price_of(TARGET) == Price(9.0, 9.0)
    button = action_button(page, TARGET)
    assert button.isEnabled() and button.text() == "Reset to default"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.price_of(TARGET) == default
    assert page.reset_button(TARGET) is None  # shipped prices have nothing to reset
    page.save()
    assert dict(session.settings.pricing_overrides) == {}
    assert settings_file()["pricing_overrides"] == {}
    assert session.pricing.cost(TARGET, 1_000_000, 0) == pytest.approx(default.input_per_mtok)


async def test_add_a_new_target(qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    new = "myproxy:llama-70b"
    assert page.row_of(new) == -1
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = page.add_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.target.setText(new)
    dialog.input_price.setValue(0.6)
    dialog.output_price.setValue(0.8)
    dialog.buttons.accepted.emit()
    assert not dialog.isVisible()
    assert page.row_of(new) >= 0
    assert action_button(page, new).text() == "Remove"
    page.save()
    assert dict(session.settings.pricing_overrides) == {new: {"input": 0.6, "output": 0.8}}
    assert session.pricing.cost(new, 1_000_000, 1_000_000) == pytest.approx(1.4)
    qtbot.mouseClick(action_button(page, new), Qt.MouseButton.LeftButton)  # "Remove"
    assert page.row_of(new) == -1
    page.save()
    assert dict(session.settings.pricing_overrides) == {}
    assert session.pricing.cost(new, 1_000_000, 0) is None


async def test_invalid_target_shows_the_error_and_saves_nothing(qtbot: QtBot, show: Show,
                                                                session: Any) -> None:
    page = pricing_page(show, session)
    before = page.targets()
    dialog = page.open_add_dialog()
    dialog.target.setText("nocolon")
    dialog.input_price.setValue(1.0)
    dialog.buttons.accepted.emit()
    assert dialog.isVisible()
    assert dialog.problem.isVisible() and "nocolon" in dialog.problem.text()
    assert "provider:model" in dialog.problem.text()
    dialog.reject()
    assert page.targets() == before
    assert not page.save_button.isEnabled()
    assert dict(session.settings.pricing_overrides) == {}
    assert not settings_path().exists() or settings_file()["pricing_overrides"] == {}


async def test_adding_a_listed_target_is_refused(qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    dialog = page.open_add_dialog()
    dialog.target.setText(TARGET)
    dialog.buttons.accepted.emit()
    assert dialog.isVisible() and "listed already" in dialog.problem.text()
    dialog.reject()


async def test_save_error_is_shown_inline(qtbot: QtBot, show: Show, session: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(overrides: object) -> None:
        raise PricingError('price override "x:y": input price must be zero or more, not -1.')

    monkeypatch.setattr(session.preferences, "save_prices", fail)
    page = pricing_page(show, session)
    page.set_price(TARGET, 1.0, 2.0)
    page.save()
    assert page.problem.isVisible() and '"x:y"' in page.problem.text()
    assert page.save_button.isEnabled()
    assert dict(session.settings.pricing_overrides) == {}


async def test_filter_finds_a_model(qtbot: QtBot, show: Show, session: Any) -> None:
    page = pricing_page(show, session)
    qtbot.keyClicks(page.filter, "GPT-4O-MINI")
    shown = [t for t in page.targets() if not page.table.isRowHidden(page.row_of(t))]
    assert shown and all("gpt-4o-mini" in t for t in shown)
    page.filter.clear()
    assert not any(page.table.isRowHidden(r) for r in range(page.table.rowCount()))
