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


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_every_plain_english_rule_decides_by_its_own_examples(path):
    """Ten or more examples each, none shared between rules: the bundled encoder decides
    them out of the box (decide_by "auto"), with no model asked to read descriptions."""
    router = load_router(path)
    classified = [r for r in router.rules if r.classified]
    for rule in classified:
        assert len(rule.examples) >= 10, f"{rule.id} has {len(rule.examples)} examples"
        assert len(set(rule.examples)) == len(rule.examples), rule.id
    every = [e.casefold() for r in classified for e in r.examples]
    assert len(every) == len(set(every))
    assert router.classifier.decide_by == "auto" and router.classifier.embedding_model is None
