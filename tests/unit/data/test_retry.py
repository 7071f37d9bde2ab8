from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.data.retry import RetryPolicy, parse_retry_after


def test_waits_double_from_the_base_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, base_delay_s=1.0, max_delay_s=5.0)
    assert [policy.delay_s(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_longer_retry_after_wins_a_shorter_one_does_not() -> None:
    policy = RetryPolicy(base_delay_s=2.0)
    assert policy.delay_s(1, retry_after_s=30.0) == 30.0
    assert policy.delay_s(1, retry_after_s=0.5) == 2.0


@given(st.integers(1, 60), st.floats(0, 1e3) | st.none())
def test_the_wait_is_never_below_the_backoff_nor_above_cap_and_retry_after(
    attempt: int, retry_after: float | None
) -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=20.0)
    wait = policy.delay_s(attempt, retry_after)
    assert wait >= min(0.5 * 2 ** (attempt - 1), 20.0)
    assert wait <= max(20.0, retry_after or 0.0)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0.5", 0.5), ("-3", 0.0), (None, None), ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
)
def test_retry_after_header_in_seconds(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_a_policy_without_attempts_is_refused() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
