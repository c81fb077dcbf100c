"""The Usage view: tiles, chart, table, period filter and CSV export over a real session's
database, checked against sums made by hand from the seeded rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QLayout, QToolTip, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.controller.usage import usage_csv
from app.ui.usage.bar_chart import EMPTY_TEXT, BarChart, format_value
from app.ui.usage.usage_view import NO_SAVING_WHY, SAVED_DETAIL, UsageView, period_start

REPO = Path(__file__).resolve().parents[3]
LOCAL = "local:SmolLM2-135M-Instruct"
GPT4O = "openai:gpt-4o"
MINI = "openai:gpt-4o-mini"
SONNET = "anthropic:claude-sonnet-4-5"  # Save money's most expensive target


def price(target: str) -> tuple[float, float]:
    models = json.loads((REPO / "resources" / "model_catalog.json").read_text())["models"]
    entry = models[target]["price"]
    return entry["input"], entry["output"]


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def seed(session: Any) -> int:
    store = session.store
    cid = store.create_conversation(router="Save money")
    add = store.add_usage
    add(conversation_id=cid, message_id=None, target=GPT4O, kind="chat",
        tokens_in=1000, tokens_out=500, cost=0.0075, estimated=False)
    add(conversation_id=cid, message_id=None, target=LOCAL, kind="chat",
        tokens_in=2000, tokens_out=300, cost=0.0, estimated=False)
    add(conversation_id=cid, message_id=None, target=LOCAL, kind="chat",
        tokens_in=400, tokens_out=100, cost=0.0, estimated=True)
    add(conversation_id=cid, message_id=None, target=MINI, kind="classifier",
        tokens_in=300, tokens_out=2, cost=0.0000462, estimated=False)
    return cid


def add_old_row(session: Any, cid: int, days_ago: int = 40) -> None:
    session.store.add_usage(conversation_id=cid, message_id=None, target=SONNET, kind="chat",
                            tokens_in=10_000, tokens_out=2_000, cost=0.06, estimated=False)
    when = datetime.now(UTC) - timedelta(days=days_ago)
    conn = session.store._conn
    conn.execute("UPDATE usage SET created_at = ? WHERE id = (SELECT max(id) FROM usage)",
                 (utc_text(when),))
    conn.commit()


@pytest.fixture
def host(qtbot: QtBot) -> Iterator[QWidget]:
    # The host's layout keeps the view's size constraints from reaching the offscreen
    # window (which warns on each change).
    widget = QWidget()
    qtbot.addWidget(widget)
    layout = QVBoxLayout(widget)
    layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    widget.resize(900, 900)
    yield widget  # kept referenced, or Python deletes it with its children


def make_view(host: QWidget, qtbot: QtBot, session: Any) -> UsageView:
    view = UsageView(session.usage, host)
    host.layout().addWidget(view)
    host.show()
    qtbot.waitExposed(host)
    return view


def tile(view: UsageView, name: str) -> str:
    return view.tiles[name].value.text()


# -- tiles, table, chart ------------------------------------------------------------------


async def test_tiles_show_hand_computed_totals(session: Any, host: QWidget, qtbot: QtBot) -> None:
    seed(session)
    view = make_view(host, qtbot, session)

    assert view.period.currentText() == "Last 30 days"
    assert tile(view, "replies") == "3"
    assert tile(view, "tokens") == f"{1000 + 2000 + 400:,} / {500 + 300 + 100:,}"  # 3,400 / 900
    assert tile(view, "cost") == "$0.0075"
    assert tile(view, "local") == "67%"  # 2 of 3 replies
    # Each reply priced as if Claude Sonnet 4.5 (the router's priciest target) had answered.
    p_in, p_out = price(SONNET)
    priciest = sum((i * p_in + o * p_out) / 1e6 for i, o in ((1000, 500), (2000, 300), (400, 100)))
    saved = priciest - 0.0075
    assert tile(view, "saved") == f"${saved:.4f} ({saved / priciest * 100:.0f}%)"
    assert view.tiles["saved"].detail.text() == SAVED_DETAIL
    report = view.report()
    assert report is not None and report.cost_if_priciest == pytest.approx(priciest)
    assert report == session.usage(view.since())[0]
    # The classifier is shown apart, and not counted among replies.
    assert tile(view, "classifier") == "< $0.0001"
    assert view.tiles["classifier"].detail.text() == "300 tokens in / 2 out"
    # One estimated reply: said in the note.
    assert view.note.isVisible()
    assert "Token counts for 1 reply were estimated." in view.note.text()
    assert all(t.accessibleName() for t in view.tiles.values())


async def test_unpriced_target_is_named_in_the_note(session: Any, host: QWidget,
                                                    qtbot: QtBot) -> None:
    cid = session.store.create_conversation(router="Save money")
    session.store.add_usage(conversation_id=cid, message_id=None, target="lab:mystery",
                            kind="chat", tokens_in=10, tokens_out=5, cost=None, estimated=False)
    view = make_view(host, qtbot, session)
    assert view.note.text() == "No price known for: lab:mystery (counted as free)."
    assert view.table_rows() == [("lab", "mystery", "Reply", "1", "10", "5", "unknown")]


async def test_table_sums_per_model_and_sorts(session: Any, host: QWidget, qtbot: QtBot) -> None:
    seed(session)
    view = make_view(host, qtbot, session)
    rows = view.table_rows()
    assert rows[0] == ("OpenAI", "gpt-4o", "Reply", "1", "1,000", "500", "$0.0075")  # dearest first
    assert sorted(rows) == sorted([
        ("OpenAI", "gpt-4o", "Reply", "1", "1,000", "500", "$0.0075"),
        ("Local", "SmolLM2-135M-Instruct", "Reply", "2", "2,400", "400", "$0.00"),
        ("OpenAI", "gpt-4o-mini", "Classifier", "1", "300", "2", "< $0.0001"),
    ])
    view.table.sortItems(4)  # tokens in, ascending: numbers, not text ("300" < "1,000")
    assert [r[4] for r in view.table_rows()] == ["300", "1,000", "2,400"]
    assert view.table.isSortingEnabled()


async def test_chart_is_fed_per_provider_per_day(session: Any, host: QWidget, qtbot: QtBot) -> None:
    seed(session)
    view = make_view(host, qtbot, session)
    today = datetime.now().astimezone().date()
    days, series, unit = view.chart.data()
    assert unit == "$"
    assert len(days) == 30 and days[0] == today - timedelta(days=29) and days[-1] == today
    assert list(series) == ["local", "openai"]  # local first
    assert series["local"][-1] == 0.0
    assert series["openai"][-1] == pytest.approx(0.0075 + 0.0000462)  # classifier is paid too
    assert sum(series["openai"][:-1]) == 0

    view.set_chart_metric("Tokens")
    _, series, unit = view.chart.data()
    assert unit == "tokens"
    assert series["local"][-1] == 2000 + 300 + 400 + 100
    assert series["openai"][-1] == 1000 + 500 + 300 + 2

    view.metric_buttons["Replies"].click()
    _, series, unit = view.chart.data()
    assert unit == "replies"
    assert (series["local"][-1], series["openai"][-1]) == (2, 1)  # classifier calls not replies
    assert view.chart.accessibleName() == "Replies per day chart"
    assert view.chart.accessibleDescription().startswith("Replies per day:")
    assert "total 3" in view.chart.accessibleDescription()


# -- period ---------------------------------------------------------------------------------


async def test_period_filters_from_local_midnight(session: Any, host: QWidget, qtbot: QtBot) -> None:
    cid = seed(session)
    add_old_row(session, cid, days_ago=40)
    view = make_view(host, qtbot, session)

    assert tile(view, "replies") == "3"
    assert all(line.day > date.today() - timedelta(days=30) for line in view.lines())
    assert "anthropic" not in view.chart.data().series

    view.set_period("All time")
    assert view.since() is None
    assert tile(view, "replies") == "4"
    assert tile(view, "cost") == f"${0.0075 + 0.06:.4f}"
    assert tile(view, "local") == "50%"
    assert ("Anthropic", "claude-sonnet-4-5", "Reply", "1", "10,000", "2,000", "$0.0600") in \
        view.table_rows()
    days, series, _ = view.chart.data()
    assert days[0] == min(line.day for line in view.lines())
    assert sum(series["anthropic"]) == pytest.approx(0.06)

    view.set_period("Today")
    assert view.since() == datetime.combine(date.today(), datetime.min.time()).astimezone()
    assert tile(view, "replies") == "3"


def test_period_start_is_local_midnight() -> None:
    now = datetime(2026, 3, 15, 9, 30).astimezone()
    assert period_start(None, now) is None
    assert period_start(1, now) == datetime(2026, 3, 15).astimezone()
    assert period_start(7, now) == datetime(2026, 3, 9).astimezone()
    assert period_start(30, now) == datetime(2026, 2, 14).astimezone()


# -- export ---------------------------------------------------------------------------------


async def test_export_writes_the_period_csv(session: Any, host: QWidget, qtbot: QtBot,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cid = seed(session)
    add_old_row(session, cid)
    view = make_view(host, qtbot, session)
    target = tmp_path / "usage.csv"
    monkeypatch.setattr(view, "choose_export_path", lambda: str(target))
    view.export_button.click()
    expected = usage_csv(session.usage(view.since())[1])
    assert target.read_text(encoding="utf-8") == expected
    assert "claude-sonnet" not in expected  # the old row is outside the period
    assert view.export_status.isVisible() and "Saved" in view.export_status.text()


async def test_export_error_is_shown_in_plain_words(session: Any, host: QWidget, qtbot: QtBot,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    seed(session)
    view = make_view(host, qtbot, session)
    missing = tmp_path / "no such folder" / "usage.csv"
    monkeypatch.setattr(view, "choose_export_path", lambda: str(missing))
    view.export_csv()
    assert view.export_status.isVisible()
    assert view.export_status.text() == (
        f"Could not save the CSV to {missing}: No such file or directory.")

    monkeypatch.setattr(view, "choose_export_path", lambda: "")  # cancelled: nothing happens
    view.refresh()
    view.export_csv()
    assert not view.export_status.isVisible()


# -- empty ----------------------------------------------------------------------------------


async def test_empty_database_shows_empty_states(session: Any, host: QWidget, qtbot: QtBot) -> None:
    view = make_view(host, qtbot, session)
    assert tile(view, "replies") == "0"
    assert tile(view, "cost") == "$0.00"
    assert tile(view, "local") == "—"
    assert tile(view, "saved") == "—"
    assert view.tiles["saved"].toolTip() == NO_SAVING_WHY
    assert not view.note.isVisible()
    assert view.table.rowCount() == 0
    assert view.chart.is_empty() and view.chart.data().days == []
    assert view.chart.accessibleDescription() == f"Cost per day: {EMPTY_TEXT.lower()}."
    assert not view.export_button.isEnabled()
    assert view.chart.grab().isNull() is False  # paints the empty state without warnings


# -- the chart on its own -------------------------------------------------------------------


def test_format_value() -> None:
    assert format_value(0.0123, "$") == "$0.0123"
    assert format_value(12.5, "$") == "$12.50"
    assert format_value(0, "$") == "$0"
    assert format_value(12_300, "tokens") == "12.3k"
    assert format_value(950, "tokens") == "950"
    assert format_value(2_000_000, "tokens") == "2M"
    assert format_value(3, "replies") == "3"


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # the offscreen tooltip
def test_bar_chart_tooltip_and_description(qtbot: QtBot) -> None:
    chart = BarChart()
    qtbot.addWidget(chart)
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    chart.set_data(days, {"local": [0.0, 0.0], "openai": [0.01, 0.03]}, "$")
    assert chart.data() == (days, {"local": [0.0, 0.0], "openai": [0.01, 0.03]}, "$")
    assert chart.tooltip_text(1) == "Monday 2 March 2026\nLocal: $0\nOpenAI: $0.0300\nTotal: $0.0300"
    assert chart.accessibleDescription() == (
        "Cost per day: Mar 1 to Mar 2, 2 days, total $0.0400 (Local $0, OpenAI $0.0400); "
        "highest on Mar 2 at $0.0300.")
    chart.resize(400, 240)
    chart.show()
    qtbot.waitExposed(chart)
    # The second half of the plot is the second day.
    inside = QPoint(chart.width() - 20, chart.height() // 2)
    assert chart._index_at(inside) == 1
    QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, inside, chart.mapToGlobal(inside)))
    assert QToolTip.text() == chart.tooltip_text(1)
    QToolTip.hideText()
    assert not chart.grab().isNull()
    with pytest.raises(ValueError):
        chart.set_data(days, {"openai": [1.0]}, "$")
