"""Portfolio ledger: hand-computed bookings, equity, and property-based conservation.

Float tolerance: hand-computed cases use a relative tolerance of 1e-12. The property
tests allow 1e-9 of the gross value that moved (capital plus the sum of |qty * price|
over all fills, times the contract size): float64 carries ~16 significant digits, and
a few hundred additions lose at most a few of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantbot.core import (
    AccountingError,
    FundingPayment,
    Instrument,
    InvalidValue,
    MissingPrice,
    Portfolio,
    Side,
)

from factories import make_fill

SPOT = Instrument.from_symbol("BTC/USDT")
PERP = Instrument.from_symbol("BTC/USDT:USDT")
BNB_PRICE = 300.0
approx = pytest.approx

_trade_ids = iter(range(10**9))


def book(
    portfolio: Portfolio,
    instrument: Instrument,
    side: Side,
    qty: float,
    price: float,
    *,
    fee: float = 0.0,
    fee_currency: str = "USDT",
    exchange: str = "binance",
) -> None:
    fill = make_fill(
        trade_id=f"t{next(_trade_ids)}",
        symbol=instrument.symbol,
        side=side,
        qty=qty,
        price=price,
        fee=fee,
        fee_currency=fee_currency,
    )
    portfolio.apply_fill(exchange, fill, instrument, fee_price=BNB_PRICE)


def funded(**assets: float) -> Portfolio:
    portfolio = Portfolio()
    for asset, amount in assets.items():
        portfolio.deposit("binance", asset, amount)
    return portfolio


# --- hand-computed bookings ------------------------------------------------------------


def test_spot_buy_swaps_quote_for_base_and_debits_the_fee() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, SPOT, Side.BUY, 2.0, 100.0, fee=0.2)
    assert portfolio.balance("binance", "USDT") == approx(799.8, rel=1e-12)
    assert portfolio.balance("binance", "BTC") == 2.0
    assert portfolio.equity("USDT", prices={"BTC": 110.0}) == approx(1_019.8, rel=1e-12)


def test_spot_sell_with_base_fee_and_bnb_fee_debit_their_assets() -> None:
    portfolio = funded(USDT=1_000.0, BNB=1.0)
    book(portfolio, SPOT, Side.BUY, 1.0, 100.0, fee=0.001, fee_currency="BTC")
    book(portfolio, SPOT, Side.SELL, 0.5, 120.0, fee=0.01, fee_currency="BNB")
    assert portfolio.balance("binance", "BTC") == approx(0.499, rel=1e-12)
    assert portfolio.balance("binance", "USDT") == approx(960.0, rel=1e-12)
    assert portfolio.balance("binance", "BNB") == approx(0.99, rel=1e-12)
    position = portfolio.position("binance", SPOT.symbol)
    assert position is not None
    assert position.qty == approx(portfolio.balance("binance", "BTC"), rel=1e-12)


def test_perpetual_fill_moves_only_realized_pnl_and_fees() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, PERP, Side.BUY, 1.0, 100.0, fee=0.05)
    assert portfolio.balance("binance", "USDT") == approx(999.95, rel=1e-12)
    assert portfolio.balance("binance", "BTC") == 0.0
    book(portfolio, PERP, Side.SELL, 0.5, 120.0, fee=0.03)
    # Realized 0.5 * (120 - 100) = 10.
    assert portfolio.balance("binance", "USDT") == approx(1_009.92, rel=1e-12)
    # Remaining 0.5 long from 100 marked at 90: -5.
    assert portfolio.equity("USDT", marks={PERP.symbol: 90.0}) == approx(1_004.92, rel=1e-12)


def test_funding_credits_the_settle_currency() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, PERP, Side.SELL, 3.0, 100.0)
    payment = FundingPayment.from_rate(
        ts_ms=0, symbol=PERP.symbol, rate=0.001, mark_price=100.0, position_qty=-3.0
    )
    portfolio.apply_funding("binance", payment, PERP)
    assert portfolio.balance("binance", "USDT") == approx(1_000.3, rel=1e-12)


def test_funding_for_spot_is_refused_without_touching_balances() -> None:
    portfolio = funded(USDT=1_000.0)
    payment = FundingPayment(
        ts_ms=0, symbol=SPOT.symbol, rate=0.0, mark_price=1.0, position_qty=0.0, amount=5.0
    )
    with pytest.raises(AccountingError):
        portfolio.apply_funding("binance", payment, SPOT)
    assert portfolio.balances == {("binance", "USDT"): 1_000.0}


def test_balances_and_positions_are_kept_per_exchange() -> None:
    portfolio = Portfolio()
    portfolio.deposit("binance", "USDT", 1_000.0)
    portfolio.deposit("bybit", "USDT", 500.0)
    book(portfolio, SPOT, Side.BUY, 1.0, 100.0, exchange="bybit")
    assert portfolio.balance("binance", "USDT") == 1_000.0
    assert portfolio.balance("bybit", "USDT") == 400.0
    assert portfolio.position("binance", SPOT.symbol) is None
    assert portfolio.equity("USDT", prices={"BTC": 100.0}, exchange="bybit") == 500.0
    assert portfolio.equity("USDT", prices={"BTC": 100.0}) == 1_500.0


def test_equity_refuses_to_value_a_held_asset_without_its_price() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, SPOT, Side.BUY, 1.0, 100.0)
    with pytest.raises(MissingPrice, match="BTC"):
        portfolio.equity("USDT")


def test_equity_refuses_an_open_perpetual_without_its_mark() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, PERP, Side.BUY, 1.0, 100.0)
    with pytest.raises(MissingPrice, match="mark"):
        portfolio.equity("USDT")


def test_equity_needs_no_price_for_an_asset_sold_out() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, SPOT, Side.BUY, 0.1, 100.0)
    book(portfolio, SPOT, Side.BUY, 0.2, 100.0)
    book(portfolio, SPOT, Side.SELL, 0.3, 100.0)  # 0.1 + 0.2 - 0.3 is 5.5e-17 in float64
    assert portfolio.equity("USDT") == approx(1_000.0, rel=1e-12)


def test_equity_converts_to_another_valuation_currency() -> None:
    portfolio = funded(USDT=1_000.0, BTC=0.5)
    equity_btc = portfolio.equity("BTC", prices={"USDT": 1 / 50_000.0})
    assert equity_btc == approx(0.52, rel=1e-12)


def test_withdrawal_beyond_the_balance_is_refused() -> None:
    portfolio = funded(USDT=100.0)
    with pytest.raises(AccountingError, match="exceeds"):
        portfolio.withdraw("binance", "USDT", 100.01)
    portfolio.withdraw("binance", "USDT", 100.0)
    assert portfolio.balance("binance", "USDT") == 0.0


@pytest.mark.parametrize("amount", [0.0, -5.0, float("nan")])
def test_deposit_must_be_positive(amount: float) -> None:
    with pytest.raises(InvalidValue):
        Portfolio().deposit("binance", "USDT", amount)


def test_fill_with_an_instrument_of_another_symbol_is_refused() -> None:
    portfolio = funded(USDT=1_000.0)
    with pytest.raises(AccountingError):
        portfolio.apply_fill("binance", make_fill(symbol="ETH/USDT"), SPOT)


def test_instrument_contradicting_the_open_position_is_refused() -> None:
    portfolio = funded(USDT=1_000.0)
    book(portfolio, PERP, Side.BUY, 1.0, 100.0)
    other_size = Instrument.from_symbol(PERP.symbol, contract_size=0.01)
    with pytest.raises(AccountingError, match="contradicts"):
        book(portfolio, other_size, Side.BUY, 1.0, 100.0)


def test_refused_fill_leaves_no_position_and_no_balance_change() -> None:
    portfolio = funded(USDT=1_000.0)
    fill = make_fill(fee=0.01, fee_currency="BNB")
    with pytest.raises(MissingPrice):
        portfolio.apply_fill("binance", fill, SPOT)
    assert portfolio.positions == {}
    assert portfolio.balances == {("binance", "USDT"): 1_000.0}


# --- property-based accounting ---------------------------------------------------------

CAPITAL = {"USDT": 10_000.0, "BNB": 10.0}
qtys = st.one_of(st.sampled_from([0.5, 1.0, 2.0]), st.floats(0.001, 5.0))
prices = st.floats(1.0, 1_000.0)
fee_rates = st.floats(-0.0005, 0.002)


@dataclass
class Tally:
    """What the test adds up itself, independently of the ledger."""

    capital: dict[str, float] = field(default_factory=lambda: dict(CAPITAL))
    fees: dict[str, float] = field(default_factory=lambda: {"USDT": 0.0, "BTC": 0.0, "BNB": 0.0})
    base_fee_value: float = 0.0
    signed_qty: float = 0.0
    signed_notional: float = 0.0
    gross: float = 0.0
    funding: float = 0.0

    def record_fill(self, side: Side, qty: float, price: float, fee: float, currency: str) -> None:
        self.signed_qty += side.sign * qty
        self.signed_notional += side.sign * qty * price
        self.gross += qty * price + abs(fee) * (price if currency == "BTC" else 1.0)
        self.fees[currency] += fee
        if currency == "BTC":
            self.base_fee_value += fee * price

    def capital_value(self) -> float:
        return self.capital["USDT"] + self.capital["BNB"] * BNB_PRICE

    def fee_value(self) -> float:
        """Fees in USDT, each valued when charged (base fees at their fill price)."""
        return self.fees["USDT"] + self.fees["BNB"] * BNB_PRICE + self.base_fee_value


def fee_amount(currency: str, rate: float, qty: float, price: float) -> float:
    notional = qty * price
    by_currency = {"USDT": rate * notional, "BTC": rate * qty, "BNB": rate * notional / BNB_PRICE}
    return by_currency[currency]


def start() -> Portfolio:
    portfolio = Portfolio()
    for asset, amount in CAPITAL.items():
        portfolio.deposit("binance", asset, amount)
    return portfolio


@dataclass(frozen=True)
class FillStep:
    side: Side
    qty: float
    price: float
    fee_rate: float
    fee_currency: str


@dataclass(frozen=True)
class CapitalStep:
    """A deposit of ``amount`` if positive, else a withdrawal of that balance fraction."""

    asset: str
    amount: float


@dataclass(frozen=True)
class FundingStep:
    rate: float
    mark: float


def move_capital(portfolio: Portfolio, tally: Tally, step: CapitalStep) -> None:
    if step.amount > 0:
        portfolio.deposit("binance", step.asset, step.amount)
        tally.capital[step.asset] += step.amount
        return
    out = -step.amount * portfolio.balance("binance", step.asset)
    if out > 0:
        portfolio.withdraw("binance", step.asset, out)
        tally.capital[step.asset] -= out


def assert_close(actual: float, expected: float, scale: float, what: str) -> None:
    assert abs(actual - expected) <= 1e-9 * scale + 1e-9, f"{what}: {actual} != {expected}"


def fill_steps(*currencies: str) -> st.SearchStrategy[FillStep]:
    return st.builds(
        FillStep, st.sampled_from(Side), qtys, prices, fee_rates, st.sampled_from(currencies)
    )


capital_steps = st.builds(CapitalStep, st.sampled_from(["USDT", "BNB"]), st.floats(-1.0, 5_000.0))
funding_steps = st.builds(FundingStep, st.floats(-0.001, 0.001), prices)


def run_fill(portfolio: Portfolio, tally: Tally, instrument: Instrument, step: FillStep) -> None:
    fee = fee_amount(step.fee_currency, step.fee_rate, step.qty, step.price)
    book(
        portfolio, instrument, step.side, step.qty, step.price,
        fee=fee, fee_currency=step.fee_currency,
    )  # fmt: skip
    tally.record_fill(step.side, step.qty, step.price, fee, step.fee_currency)


@settings(deadline=None)
@given(st.lists(st.one_of(fill_steps("USDT", "BTC", "BNB"), capital_steps), max_size=40), prices)
def test_spot_fill_sequences_conserve_value(
    steps: list[FillStep | CapitalStep], mark: float
) -> None:
    portfolio, tally = start(), Tally()
    for step in steps:
        if isinstance(step, CapitalStep):
            move_capital(portfolio, tally, step)
        else:
            run_fill(portfolio, tally, SPOT, step)
    scale = tally.capital_value() + tally.gross + abs(tally.signed_qty) * mark

    # (c) No value from nothing: per asset, the balance is capital in minus capital out,
    # plus the fill flows, minus the fees charged in that asset.
    expected = {
        "USDT": tally.capital["USDT"] - tally.signed_notional - tally.fees["USDT"],
        "BTC": tally.signed_qty - tally.fees["BTC"],
        "BNB": tally.capital["BNB"] - tally.fees["BNB"],
    }
    for asset, amount in expected.items():
        assert_close(portfolio.balance("binance", asset), amount, scale, asset)

    position = portfolio.position("binance", SPOT.symbol)
    if position is None:
        assert tally.gross == 0.0
        return
    # (b) The spot position is the signed sum of the fills, net of base-asset fees.
    assert_close(position.qty, tally.signed_qty - tally.fees["BTC"], scale, "position")
    assert_close(position.fees_paid, tally.fee_value(), scale, "fees")
    # (a) The equity change is realized + unrealized PnL minus fees.
    equity = portfolio.equity("USDT", prices={"BTC": mark, "BNB": BNB_PRICE})
    assert_close(equity - tally.capital_value(), position.net_pnl(mark), scale, "equity")
    # The price PnL is the mark-to-market gain of the trades (fee coins left at p).
    gain = position.qty * mark - (tally.signed_notional - tally.base_fee_value)
    pnl = position.realized_pnl + position.unrealized_pnl(mark)
    assert_close(pnl, gain, scale, "price pnl")


@settings(deadline=None)
@given(
    st.lists(st.one_of(fill_steps("USDT", "BNB"), funding_steps, capital_steps), max_size=40),
    prices,
    st.sampled_from([1.0, 0.001, 10.0]),
)
def test_perpetual_fill_and_funding_sequences_conserve_value(
    steps: list[FillStep | CapitalStep | FundingStep],
    mark: float,
    contract_size: float,
) -> None:
    perp = Instrument.from_symbol("BTC/USDT:USDT", contract_size=contract_size)
    portfolio, tally = start(), Tally()
    for step in steps:
        if isinstance(step, CapitalStep):
            move_capital(portfolio, tally, step)
        elif isinstance(step, FillStep):
            run_fill(portfolio, tally, perp, step)
        else:
            held = portfolio.position("binance", perp.symbol)
            payment = FundingPayment.from_rate(
                ts_ms=0,
                symbol=perp.symbol,
                rate=step.rate,
                mark_price=step.mark,
                position_qty=0.0 if held is None else held.qty,
                contract_size=contract_size,
            )
            portfolio.apply_funding("binance", payment, perp)
            tally.funding += payment.amount
            tally.gross += abs(payment.amount)
    scale = tally.capital_value() + contract_size * (tally.gross + abs(tally.signed_qty) * mark)

    position = portfolio.position("binance", perp.symbol)
    realized = 0.0 if position is None else position.realized_pnl
    # (c) No value from nothing: no notional moves; USDT gets capital, realized PnL and
    # funding, less its fees; BNB only pays fees.
    expected = {
        "USDT": tally.capital["USDT"] + realized + tally.funding - tally.fees["USDT"],
        "BTC": 0.0,
        "BNB": tally.capital["BNB"] - tally.fees["BNB"],
    }
    for asset, amount in expected.items():
        assert_close(portfolio.balance("binance", asset), amount, scale, asset)
    if position is None:
        return
    # (b) A perpetual position is exactly the signed sum of its fills.
    assert_close(position.qty, tally.signed_qty, scale, "position")
    assert_close(position.funding_net, tally.funding, scale, "funding")
    assert_close(position.fees_paid, tally.fee_value(), scale, "fees")
    # Realized + unrealized is the mark-to-market gain, independent of the averaging.
    gain = contract_size * (tally.signed_qty * mark - tally.signed_notional)
    pnl = position.realized_pnl + position.unrealized_pnl(mark)
    assert_close(pnl, gain, scale, "price pnl")
    # (a) The equity change is realized + unrealized PnL minus fees plus funding.
    equity = portfolio.equity("USDT", prices={"BNB": BNB_PRICE}, marks={perp.symbol: mark})
    assert_close(equity - tally.capital_value(), position.net_pnl(mark), scale, "equity")


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([SPOT, PERP]),
            st.sampled_from(["binance", "bybit"]),
            st.sampled_from(Side),
            qtys,
            fee_rates,
            st.sampled_from(["USDT", "BTC", "BNB"]),
        ),
        max_size=30,
    ),
    prices,
)
def test_trading_at_one_price_changes_equity_by_exactly_the_fees(
    steps: list[tuple[Instrument, str, Side, float, float, str]], price: float
) -> None:
    # With every fill and the valuation at one common price there is no PnL to make, so
    # whatever the sequence, equity can only shrink by the fees (or grow by rebates).
    portfolio = Portfolio()
    for exchange in ("binance", "bybit"):
        for asset, amount in CAPITAL.items():
            portfolio.deposit(exchange, asset, amount)
    before = portfolio.equity("USDT", prices={"BNB": BNB_PRICE})
    fees = gross = 0.0
    for instrument, exchange, side, qty, rate, currency in steps:
        fee = fee_amount(currency, rate, qty, price)
        book(portfolio, instrument, side, qty, price, fee=fee, fee_currency=currency,
             exchange=exchange)  # fmt: skip
        fees += fee * {"USDT": 1.0, "BTC": price, "BNB": BNB_PRICE}[currency]
        gross += qty * price
    marks = {PERP.symbol: price}
    after = portfolio.equity("USDT", prices={"BTC": price, "BNB": BNB_PRICE}, marks=marks)
    assert_close(after - before, -fees, before + gross, "equity change")
