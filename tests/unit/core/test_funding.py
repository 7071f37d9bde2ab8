import math

import pytest

from quantbot.core import FundingPayment, InvalidValue


def _payment(position_qty: float, rate: float, contract_size: float = 1.0) -> FundingPayment:
    return FundingPayment.from_rate(
        ts_ms=0,
        symbol="BTC/USDT:USDT",
        rate=rate,
        mark_price=50_000.0,
        position_qty=position_qty,
        contract_size=contract_size,
    )


def test_long_pays_when_rate_is_positive() -> None:
    # 2 BTC long at 50,000 is 100,000 notional; 0.01 % of it is 10.
    assert math.isclose(_payment(2.0, 0.0001).amount, -10.0, rel_tol=1e-12)


def test_short_receives_when_rate_is_positive() -> None:
    assert math.isclose(_payment(-2.0, 0.0001).amount, 10.0, rel_tol=1e-12)


def test_long_receives_when_rate_is_negative() -> None:
    assert _payment(1.0, -0.0003).amount > 0


def test_contract_size_scales_the_notional() -> None:
    # 300 contracts of 0.001 BTC = 0.3 BTC = 15,000 notional; 0.01 % is 1.5.
    assert math.isclose(_payment(300.0, 0.0001, contract_size=0.001).amount, -1.5, rel_tol=1e-12)


def test_non_positive_mark_is_rejected() -> None:
    with pytest.raises(InvalidValue):
        FundingPayment(
            ts_ms=0, symbol="BTC/USDT:USDT", rate=0.0001, mark_price=0.0, position_qty=1, amount=0
        )
