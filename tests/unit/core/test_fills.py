import pytest

from quantbot.core import InvalidValue, Side

from factories import make_fill


def test_rebate_is_a_negative_fee() -> None:
    assert make_fill(fee=-0.02).fee == -0.02


@pytest.mark.parametrize(("side", "signed"), [(Side.BUY, 0.5), (Side.SELL, -0.5)])
def test_signed_qty_carries_the_side(side: Side, signed: float) -> None:
    assert make_fill(qty=0.5, side=side).signed_qty == signed


@pytest.mark.parametrize(
    "override",
    [
        {"qty": 0.0},
        {"qty": -1.0},
        {"qty": float("inf")},
        {"price": 0.0},
        {"price": float("nan")},
        {"fee": float("nan")},
        {"fee_currency": ""},
        {"ts_ms": -1},
    ],
)
def test_invalid_fill_is_rejected(override: dict[str, object]) -> None:
    with pytest.raises(InvalidValue):
        make_fill(**override)  # type: ignore[arg-type]
