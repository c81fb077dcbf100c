"""Building routing contexts for condition and engine tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from app.core.router import Availability, RouteContext, Turn

NOON_UTC = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday

MakeCtx = Callable[..., RouteContext]


@pytest.fixture
def make_ctx() -> MakeCtx:
    def make(
        message: str = "",
        *,
        history: list[Turn] | None = None,
        images: int = 0,
        now: datetime = NOON_UTC,
        down: dict[str, str] | None = None,
    ) -> RouteContext:
        down = down or {}

        def availability(target: str) -> Availability:
            if target in down:
                return Availability(False, down[target])
            return Availability(True, "test")

        turns = [*(history or []), Turn("user", message, images)]
        return RouteContext(turns, now, availability)

    return make
