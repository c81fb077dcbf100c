"""Time-of-day condition: HH:MM–HH:MM, weekdays, IANA timezone.

A window that ends before it starts (22:00–06:00) wraps past midnight, and its early
hours belong to the day it started: "Fri 22:00–06:00" includes Saturday 02:00.
The end is exclusive, so 09:00–17:00 and 17:00–22:00 never both match.
Wall-clock times are compared in the rule's timezone, which handles DST days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.router.conditions.base import Condition, Match
from app.core.router.context import RouteContext
from app.core.router.fields import Fields

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str) -> time:
    hours, sep, minutes = text.partition(":")
    # ASCII digits only: "²".isdigit() is true, and int("²") fails with Python's own words.
    if not (sep and hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()
            and len(minutes) == 2):
        raise ValueError(f'expected a time as "HH:MM", got "{text}"')
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f'"{text}" is not a time of day')
    return time(h, m)


@dataclass(frozen=True, slots=True)
class TimeWindow(Condition):
    start: str  # "HH:MM"
    end: str
    weekdays: tuple[str, ...] = WEEKDAYS
    timezone: str | None = None  # None: the computer's local timezone
    _clock: tuple[time, time] = field(init=False, repr=False, compare=False)
    _zone: ZoneInfo | None = field(init=False, repr=False, compare=False)

    type_name = "time"

    def __post_init__(self) -> None:
        object.__setattr__(self, "_clock", (parse_clock(self.start), parse_clock(self.end)))
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone) if self.timezone else None)

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(self._zone) if self._zone else now.astimezone()

    def window_day(self, local: datetime) -> str | None:
        """The weekday whose window contains ``local``, or None when outside every window."""
        (start, end), clock = self._clock, local.time()
        day: datetime | None
        if start == end:  # a 24-hour window
            day = local
        elif start < end:
            day = local if start <= clock < end else None
        elif clock >= start:
            day = local
        elif clock < end:
            day = local - timedelta(days=1)
        else:
            day = None
        if day is None:
            return None
        name = WEEKDAYS[day.weekday()]
        return name if name in self.weekdays else None

    def test(self, ctx: RouteContext) -> bool:
        return self.window_day(self._local(ctx.now)) is not None

    def evaluate(self, ctx: RouteContext) -> Match:
        local = self._local(ctx.now)
        ok = self.window_day(local) is not None
        return Match(ok, lambda: self._detail(local, ok))

    def _detail(self, local: datetime, ok: bool) -> str:
        stamp = f"{WEEKDAYS[local.weekday()].title()} {local:%H:%M} {self.timezone or 'local time'}"
        window = f"{self.start}–{self.end}"
        if self.weekdays != WEEKDAYS:
            window += " on " + ", ".join(d.title() for d in self.weekdays)
        return f"{stamp} is {'within' if ok else 'outside'} {window}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name, "from": self.start, "to": self.end}
        if self.weekdays != WEEKDAYS:
            out["weekdays"] = list(self.weekdays)
        if self.timezone:
            out["timezone"] = self.timezone
        return out

    @classmethod
    def from_fields(cls, f: Fields) -> Self:
        f.only("type", "from", "to", "weekdays", "timezone")
        for key in ("from", "to"):
            try:
                parse_clock(f.text(key))
            except ValueError as exc:
                f.fail(key, str(exc))
        weekdays: tuple[str, ...] = WEEKDAYS
        if f.has("weekdays"):
            given = {d.lower() for d in f.texts("weekdays")}
            unknown = given - set(WEEKDAYS)
            if unknown:
                f.fail("weekdays", f'unknown day "{min(unknown)}" (use {", ".join(WEEKDAYS)})')
            weekdays = tuple(d for d in WEEKDAYS if d in given)
        timezone = f.text("timezone") if f.has("timezone") else None
        if timezone is not None:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                f.fail("timezone", f'unknown timezone "{timezone}" (use an IANA name like "Europe/Berlin")')
        return cls(f.text("from"), f.text("to"), weekdays, timezone)
