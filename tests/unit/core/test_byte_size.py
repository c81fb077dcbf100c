import pytest

from app.core.byte_size import format_bytes


@pytest.mark.parametrize(("n", "words"), [
    (0, "0 bytes"),
    (1, "1 byte"),
    (812, "812 bytes"),
    (999.7, "1.0 kB"),  # a speed in bytes/s that rounds up to the next unit
    (1_000, "1.0 kB"),
    (34_500, "34.5 kB"),
    (312_400, "312 kB"),
    (999_960, "1.0 MB"),  # would be "1000 kB"
    (94_000_000, "94.0 MB"),  # the example: once "89.6 MB" in `models list`
    (98_406_400, "98.4 MB"),
    (99_960_000, "100 MB"),
    (1_900_000_000, "1.9 GB"),
    (16_000_000_000, "16.0 GB"),
    (3_500_000_000_000, "3.5 TB"),
    (12_345_000_000_000_000, "12345 TB"),
])
def test_sizes_read_in_si_units(n: float, words: str) -> None:
    assert format_bytes(n) == words


@pytest.mark.parametrize(("n", "words"), [
    (20_000_000, "20.0 MB"),  # exactly the limit reads as the limit
    (20_000_001, "20.1 MB"),  # a byte over never reads as equal to it
    (20_040_000, "20.1 MB"),
    (99_940_000, "100 MB"),
    (150_000_001, "151 MB"),
    (999.2, "1.0 kB"),
    (999_999, "1.0 MB"),
])
def test_round_up_never_hides_a_size_over_a_limit(n: float, words: str) -> None:
    assert format_bytes(n, round_up=True) == words


def test_round_up_with_the_limit_itself() -> None:
    limit = 20_000_000
    assert format_bytes(limit + 1, round_up=True) != format_bytes(limit)
