"""Every indicator is causal: its value at bar t depends on bars 0..t only.

The property runs over every entry of ``INDICATORS`` (and ``test_registry`` makes sure
every public indicator is an entry), so a new indicator is covered the day it is
listed. For a random market and a random cut T:

- computing on the bars up to T gives exactly the values up to T of computing on the
  whole market (nothing is recomputed from the end, e.g. normalised by a global max);
- replacing every bar after T by other data changes nothing up to T (nothing looks
  ahead, e.g. a centred window or a swing confirmed with future bars).

"Exactly" means bit for bit, NaN where NaN: the backtest precomputes on the whole
history while live mode computes on the bars it has, and both must decide the same.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.indicators import INDICATORS, IndicatorOutput

from ._markets import markets, random_market, splice


def arrays_of(output: IndicatorOutput) -> tuple[np.ndarray, ...]:
    return output if isinstance(output, tuple) else (output,)


@pytest.mark.parametrize("name", sorted(INDICATORS))
@settings(max_examples=60)
@given(market=markets(), other_seed=st.integers(0, 2**32 - 1), data=st.data())
def test_value_at_bar_t_depends_on_bars_up_to_t_only(
    name: str, market: dict[str, np.ndarray], other_seed: int, data: st.DataObject
) -> None:
    spec = INDICATORS[name]
    size = len(market["close"])
    cut = data.draw(st.integers(0, size - 1), label="cut")
    other = random_market(other_seed, size)

    full = arrays_of(spec.compute(market))
    prefix = arrays_of(spec.compute({key: series[: cut + 1] for key, series in market.items()}))
    altered = arrays_of(spec.compute(splice(market, other, cut)))

    for whole, head, changed in zip(full, prefix, altered, strict=True):
        np.testing.assert_array_equal(head, whole[: cut + 1])
        np.testing.assert_array_equal(changed[: cut + 1], whole[: cut + 1])


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_indicator_produces_values_on_a_long_market(name: str) -> None:
    """Guards the causality proof against a vacuous pass: an all-NaN output is trivially causal."""
    market = random_market(7, 600)
    for series in arrays_of(INDICATORS[name].compute(market)):
        assert len(series) == 600
        if series.dtype == np.bool_:
            assert series.any()
        else:
            assert series.dtype == np.float64
            assert np.isfinite(series).sum() > 300
