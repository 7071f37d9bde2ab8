"""Trades rebuilt from fills and funding: funding counts in the trade open when it was paid."""

from __future__ import annotations

import pytest

from quantbot.engine.trades import FillRecord, FundingRecord, build_trades

SYMBOL = "BTC/USDT:USDT"


def _fill(ts: int, buy: bool, qty: float, price: float, fee: float = 0.0) -> FillRecord:
    return FillRecord(ts, "s", SYMBOL, buy, qty, price, fee)


def _funding(ts: int, amount: float) -> FundingRecord:
    return FundingRecord(ts, "s", SYMBOL, amount)


def test_funding_paid_while_a_trade_is_open_is_in_its_pnl() -> None:
    records = [
        _fill(1, True, 2.0, 100.0, fee=0.2),
        _funding(2, -1.5),
        _funding(3, 0.5),
        _fill(4, False, 2.0, 101.0, fee=0.2),
    ]

    [trade] = build_trades(records, last_ts_ms=10, last_prices={SYMBOL: 101.0}).itertuples()

    assert trade.funding == pytest.approx(-1.0)
    assert trade.pnl == pytest.approx(2.0 - 0.4 - 1.0)


def test_funding_goes_to_the_trade_open_when_it_was_booked() -> None:
    records = [
        _fill(1, True, 1.0, 100.0),
        _funding(2, -1.0),
        _fill(3, False, 3.0, 100.0),  # closes the long, opens a short of 2
        _funding(4, 0.7),
    ]

    long, short = build_trades(records, last_ts_ms=10, last_prices={SYMBOL: 99.0}).itertuples()

    assert (long.side, long.funding, long.pnl) == ("long", -1.0, pytest.approx(-1.0))
    assert (short.side, short.is_open, short.funding) == ("short", True, pytest.approx(0.7))
    assert short.pnl == pytest.approx(2 * (100.0 - 99.0) + 0.7)


def test_spot_trades_have_no_funding() -> None:
    records = [_fill(1, True, 1.0, 100.0), _fill(2, False, 1.0, 100.0)]

    [trade] = build_trades(records, last_ts_ms=3, last_prices={SYMBOL: 1.0}).itertuples()

    assert trade.funding == 0.0
