"""The Usage view: what replies cost over a period, how much was answered locally, and
what routing saved against sending everything to the most expensive model.

The view only shows what ``usage(since)`` returns (the session's ``usage``); the sums
per provider and model it makes for the chart and the table are display grouping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.controller.usage import UsageLine, UsageReport, UsageSummary, local_share, usage_csv
from app.ui import theme
from app.ui.inline_message import InlineMessage
from app.ui.usage.bar_chart import LOCAL, BarChart, series_label

__all__ = [
    "METRICS",
    "PERIODS",
    "SAVED_DETAIL",
    "Tile",
    "UsageView",
    "chart_series",
    "format_money",
    "period_start",
]

UsageSource = Callable[[datetime | None], UsageSummary]

# Label → how many local days the period spans (None: all time).
PERIODS: dict[str, int | None] = {"Today": 1, "Last 7 days": 7, "Last 30 days": 30, "All time": None}
DEFAULT_PERIOD = "Last 30 days"
METRICS = ("Cost", "Tokens", "Replies")
SAVED_DETAIL = "vs sending everything to the most expensive model"
NO_SAVING_WHY = ("Nothing to compare yet: no reply in this period had a priced model to "
                 "compare against (no replies, or no known prices).")
NO_SHARE_WHY = "No replies in this period."
COLUMNS = ("Provider", "Model", "Kind", "Calls", "Tokens in", "Tokens out", "Cost")
_COST_COLUMN = COLUMNS.index("Cost")


def period_start(days: int | None, now: datetime | None = None) -> datetime | None:
    """Local midnight at the start of a period of ``days`` local days ending today."""
    if days is None:
        return None
    today = (now or datetime.now()).astimezone().date()
    first = today - timedelta(days=days - 1)
    return datetime.combine(first, time()).astimezone()  # the offset that date had (DST)


def format_money(value: float) -> str:
    """``$0.00``, ``< $0.0001``, ``$0.0075`` (under a dollar: four places), ``$12.34``."""
    if value == 0:
        return "$0.00"
    if 0 < value < 0.00005:
        return "< $0.0001"
    return f"${value:.4f}" if abs(value) < 1 else f"${value:,.2f}"


def _kind_label(kind: str) -> str:
    return {"chat": "Reply", "classifier": "Classifier", "api": "API reply"}.get(kind, kind)


class Tile(QFrame):
    """A number with a caption above and a quiet line below."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel(caption)
        self.value = QLabel("—")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self._apply_theme()

    def set(self, value: str, detail: str = "", tooltip: str = "", spoken: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setToolTip(tooltip)
        self.value.setToolTip(tooltip)
        name = f"{self.caption.text()}: {spoken or value}" + (f" {detail}" if detail else "")
        self.setAccessibleName(name)
        self.value.setAccessibleName(name)

    def _apply_theme(self) -> None:
        muted = theme.muted_text(self.palette())
        theme.set_foreground(self.caption, muted)
        theme.set_foreground(self.detail, muted)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()

    def paintEvent(self, event: QPaintEvent) -> None:
        theme.paint_panel(self, theme.code_background(self.palette()))


class _Item(QTableWidgetItem):
    """A cell that sorts by a value of its own (numbers as numbers; unknown cost first)."""

    def __init__(self, text: str, key: float | str, numeric: bool = False) -> None:
        super().__init__(text)
        self.key = key
        if numeric:
            self.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _Item) and type(self.key) is type(other.key):
            return self.key < other.key  # type: ignore[operator]
        return super().__lt__(other)


class UsageView(QWidget):
    def __init__(self, usage: UsageSource, parent: QWidget | None = None, *,
                 clock: Callable[[], datetime] = datetime.now) -> None:
        super().__init__(parent)
        self._usage = usage
        self._clock = clock
        self._report: UsageReport | None = None
        self._lines: list[UsageLine] = []
        self.setAccessibleName("Usage")

        title = QLabel("Usage")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        self.period = QComboBox()
        self.period.addItems(list(PERIODS))
        self.period.setCurrentText(DEFAULT_PERIOD)
        self.period.setAccessibleName("Period")
        self.period.setToolTip("Which days to count, from local midnight")
        self.period.currentIndexChanged.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setAccessibleName("Export usage as CSV")
        self.export_button.setToolTip("Save this period's usage per day and model as a CSV file")
        self.export_button.clicked.connect(self.export_csv)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.period)
        header.addWidget(self.export_button)
        self.export_status = InlineMessage("Export result")

        self.tiles = {
            "replies": Tile("Replies"),
            "tokens": Tile("Tokens in / out"),
            "cost": Tile("Paid"),
            "local": Tile("Answered locally"),
            "saved": Tile("Saved"),
            "classifier": Tile("Router classifier"),
        }
        tiles = QGridLayout()
        tiles.setSpacing(8)
        for i, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, i // 3, i % 3)
        for column in range(3):
            tiles.setColumnStretch(column, 1)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Note on prices")
        self.note.hide()

        self.metric_group = QButtonGroup(self)
        self.metric_buttons: dict[str, QToolButton] = {}
        metrics = QHBoxLayout()
        metrics.setSpacing(0)
        chart_title = QLabel("Per day")
        chart_title.setAccessibleName("Per day")
        metrics.addWidget(chart_title)
        metrics.addStretch(1)
        for name in METRICS:
            button = QToolButton()
            button.setText(name)
            button.setCheckable(True)
            button.setAccessibleName(f"Chart {name.lower()} per day")
            button.setToolTip(f"Show {name.lower()} per day in the chart")
            button.setAutoRaise(False)
            self.metric_group.addButton(button)
            self.metric_buttons[name] = button
            metrics.addWidget(button)
        self.metric_group.buttonToggled.connect(self._on_metric_toggled)
        self.chart = BarChart()
        self.metric_buttons["Cost"].setChecked(True)
        self.chart.setMinimumHeight(220)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Usage by model")
        self.table.setToolTip("Calls, tokens and cost per model over the period; "
                              "click a heading to sort")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(180)
        self.table.setSortingEnabled(True)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(16, 12, 16, 16)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.export_status)
        layout.addLayout(tiles)
        layout.addWidget(self.note)
        layout.addSpacing(4)
        layout.addLayout(metrics)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.table, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._apply_theme()
        self.refresh()

    # ---- state --------------------------------------------------------------------------

    def since(self) -> datetime | None:
        """Where the chosen period starts (local midnight), or None for all time."""
        return period_start(PERIODS[self.period.currentText()], self._clock())

    def set_period(self, label: str) -> None:
        if label not in PERIODS:
            raise ValueError(f"Unknown period {label!r}; expected one of {list(PERIODS)}.")
        self.period.setCurrentText(label)  # refreshes through currentIndexChanged

    def chart_metric(self) -> str:
        checked = self.metric_group.checkedButton()
        return checked.text() if checked is not None else "Cost"

    def set_chart_metric(self, name: str) -> None:
        self.metric_buttons[name].setChecked(True)

    def report(self) -> UsageReport | None:
        return self._report

    def lines(self) -> list[UsageLine]:
        return list(self._lines)

    def refresh(self) -> None:
        """Read the period's usage again and show it."""
        self._report, self._lines = self._usage(self.since())
        self._show_tiles(self._report, self._lines)
        self._show_chart()
        self._show_table(self._lines)
        self.export_button.setEnabled(bool(self._lines))
        self.export_status.hide()

    # ---- tiles --------------------------------------------------------------------------

    def _show_tiles(self, report: UsageReport, lines: list[UsageLine]) -> None:
        self.tiles["replies"].set(f"{report.messages:,}",
                                  tooltip="Replies from any model, local or cloud")
        self.tiles["tokens"].set(
            f"{report.tokens_in:,} / {report.tokens_out:,}",
            tooltip="Tokens sent to models (prompts) / tokens they wrote (replies)",
            spoken=f"{report.tokens_in:,} in, {report.tokens_out:,} out")
        self.tiles["cost"].set(format_money(report.cost),
                               tooltip="What the cloud replies cost at list prices "
                                       "(local replies are free)")
        share = local_share(lines)
        if share is None:
            self.tiles["local"].set("—", tooltip=NO_SHARE_WHY, spoken="none")
        else:
            self.tiles["local"].set(f"{share * 100:.0f}%",
                                    tooltip="Share of replies answered on this computer")
        saved = report.saved_fraction
        if saved is None:
            self.tiles["saved"].set("—", SAVED_DETAIL, tooltip=NO_SAVING_WHY, spoken="nothing to compare")
        else:
            amount = max(0.0, report.cost_if_priciest - report.cost)
            self.tiles["saved"].set(
                f"{format_money(amount)} ({saved * 100:.0f}%)", SAVED_DETAIL,
                tooltip=(f"Paid {format_money(report.cost)}; sending every reply to its router's "
                         f"most expensive model would have cost "
                         f"{format_money(report.cost_if_priciest)}"))
        self.tiles["classifier"].set(
            format_money(report.classifier_cost),
            f"{report.classifier_tokens_in:,} tokens in / {report.classifier_tokens_out:,} out",
            tooltip="The classifier model that decides some routes; counted apart from replies")
        notes = []
        if report.unpriced:
            notes.append(f"No price known for: {', '.join(report.unpriced)} (counted as free).")
        if report.estimated > 0:
            plural = "reply" if report.estimated == 1 else "replies"
            notes.append(f"Token counts for {report.estimated} {plural} were estimated.")
        self.note.setText(" ".join(notes))
        self.note.setVisible(bool(notes))

    # ---- chart --------------------------------------------------------------------------

    def _on_metric_toggled(self, button: QToolButton, checked: bool) -> None:
        font = button.font()
        font.setBold(checked)  # some styles barely mark a checked tool button
        button.setFont(font)
        if checked:
            self._show_chart()

    def _show_chart(self) -> None:
        days, series, unit = chart_series(self._lines, self.chart_metric(), self._first_day(),
                                          self._clock().astimezone().date())
        self.chart.set_data(days, series, unit)

    def _first_day(self) -> date | None:
        since = self.since()
        return since.date() if since is not None else None

    # ---- table --------------------------------------------------------------------------

    def _show_table(self, lines: Iterable[UsageLine]) -> None:
        groups: dict[tuple[str, str, str], list[UsageLine]] = {}
        for line in lines:
            groups.setdefault((line.provider, line.model, line.kind), []).append(line)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(groups))
        for row, ((provider, model, kind), group) in enumerate(groups.items()):
            costs = [g.cost for g in group if g.cost is not None]
            cost = sum(costs) if costs else None
            calls = sum(g.calls for g in group)
            tokens_in = sum(g.tokens_in for g in group)
            tokens_out = sum(g.tokens_out for g in group)
            cells = [
                _Item(series_label(provider), series_label(provider)),
                _Item(model, model),
                _Item(_kind_label(kind), _kind_label(kind)),
                _Item(f"{calls:,}", float(calls), numeric=True),
                _Item(f"{tokens_in:,}", float(tokens_in), numeric=True),
                _Item(f"{tokens_out:,}", float(tokens_out), numeric=True),
                _Item("unknown" if cost is None else format_money(cost),
                      -1.0 if cost is None else cost, numeric=True),
            ]
            if cost is None:
                cells[-1].setToolTip("No price known for this model")
            for column, item in enumerate(cells):
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(_COST_COLUMN, Qt.SortOrder.DescendingOrder)

    def table_rows(self) -> list[tuple[str, ...]]:
        """The table as shown, top to bottom (for tests and screen-reader checks)."""
        return [tuple(item.text() if (item := self.table.item(r, c)) is not None else ""
                      for c in range(self.table.columnCount()))
                for r in range(self.table.rowCount())]

    # ---- export -------------------------------------------------------------------------

    def choose_export_path(self) -> str:
        """Ask where to save; "" when cancelled. (Tests replace this.)"""
        default = f"switchboard-usage-{self._clock().date().isoformat()}.csv"
        path, _ = QFileDialog.getSaveFileName(self, "Export usage as CSV", default,
                                              "CSV files (*.csv);;All files (*)")
        return path

    def export_csv(self) -> None:
        path = self.choose_export_path()
        if not path:
            return
        try:
            Path(path).write_text(usage_csv(self._lines), encoding="utf-8", newline="")
        except OSError as error:
            reason = error.strerror or str(error)
            self._show_export_status(f"Could not save the CSV to {path}: {reason}.", problem=True)
            return
        rows = len(self._lines)
        self._show_export_status(f"Saved {rows} row{'s' if rows != 1 else ''} to {path}.")

    def _show_export_status(self, text: str, problem: bool = False) -> None:
        self.export_status.set_message(text, "error" if problem else None)

    # ---- theme --------------------------------------------------------------------------

    def _apply_theme(self) -> None:
        palette = self.palette()
        muted = theme.muted_text(palette)
        theme.set_foreground(self.note, muted)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()


def chart_series(lines: Iterable[UsageLine], metric: str, first_day: date | None,
                 last_day: date | None = None) -> tuple[list[date], dict[str, list[float]], str]:
    """Every day from ``first_day`` (or the first used day) to ``last_day`` (or the last
    used day, or today when later), with one stacked series per provider ("local" first).
    Cost and tokens count every call; replies count chat calls only."""
    unit = {"Cost": "$", "Tokens": "tokens", "Replies": "replies"}[metric]
    used = [line for line in lines if metric != "Replies" or line.kind == "chat"]
    if not used:
        return [], {}, unit
    start = first_day or min(line.day for line in used)
    end = max([last_day or date.today(), *(line.day for line in used)])
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    providers = sorted({line.provider for line in used}, key=lambda p: (p != LOCAL, p))
    series = {p: [0.0] * len(days) for p in providers}
    for line in used:
        if line.day not in index:
            continue
        value = (line.cost or 0.0 if metric == "Cost"
                 else line.tokens_in + line.tokens_out if metric == "Tokens" else line.calls)
        series[line.provider][index[line.day]] += value
    return days, series, unit

