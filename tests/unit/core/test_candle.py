import pytest

from quantbot.core import Candle, InvalidValue


def test_consistent_candle_is_accepted() -> None:
    candle = Candle(1_700_000_000_000, 100.0, 105.0, 99.0, 104.0, 12.5)
    assert candle.high == 105.0


@pytest.mark.parametrize(
    "ohlcv",
    [
        (100.0, 99.0, 98.0, 100.0, 1.0),  # high below open
        (100.0, 105.0, 101.0, 102.0, 1.0),  # low above open
        (100.0, 105.0, 99.0, 106.0, 1.0),  # close above high
        (100.0, 105.0, 0.0, 100.0, 1.0),  # non-positive low
        (100.0, 105.0, 99.0, 100.0, -1.0),  # negative volume
        (float("nan"), 105.0, 99.0, 100.0, 1.0),
        (100.0, 105.0, 99.0, 100.0, float("nan")),
    ],
)
def test_inconsistent_candle_is_rejected(ohlcv: tuple[float, float, float, float, float]) -> None:
    with pytest.raises(InvalidValue):
        Candle(0, *ohlcv)
