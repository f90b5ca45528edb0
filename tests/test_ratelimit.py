"""The sliding-window limiter behind every 429: bursts across a window boundary are
still bursts, and the allowance comes back as time passes."""

import pytest

from townhall.api.errors import ApiError
from townhall.lib import ratelimit

WINDOW = 60
T0 = 1_800_000_000  # a window boundary: divisible by 60


def refused(ident: str, at: float, limit: int = 3) -> int | None:
    try:
        ratelimit.hit("test", ident, limit, WINDOW, now=at)
    except ApiError as error:
        assert error.status == 429
        return int(error.headers["Retry-After"])
    return None


def test_the_allowance_is_spent_then_refused_with_retry_after():
    assert [refused("a", T0 + 10 + i) for i in range(3)] == [None, None, None]
    retry = refused("a", T0 + 13)
    assert retry is not None and 1 <= retry <= WINDOW


def test_a_burst_straddling_a_window_boundary_is_refused():
    # Three at the end of one window and more just after: a fixed window would let
    # six through in two seconds.
    assert [refused("b", T0 + 59) for _ in range(3)] == [None, None, None]
    assert refused("b", T0 + 60.5) is not None


def test_the_allowance_comes_back_as_the_previous_window_slides_away():
    for _ in range(3):
        refused("c", T0 + 50)
    assert refused("c", T0 + 65) is not None
    # By the end of the next window the early burst no longer weighs on the caller.
    assert refused("c", T0 + 119) is None


def test_callers_and_scopes_are_counted_apart():
    for _ in range(3):
        refused("d", T0 + 5)
    assert refused("d", T0 + 6) is not None
    assert refused("e", T0 + 6) is None


@pytest.mark.parametrize("limit", [1, 5])
def test_retry_after_is_never_zero_nor_longer_than_the_window(limit):
    retries = [refused(f"f{limit}", T0 + 30 + i * 0.1, limit) for i in range(limit + 5)]
    waits = [r for r in retries if r is not None]
    assert waits and all(1 <= r <= WINDOW for r in waits)
