"""The risk manager's portfolio rules as pre-trade checks (issue 7, REQUIREMENTS.md §7).

They run after the venue rules, in this order (:func:`portfolio_rule_checks`):

- ``asset_list``: whitelist and blacklist of base assets; whether an asset may be
  traded at all comes before how much of it;
- (1) ``max_order_size_usd`` (the cut comes first, so that the risk is measured on
  what is sent) and ``max_risk_per_trade_pct``;
- (2) ``max_total_exposure_pct``;
- (3) ``max_single_pair_exposure_pct``;
- (4) ``max_correlated_exposure_pct``;
- ``max_capital_per_exchange_pct`` and ``leverage_cap``, the other exposure limits;
- (5) circuit breaker active and (6) recovery-mode resize: the breakers' own checks,
  which :func:`portfolio_rule_checks` places here when given;
- (7) ``reserve_cash_pct``, on the size the recovery mode left.

Every rule but one rejects, never resizes: the strategy sized the trade by its own
logic (a grid level, a stop distance), and a smaller order would hide which limit
bound; the rejection names the rule and the numbers, e.g. ``max_total_exposure_pct
60: 5,400 + 1,200 = 6,600 USDT is 66.0 % of 10,000 equity, above 6,000``. The
exception is ``max_order_size_usd``, a cap on one order rather than a bound on the
portfolio: an order opening more is cut to it (the decision says so), so that a
strategy staking a share of a growing equity keeps trading at the cap, as a desk's
fat-finger limit would have it sliced, instead of stopping altogether.

What opens nothing passes every rule: reduce-only orders and orders that only reduce
the position of their symbol (:func:`~quantbot.risk.exposure.opening_qty`). Of an
order that flips a position, only the opening part counts. An exposure rule rejects
an order only if it raises the exposure the rule measures above the bound, so an
order lowering an exposure that prices pushed past it passes. Bounds have a relative
tolerance of 1e-9, so that an order sized exactly to a limit passes despite float
rounding; a cent above any real limit is far beyond it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from quantbot.core import Side
from quantbot.risk.chain import (
    CheckAction,
    CheckDecision,
    OrderIntent,
    PreTradeCheck,
    PreTradeState,
    amended,
)
from quantbot.risk.correlation import merge_groups
from quantbot.risk.exposure import (
    PortfolioState,
    as_portfolio_state,
    exposure_change,
    opening_qty,
)
from quantbot.risk.limits import RiskLimits

__all__ = [
    "AssetListCheck",
    "CorrelatedExposureCheck",
    "ExchangeCapitalCheck",
    "LeverageCapCheck",
    "MaxOrderSizeCheck",
    "ReserveCashCheck",
    "RiskPerTradeCheck",
    "SinglePairExposureCheck",
    "TotalExposureCheck",
    "portfolio_rule_checks",
]

_TOLERANCE = 1e-9
"""Relative slack on every bound (module docstring)."""


@dataclass(frozen=True, slots=True)
class AssetListCheck:
    """Only whitelisted base assets (all when the list is empty), never blacklisted ones.

    Closing orders pass: a position in an asset blacklisted after it was opened must
    stay closable.
    """

    whitelist: frozenset[str] = frozenset()
    blacklist: frozenset[str] = frozenset()
    name = "asset_list"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject opening orders in assets the lists exclude."""
        if _opening(intent, state) == 0.0:
            return _approve(self.name, intent)
        base = state.instrument(intent.symbol).base
        if base in self.blacklist:
            return _reject(self.name, intent, f"asset_blacklist: {base} is blacklisted")
        if self.whitelist and base not in self.whitelist:
            listed = ", ".join(sorted(self.whitelist))
            return _reject(
                self.name, intent, f"asset_whitelist: {base} is not whitelisted ({listed})"
            )
        return _approve(self.name, intent)


@dataclass(frozen=True, slots=True)
class RiskPerTradeCheck:
    """Rule 1: the loss at the declared stop may not exceed a share of equity.

    The risk is ``|entry - stop_loss| x opening qty x contract size``, the entry being
    the order's reference price. Orders without a stop declare no risk; this rule does
    not check them (the size and exposure rules still do).
    """

    max_risk_per_trade_pct: float
    name = "max_risk_per_trade_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders whose declared risk exceeds ``max_risk_per_trade_pct`` of equity."""
        opening = _opening(intent, state)
        if intent.stop_loss is None or opening == 0.0:
            return _approve(self.name, intent)
        instrument = state.instrument(intent.symbol)
        entry = intent.reference_price(state.last_price(intent.symbol))
        qty = opening * instrument.contract_size
        risk = abs(entry - intent.stop_loss) * qty
        equity = as_portfolio_state(state).equity_usd()
        bound = self.max_risk_per_trade_pct * equity / 100.0
        if not _exceeds(risk, bound):
            return _approve(self.name, intent)
        return _reject(
            self.name,
            intent,
            f"{self.name} {self.max_risk_per_trade_pct:g}: |{entry:g} - {intent.stop_loss:g}| "
            f"x {qty:g} = {_usd(risk)} {instrument.quote} at risk {_share(risk, equity)}, "
            f"above {_usd(bound)}",
        )


@dataclass(frozen=True, slots=True)
class MaxOrderSizeCheck:
    """Rule 1: the notional an order opens, at its reference price, has a ceiling.

    An order opening more is cut to the ceiling (its closing part, if it flips a
    position, is kept whole); the lot-size and minimum-notional rules the chain runs
    last then apply to the cut order.
    """

    max_order_size_usd: float
    name = "max_order_size_usd"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Cut orders opening more than ``max_order_size_usd`` down to it."""
        opening = _opening(intent, state)
        instrument = state.instrument(intent.symbol)
        price = intent.reference_price(state.last_price(intent.symbol))
        qty = opening * instrument.contract_size
        notional = qty * price
        if not _exceeds(notional, self.max_order_size_usd):
            return _approve(self.name, intent)
        allowed = self.max_order_size_usd / (price * instrument.contract_size)
        return amended(
            self.name,
            intent,
            f"{self.name} {self.max_order_size_usd:g}: {qty:g} x {price:g} = {_usd(notional)} "
            f"{instrument.quote} opened, cut to {_usd(self.max_order_size_usd)}",
            qty=intent.qty - opening + allowed,
        )


@dataclass(frozen=True, slots=True)
class TotalExposureCheck:
    """Rule 2: gross exposure of every symbol, in % of equity."""

    max_total_exposure_pct: float
    name = "max_total_exposure_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders raising the total exposure above its share of equity."""
        return _limit_exposure(self.name, self.max_total_exposure_pct, intent, state, _every_symbol)


@dataclass(frozen=True, slots=True)
class SinglePairExposureCheck:
    """Rule 3: exposure of the order's symbol, in % of equity."""

    max_single_pair_exposure_pct: float
    name = "max_single_pair_exposure_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders raising their symbol's exposure above its share of equity."""
        return _limit_exposure(
            self.name, self.max_single_pair_exposure_pct, intent, state, _own_symbol
        )


@dataclass(frozen=True, slots=True)
class CorrelatedExposureCheck:
    """Rule 4: exposure of every symbol whose base asset is in the order's group.

    The groups are the configured ones merged with the rolling correlation's
    (:meth:`~quantbot.risk.exposure.PortfolioState.rolling_correlation_groups`). An
    asset in no group is a group of its own, so its spot and perpetual markets are
    counted together.
    """

    max_correlated_exposure_pct: float
    groups: tuple[tuple[str, ...], ...] = ()
    name = "max_correlated_exposure_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders raising their group's exposure above its share of equity."""
        return _limit_exposure(
            self.name, self.max_correlated_exposure_pct, intent, state, self._group
        )

    def _group(self, intent: OrderIntent, portfolio: PortfolioState) -> _Scope:
        base = portfolio.instrument(intent.symbol).base
        merged = _merged_groups(self.groups, tuple(portfolio.rolling_correlation_groups()))
        group = next((g for g in merged if base in g), frozenset({base}))
        symbols = [
            symbol
            for symbol in portfolio.symbols_with_exposure()
            if portfolio.instrument(symbol).base in group
        ]
        return "+".join(sorted(group)) + " ", symbols


@dataclass(frozen=True, slots=True)
class ExchangeCapitalCheck:
    """Exposure held on the order's exchange, in % of equity (all exchanges')."""

    max_capital_per_exchange_pct: float
    name = "max_capital_per_exchange_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders raising their exchange's exposure above its share of equity."""
        return _limit_exposure(
            self.name, self.max_capital_per_exchange_pct, intent, state, _same_exchange
        )


@dataclass(frozen=True, slots=True)
class LeverageCapCheck:
    """Portfolio leverage, gross exposure / equity, never above the cap after an order."""

    leverage_cap: float
    name = "leverage_cap"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders raising the portfolio leverage above ``leverage_cap``."""
        return _limit_exposure(
            self.name, self.leverage_cap, intent, state, _every_symbol, leverage=True
        )


@dataclass(frozen=True, slots=True)
class ReserveCashCheck:
    """Rule 7: the stablecoin cash left after an order stays >= a share of equity.

    What an order spends: a spot buy its notional at the reference price plus the taker
    fee; an opening perpetual order its initial margin (notional / leverage) plus the
    fee. Spot sells spend nothing.
    """

    reserve_cash_pct: float
    name = "reserve_cash_pct"

    def check(self, intent: OrderIntent, state: PreTradeState) -> CheckDecision:
        """Reject orders that would leave less than ``reserve_cash_pct`` of equity in cash."""
        opening = _opening(intent, state)
        instrument = state.instrument(intent.symbol)
        if opening == 0.0 or (not instrument.is_perpetual and intent.side is Side.SELL):
            return _approve(self.name, intent)
        price = intent.reference_price(state.last_price(intent.symbol))
        fee_rate = state.taker_fee_rate()
        if instrument.is_perpetual:
            per_unit = (
                price * instrument.contract_size * (1.0 / state.leverage(intent.symbol) + fee_rate)
            )
        else:
            per_unit = price * (1.0 + fee_rate)
        cost = opening * per_unit
        portfolio = as_portfolio_state(state)
        cash = portfolio.stable_cash_usd()
        equity = portfolio.equity_usd()
        bound = self.reserve_cash_pct * equity / 100.0
        left = cash - cost
        if left >= bound - _TOLERANCE * abs(bound):
            return _approve(self.name, intent)
        return _reject(
            self.name,
            intent,
            f"{self.name} {self.reserve_cash_pct:g}: {_usd(cash)} - {_usd(cost)} = "
            f"{_usd(left)} {instrument.quote} cash left {_share(left, equity)}, "
            f"below {_usd(bound)}",
        )


def portfolio_rule_checks(
    limits: RiskLimits, *, breaker_checks: Sequence[PreTradeCheck] = ()
) -> list[PreTradeCheck]:
    """The portfolio rules in the order they run (module docstring).

    Args:
        limits: the numbers to enforce.
        breaker_checks: rules 5 and 6, the circuit breaker's rejection and the
            recovery mode's resize, placed after the exposure limits and before the
            reserve cash, which is then checked on the resized order.

    Returns:
        The checks, to append to the venue rules' chain.
    """
    return [
        AssetListCheck(limits.asset_whitelist, limits.asset_blacklist),
        MaxOrderSizeCheck(limits.max_order_size_usd),
        RiskPerTradeCheck(limits.max_risk_per_trade_pct),
        TotalExposureCheck(limits.max_total_exposure_pct),
        SinglePairExposureCheck(limits.max_single_pair_exposure_pct),
        CorrelatedExposureCheck(limits.max_correlated_exposure_pct, limits.correlation_groups),
        ExchangeCapitalCheck(limits.max_capital_per_exchange_pct),
        LeverageCapCheck(limits.leverage_cap),
        *breaker_checks,
        ReserveCashCheck(limits.reserve_cash_pct),
    ]


_Scope = tuple[str, Iterable[str]]
"""What an exposure rule measures: its name in the message (``BTC+ETH ``) and its symbols
(the order's own is always included)."""


def _every_symbol(intent: OrderIntent, portfolio: PortfolioState) -> _Scope:
    return "", portfolio.symbols_with_exposure()


def _own_symbol(intent: OrderIntent, portfolio: PortfolioState) -> _Scope:
    return f"{intent.symbol} ", ()


def _same_exchange(intent: OrderIntent, portfolio: PortfolioState) -> _Scope:
    exchange = portfolio.exchange_of(intent.symbol)
    symbols = [s for s in portfolio.symbols_with_exposure() if portfolio.exchange_of(s) == exchange]
    return f"{exchange} ", symbols


def _limit_exposure(
    name: str,
    limit: float,
    intent: OrderIntent,
    state: PreTradeState,
    scope_of: Callable[[OrderIntent, PortfolioState], _Scope],
    *,
    leverage: bool = False,
) -> CheckDecision:
    """Approve, or reject when the order raises the exposure ``scope_of`` measures past the limit.

    Closing orders pass (module docstring). The bound is ``limit`` % of equity, or
    ``limit`` times equity when ``leverage``.
    """
    if _opening(intent, state) == 0.0:
        return _approve(name, intent)
    portfolio = as_portfolio_state(state)
    scope, symbols = scope_of(intent, portfolio)
    equity = portfolio.equity_usd()
    bound = limit * equity if leverage else limit * equity / 100.0
    change = exposure_change(intent, portfolio, symbols)
    if change.after_usd <= change.before_usd or not _exceeds(change.after_usd, bound):
        return _approve(name, intent)
    quote = portfolio.instrument(intent.symbol).quote
    return _reject(
        name,
        intent,
        f"{name} {limit:g}: {scope}{_usd(change.before_usd)} + {_usd(change.added_usd)} = "
        f"{_usd(change.after_usd)} {quote} {_share(change.after_usd, equity, leverage=leverage)}, "
        f"above {_usd(bound)}",
    )


@lru_cache(maxsize=64)
def _merged_groups(
    configured: tuple[tuple[str, ...], ...], rolling: tuple[frozenset[str], ...]
) -> tuple[frozenset[str], ...]:
    """:func:`merge_groups`, remembered: the rolling groups change once a day at most."""
    return merge_groups(configured, rolling)


def _opening(intent: OrderIntent, state: PreTradeState) -> float:
    return opening_qty(intent, state.position_qty(intent.symbol))


def _exceeds(value: float, bound: float) -> bool:
    return value > bound + _TOLERANCE * abs(bound)


def _usd(amount: float) -> str:
    """``5,400`` or ``6,000.01``: thousands separated, cents only when there are any."""
    return f"{amount:,.2f}".removesuffix(".00")


def _share(amount: float, equity: float, *, leverage: bool = False) -> str:
    """``is 66.0 % of 10,000 equity`` (or ``is 3.10x the 10,000 equity``)."""
    if equity <= 0.0:
        return f"with equity at {_usd(equity)}"
    if leverage:
        return f"is {amount / equity:.2f}x the {_usd(equity)} equity"
    return f"is {100.0 * amount / equity:.1f} % of {_usd(equity)} equity"


def _approve(check: str, intent: OrderIntent) -> CheckDecision:
    return CheckDecision(check, CheckAction.APPROVE, intent)


def _reject(check: str, intent: OrderIntent, reason: str) -> CheckDecision:
    return CheckDecision(check, CheckAction.REJECT, intent, reason)
