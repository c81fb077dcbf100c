from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.core.router.conditions import TimeWindow

BERLIN = ZoneInfo("Europe/Berlin")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")


def at(text: str, tz=BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


# 2026-11-27 is a Friday.
@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-27T21:59", False),
        ("2026-11-27T22:00", True),   # start is inclusive
        ("2026-11-27T23:30", True),
        ("2026-11-28T00:00", True),   # Saturday, but Friday night's window
        ("2026-11-28T05:59", True),
        ("2026-11-28T06:00", False),  # end is exclusive
        ("2026-11-28T23:00", False),  # Saturday night: Saturday is not listed
        ("2026-11-27T02:00", True),   # Friday early hours belong to Thursday night
        ("2026-11-24T02:00", False),  # Tuesday early hours: Monday night, not listed
    ],
)
def test_wrap_past_midnight(make_ctx, when, expected):
    cond = TimeWindow("22:00", "06:00", ("thu", "fri"), "Europe/Berlin")
    assert cond.evaluate(make_ctx("x", now=at(when))).matched is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-23T09:00", True),   # Monday opening
        ("2026-11-23T08:59", False),
        ("2026-11-27T16:59", True),   # Friday just before closing
        ("2026-11-27T17:00", False),
        ("2026-11-28T10:00", False),  # Saturday
        ("2026-11-29T10:00", False),  # Sunday
    ],
)
def test_weekday_boundaries(make_ctx, when, expected):
    cond = TimeWindow("09:00", "17:00", WORKDAYS, "Europe/Berlin")
    assert cond.evaluate(make_ctx("x", now=at(when))).matched is expected


def test_dst_day_uses_the_local_offset_of_that_day(make_ctx):
    # Berlin leaves summer time on Sunday 2026-10-25 at 03:00 → 02:00. The same UTC
    # instant is 09:30 local the day before (UTC+2) but 08:30 on the DST day (UTC+1).
    cond = TimeWindow("09:00", "17:00", timezone="Europe/Berlin")
    before = datetime(2026, 10, 24, 7, 30, tzinfo=UTC)
    dst_day = datetime(2026, 10, 25, 7, 30, tzinfo=UTC)
    assert cond.evaluate(make_ctx("x", now=before)).matched
    m = cond.evaluate(make_ctx("x", now=dst_day))
    assert not m.matched
    assert m.detail == "Sun 08:30 Europe/Berlin is outside 09:00–17:00"


def test_timezone_converts_from_utc(make_ctx):
    cond = TimeWindow("09:00", "17:00", timezone="America/New_York")
    m = cond.evaluate(make_ctx("x", now=datetime(2026, 11, 25, 14, 0, tzinfo=UTC)))
    assert m.matched and m.detail == "Wed 09:00 America/New_York is within 09:00–17:00"


def test_equal_start_and_end_is_all_day(make_ctx):
    cond = TimeWindow("00:00", "00:00", ("sat", "sun"), "UTC")
    assert cond.evaluate(make_ctx("x", now=at("2026-11-28T13:00", UTC))).matched
    assert not cond.evaluate(make_ctx("x", now=at("2026-11-27T13:00", UTC))).matched


def test_detail_lists_weekdays(make_ctx):
    cond = TimeWindow("09:00", "17:00", WORKDAYS, "UTC")
    m = cond.evaluate(make_ctx("x", now=at("2026-11-28T10:00", UTC)))
    assert m.detail == "Sat 10:00 UTC is outside 09:00–17:00 on Mon, Tue, Wed, Thu, Fri"
