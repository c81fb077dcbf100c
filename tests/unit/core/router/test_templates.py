from datetime import UTC, datetime

import pytest

from app.core.paths import router_templates_dir
from app.core.router import Availability, RouteContext, Turn, decide, dump_router, load_router

TEMPLATES = sorted(router_templates_dir().glob("*.json"))
EXPECTED = {"Local only", "Save money", "Privacy first", "Specialists", "Office hours"}


def test_all_five_templates_ship():
    assert {load_router(p).name for p in TEMPLATES} == EXPECTED


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_is_valid_described_and_round_trips(path):
    router = load_router(path)
    assert router.description
    assert load_router(path) == router
    from app.core.router import parse_router
    assert parse_router(dump_router(router)) == router


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_private_data_never_leaves_the_computer(path):
    router = load_router(path)
    ctx = RouteContext([Turn("user", "my card is 4111 1111 1111 1111")],
                       datetime(2026, 11, 25, 10, tzinfo=UTC),
                       lambda t: Availability(True, "test"))
    assert decide(router, ctx).target.startswith("local:")
