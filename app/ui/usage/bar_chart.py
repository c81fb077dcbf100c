"""Stacked bars per day, drawn with QPainter (QtCharts lives in pyside6-addons, ~200 MB
we do not ship).

One colour per series (a provider, or "local"), value gridlines at left, days along the
bottom, a legend on top, and a tooltip per day. Screen readers get the same data as a
sentence in the accessible description.

Colours: "local" is the palette's highlight mixed toward green (calm, and the same idea
as the rest of the app: local means free). Cloud providers get well-separated hues whose
lightness and saturation follow the palette (lighter on dark backgrounds), so the bars
stay readable in light and dark themes. A provider keeps its hue whatever else is shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from PySide6.QtCore import QEvent, QLineF, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QToolTip, QWidget

from app.ui import theme
from app.ui.chat.error_actions import provider_label

__all__ = ["EMPTY_TEXT", "BarChart", "ChartData", "format_value", "series_color", "series_label"]

EMPTY_TEXT = "No usage in this period"
LOCAL = "local"

_Role = QPalette.ColorRole
_GREEN = QColor(46, 160, 67)
# Hues (degrees) kept clear of the local green; known providers keep theirs across periods.
_KNOWN = ("openai", "anthropic", "gemini", "groq", "mistral", "deepseek")
_KNOWN_HUES = (28, 268, 205, 330, 48, 232)
# Others (custom OpenAI-compatible servers): between those hues, a step darker.
_OTHER_HUES = (350, 188, 300, 62, 250, 12)

_PAD = 8.0
_SWATCH = 10.0


class ChartData(NamedTuple):
    days: list[date]
    series: dict[str, list[float]]
    unit: str


def format_value(value: float, unit: str) -> str:
    """``"$"`` → ``$0.0123`` / ``$1.23``; ``"tokens"`` → ``950`` / ``12.3k`` / ``1.2M``;
    anything else (a count) → ``12`` (or ``2.5`` for a fraction)."""
    if unit == "$":
        if value == 0:
            return "$0"
        if abs(value) < 1:
            return f"${value:.4f}"
        return f"${value:,.2f}"
    if unit == "tokens":
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                return f"{value / limit:.1f}".removesuffix(".0") + suffix
        return f"{value:.0f}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _axis_value(value: float, unit: str) -> str:
    """Like format_value, without trailing zeros on small amounts ($0.03, not $0.0300)."""
    if unit == "$" and 0 < abs(value) < 1:
        return "$" + f"{value:.4f}".rstrip("0").ljust(4, "0")
    return format_value(value, unit)


def series_label(name: str) -> str:
    return "Local" if name == LOCAL else provider_label(name)


def series_color(name: str, index: int, palette: QPalette) -> QColor:
    """The colour of series ``name`` (``index``: its place among the unknown ones)."""
    dark = theme.is_dark(palette)
    base = palette.color(_Role.Base)
    if name == LOCAL:
        calm = theme.mix(palette.color(_Role.Highlight), _GREEN, 0.65)
        return theme.mix(calm, base, 0.10 if dark else 0.0)
    lightness = 0.64 if dark else 0.50
    if name in _KNOWN:
        hue = _KNOWN_HUES[_KNOWN.index(name)]
    else:
        hue = _OTHER_HUES[index % len(_OTHER_HUES)]
        lightness -= 0.12
    color = QColor.fromHslF(hue / 360, 0.62 if dark else 0.68, lightness)
    return theme.mix(color, base, 0.08)


def _nice_ticks(top: float, unit: str) -> list[float]:
    """0 and 3–4 round steps covering ``top``."""
    if top <= 0:
        top = 0.01 if unit == "$" else 4.0
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude * 4 >= top * 0.999:
            step = m * magnitude
            break
    if unit != "$":
        step = max(1.0, math.ceil(step))
    count = max(3, math.ceil(top / step - 1e-9))
    return [i * step for i in range(count + 1)]


def _day_label(day: date) -> str:
    return f"{day.strftime('%b')} {day.day}"


class BarChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = ChartData([], {}, "$")
        self._hover: int | None = None
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._describe()

    # ---- data ---------------------------------------------------------------------------

    def set_data(self, days: Sequence[date], series: dict[str, list[float]], unit: str) -> None:
        """Bars for ``days``; each series has one value per day. ``unit`` is ``"$"``,
        ``"tokens"`` or a count's noun (``"replies"``)."""
        for name, values in series.items():
            if len(values) != len(days):
                raise ValueError(f"Series {name!r} has {len(values)} values for {len(days)} days.")
        self._data = ChartData(list(days), {k: list(v) for k, v in series.items()}, unit)
        self._hover = None
        self._describe()
        self.update()

    def data(self) -> ChartData:
        """What was last set: ``(days, series, unit)``."""
        return self._data

    def is_empty(self) -> bool:
        return not self._data.days or not self._data.series

    def title(self) -> str:
        unit = self._data.unit
        what = {"$": "Cost", "tokens": "Tokens"}.get(unit, unit.capitalize())
        return f"{what} per day"

    def total(self, index: int) -> float:
        return sum(values[index] for values in self._data.series.values())

    def tooltip_text(self, index: int) -> str:
        """The tooltip for day ``index``: the day, then each series' value."""
        days, series, unit = self._data
        day = days[index]
        lines = [f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"]
        for name, values in series.items():
            lines.append(f"{series_label(name)}: {format_value(values[index], unit)}")
        if len(series) > 1:
            lines.append(f"Total: {format_value(self.total(index), unit)}")
        return "\n".join(lines)

    def _describe(self) -> None:
        title = self.title()
        self.setAccessibleName(f"{title} chart")
        if self.is_empty():
            self.setAccessibleDescription(f"{title}: {EMPTY_TEXT.lower()}.")
            self.setToolTip(EMPTY_TEXT)
            return
        self.setToolTip("")
        days, series, unit = self._data
        totals = [self.total(i) for i in range(len(days))]
        peak = max(range(len(days)), key=lambda i: totals[i])
        parts = ", ".join(f"{series_label(n)} {format_value(sum(v), unit)}" for n, v in series.items())
        span = (_day_label(days[0]) if len(days) == 1
                else f"{_day_label(days[0])} to {_day_label(days[-1])}")
        self.setAccessibleDescription(
            f"{title}: {span}, {len(days)} day{'s' if len(days) != 1 else ''}, "
            f"total {format_value(sum(totals), unit)} ({parts}); "
            f"highest on {_day_label(days[peak])} at {format_value(totals[peak], unit)}.")

    # ---- geometry -----------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(560, 260)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 160)

    def _small_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        return font

    def _layout(self) -> tuple[QRectF, QRectF, list[float]]:
        """(legend row, plot area, ticks)."""
        fm = QFontMetricsF(self._small_font())
        ticks = _nice_ticks(max((self.total(i) for i in range(len(self._data.days))), default=0),
                            self._data.unit)
        axis_w = max(fm.horizontalAdvance(_axis_value(t, self._data.unit)) for t in ticks) + _PAD
        legend = QRectF(_PAD, _PAD, self.width() - 2 * _PAD, fm.height())
        top = legend.bottom() + _PAD + fm.height() / 2
        bottom = self.height() - _PAD - fm.height() - 4
        plot = QRectF(_PAD + axis_w, top, max(1.0, self.width() - 2 * _PAD - axis_w),
                      max(1.0, bottom - top))
        return legend, plot, ticks

    def _index_at(self, pos: QPoint) -> int | None:
        if self.is_empty():
            return None
        _, plot, _ = self._layout()
        if not (plot.left() <= pos.x() < plot.right() and pos.y() <= plot.bottom() + 20):
            return None
        slot = plot.width() / len(self._data.days)
        index = int((pos.x() - plot.left()) / slot)
        return index if 0 <= index < len(self._data.days) else None

    # ---- events -------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and not self.is_empty():
            assert isinstance(event, QHelpEvent)
            index = self._index_at(event.pos())
            if index is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.tooltip_text(index), self)
            return True
        return super().event(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self._index_at(event.position().toPoint())
        if index != self._hover:
            self._hover = index
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        if self._hover is not None:
            self._hover = None
            self.update()
        super().leaveEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.update()

    # ---- painting -----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        muted = theme.muted_text(palette)
        painter.setFont(self._small_font())
        if self.is_empty():
            painter.setPen(muted)
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, EMPTY_TEXT)
            painter.end()
            return
        days, series, unit = self._data
        legend, plot, ticks = self._layout()
        fm = QFontMetricsF(painter.font())
        colors = self._colors(palette)

        # legend
        x = legend.left()
        for name in series:
            label = series_label(name)
            width = _SWATCH + 4 + fm.horizontalAdvance(label)
            if x + width > legend.right() and x > legend.left():
                break  # no room: the tooltip and the description still name it
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors[name])
            painter.drawRoundedRect(QRectF(x, legend.center().y() - _SWATCH / 2, _SWATCH, _SWATCH),
                                    2, 2)
            painter.setPen(palette.color(_Role.WindowText))
            painter.drawText(QRectF(x + _SWATCH + 4, legend.top(), width, legend.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            x += width + 14

        # gridlines and values
        grid = theme.mix(palette.color(_Role.Window), palette.color(_Role.WindowText), 0.14)
        scale = plot.height() / ticks[-1]
        for tick in ticks:
            y = plot.bottom() - tick * scale
            painter.setPen(QPen(grid if tick else muted, 1))
            painter.drawLine(QLineF(plot.left(), y, plot.right(), y))
            painter.setPen(muted)
            painter.drawText(QRectF(0, y - fm.height() / 2, plot.left() - _PAD / 2, fm.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             _axis_value(tick, unit))

        # bars
        slot = plot.width() / len(days)
        bar_w = min(48.0, max(1.0, slot * 0.72))
        if self._hover is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.mix(palette.color(_Role.Window), palette.color(_Role.Highlight),
                                       0.12))
            painter.drawRect(QRectF(plot.left() + self._hover * slot, plot.top(), slot, plot.height()))
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(len(days)):
            left = plot.left() + i * slot + (slot - bar_w) / 2
            y = plot.bottom()
            for name, values in series.items():
                height = values[i] * scale
                if height <= 0:
                    continue
                painter.setBrush(colors[name])
                painter.drawRect(QRectF(left, y - height, bar_w, height))
                y -= height

        # days along the bottom: as many labels as fit
        widest = max(fm.horizontalAdvance(_day_label(d)) for d in days) + 10
        every = max(1, math.ceil(widest / slot))
        painter.setPen(muted)
        for i in range(0, len(days), every):
            centre = plot.left() + (i + 0.5) * slot
            painter.drawText(QRectF(centre - widest / 2, plot.bottom() + 4, widest, fm.height()),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                             _day_label(days[i]))
        painter.end()

    def _colors(self, palette: QPalette) -> dict[str, QColor]:
        unknown = [n for n in self._data.series if n != LOCAL and n not in _KNOWN]
        return {n: series_color(n, unknown.index(n) if n in unknown else 0, palette)
                for n in self._data.series}
