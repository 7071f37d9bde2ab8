"""Models of ``settings.yaml``: bot, exchanges, risk, alerts, scheduling, storage, logs.

Defaults are the documented ones (docs/configuration.md is generated from the
``description`` of every field); exchange fees default to the research table for the
exchanges quantbot knows.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import Field, field_validator, model_validator

from quantbot.config.base import (
    ConfigModel,
    EnvVarName,
    HttpUrlText,
    Percent,
    PositiveInt,
    Symbol,
    Timeframe,
    check_rules,
)

__all__ = [
    "FEE_TABLE",
    "AfterCircuitBreaker",
    "AlertsSettings",
    "BacktestSettings",
    "BotSettings",
    "DataQualitySettings",
    "DatabaseSettings",
    "ExchangeSettings",
    "LoggingSettings",
    "PathsSettings",
    "RiskManagement",
    "SchedulingSettings",
    "Settings",
    "StrategyEntry",
    "TelegramSettings",
    "UniverseSettings",
]

FEE_TABLE: dict[str, tuple[float, float]] = {
    "binance": (0.075, 0.10),
    "bybit": (0.01, 0.06),
    "okx": (0.08, 0.10),
    "kraken": (0.16, 0.26),
    "coinbase": (0.40, 0.60),
    "kucoin": (0.10, 0.10),
}
"""Default (maker, taker) fees in percent per exchange id. Binance's maker fee is the
0.075 % of paying fees in BNB, as the blueprint assumes."""

_EXCHANGE_ID = re.compile(r"^[a-z][a-z0-9]*$")
_HH_MM = re.compile(r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")

FeePct = Annotated[float, Field(ge=-1.0, le=5.0)]


class BotSettings(ConfigModel):
    """Identity and operating mode of the bot."""

    name: str = Field(
        "CryptoQuantBot", min_length=1, description="Name shown in logs, alerts and reports."
    )
    mode: Literal["paper", "live"] = Field(
        "paper",
        description="paper: live market data, simulated fills. live: real orders; needs "
        "--confirm-live and API keys in the environment.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Lowest level written to the console and the log file."
    )
    timezone: str = Field(
        "UTC",
        description="IANA time zone for human-facing times (daily report, console) and for "
        "the day, week and month of the loss-limit circuit breakers. Storage and logs are "
        "always UTC.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value != "UTC" and value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)")
        return value


class ExchangeSettings(ConfigModel):
    """One exchange account. Secrets are read from the named environment variables."""

    enabled: bool = Field(False, description="Connect to this exchange.")
    api_key_env: EnvVarName | None = Field(
        None,
        description="Environment variable holding the API key. Default: <EXCHANGE>_API_KEY "
        "(e.g. BINANCE_API_KEY).",
    )
    api_secret_env: EnvVarName | None = Field(
        None,
        description="Environment variable holding the API secret. Default: <EXCHANGE>_API_SECRET.",
    )
    api_password_env: EnvVarName | None = Field(
        None,
        description="Environment variable holding the API passphrase, for exchanges that "
        "have one (OKX, KuCoin, Coinbase). Default: none.",
    )
    sandbox: bool = Field(
        True, description="Use the exchange's testnet/sandbox (ccxt set_sandbox_mode)."
    )
    rate_limit_ms: int = Field(100, ge=0, description="Minimum milliseconds between two API calls.")
    emulator_url: HttpUrlText | None = Field(
        None,
        description="Base URL of a quantbot exchange emulator (e.g. http://127.0.0.1:8765) that "
        "replaces every endpoint of this exchange, for tests and offline runs; null uses the "
        "real exchange.",
    )
    maker_fee_pct: FeePct | None = Field(
        None,
        description="Maker fee in percent (0.075 = 0.075 %). Default from the fee table: binance "
        "0.075, bybit 0.01, okx 0.08, kraken 0.16, coinbase 0.40, kucoin 0.10; required for "
        "other exchanges.",
    )
    taker_fee_pct: FeePct | None = Field(
        None,
        description="Taker fee in percent. Default from the fee table: binance 0.10, bybit "
        "0.06, okx 0.10, kraken 0.26, coinbase 0.60, kucoin 0.10; required for other exchanges.",
    )

    def with_defaults(self, exchange_id: str) -> ExchangeSettings:
        """Fill the name-derived defaults (env variable names, fee table) for ``exchange_id``."""
        maker, taker = FEE_TABLE.get(exchange_id, (None, None))
        prefix = exchange_id.upper()
        return self.model_copy(
            update={
                "api_key_env": self.api_key_env or f"{prefix}_API_KEY",
                "api_secret_env": self.api_secret_env or f"{prefix}_API_SECRET",
                "maker_fee_pct": self.maker_fee_pct if self.maker_fee_pct is not None else maker,
                "taker_fee_pct": self.taker_fee_pct if self.taker_fee_pct is not None else taker,
            }
        )


class AfterCircuitBreaker(ConfigModel):
    """How trading resumes after a daily circuit breaker."""

    reduce_position_sizes_by_pct: Percent = Field(
        50.0, description="Order sizes are cut by this percentage during the recovery period."
    )
    recovery_period_hours: float = Field(
        48.0, ge=0, description="Length of the recovery period in hours."
    )
    resume_after_hours: float = Field(
        24.0, gt=0, description="Trading resumes (into recovery) this long after a daily break."
    )


class CorrelationSettings(ConfigModel):
    """Which pairs count as one exposure for max_correlated_exposure_pct."""

    groups: list[list[str]] = Field(
        default_factory=lambda: [["BTC", "ETH"]],
        description="Base assets always counted together (e.g. [[BTC, ETH], [SOL, AVAX]]).",
    )
    threshold: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Pairs whose rolling return correlation exceeds this join one group too.",
    )
    window_days: PositiveInt = Field(
        30, description="Length of the rolling window of daily returns for the correlation."
    )


class DrawdownBrakes(ConfigModel):
    """Progressive brakes as equity falls from its peak (on by default)."""

    enabled: bool = Field(True, description="Apply the drawdown brakes.")
    levels_pct: list[float] = Field(
        default_factory=lambda: [5.0, 10.0, 15.0],
        min_length=1,
        description="Drawdowns from peak equity, in percent, at which each level engages; "
        "at the last one no new position is opened.",
    )
    tp_reduction_factor_level_1: float = Field(
        0.7, gt=0, le=1, description="Take-profit distances are multiplied by this from level 1."
    )
    size_reduction_factor_level_2: float = Field(
        0.5, gt=0, le=1, description="Order sizes are multiplied by this from level 2."
    )
    leverage_reduction_factor_level_2: float = Field(
        0.6, gt=0, le=1, description="The leverage cap is multiplied by this from level 2."
    )

    @field_validator("levels_pct")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(level <= 0 or level >= 100 for level in value):
            raise ValueError("every level is a drawdown between 0 and 100 percent")
        if any(b <= a for a, b in pairwise(value)):
            raise ValueError("levels must increase (e.g. [5, 10, 15])")
        return value


class OperationalBreakers(ConfigModel):
    """Breakers on the plumbing rather than the P&L."""

    max_api_errors_per_minute: PositiveInt = Field(
        10, description="More API errors than this in a minute pause that exchange."
    )
    exchange_pause_minutes: float = Field(
        5.0, gt=0, description="How long an exchange stays paused after too many API errors."
    )
    price_shock_pct: float = Field(
        10.0,
        gt=0,
        description="A pair moving more than this within a minute has its pending orders canceled.",
    )


class RiskManagement(ConfigModel):
    """Portfolio-wide limits every order is checked against (percent of equity)."""

    max_risk_per_trade_pct: Percent = Field(
        2.0, gt=0, description="Largest loss one trade may risk at its stop."
    )
    max_order_size_usd: float = Field(
        500.0,
        gt=0,
        description="Largest notional a single order may open, in USD; a larger order is cut to it.",
    )
    max_total_exposure_pct: Percent = Field(
        60.0, gt=0, description="Largest total exposure across all positions."
    )
    max_single_pair_exposure_pct: Percent = Field(
        20.0, gt=0, description="Largest exposure to one pair."
    )
    max_correlated_exposure_pct: Percent = Field(
        35.0, gt=0, description="Largest exposure to a group of correlated pairs (e.g. BTC+ETH)."
    )
    daily_loss_limit_pct: Percent = Field(
        3.0, gt=0, description="Daily loss that trips the daily circuit breaker."
    )
    weekly_loss_limit_pct: Percent = Field(
        7.0, gt=0, description="Weekly loss that trips the weekly circuit breaker."
    )
    monthly_loss_limit_pct: Percent = Field(
        12.0,
        gt=0,
        description="Monthly loss that trips the monthly circuit breaker (full shutdown).",
    )
    max_capital_per_exchange_pct: Percent = Field(
        60.0, gt=0, description="Largest share of capital held on one exchange."
    )
    reserve_cash_pct: Percent = Field(
        20.0, description="Share of equity always kept in stablecoins."
    )
    after_circuit_breaker: AfterCircuitBreaker = Field(
        default_factory=AfterCircuitBreaker, description="Recovery after a daily circuit breaker."
    )
    leverage_cap: float = Field(
        6.0,
        ge=1,
        description="Largest portfolio leverage (gross exposure over equity) any order may reach.",
    )
    asset_whitelist: list[str] = Field(
        default_factory=list,
        description="Base assets that may be traded; empty: all (minus the blacklist).",
    )
    asset_blacklist: list[str] = Field(
        default_factory=list, description="Base assets that are never bought or sold short."
    )
    correlation: CorrelationSettings = Field(
        default_factory=CorrelationSettings, description="Correlated exposure groups."
    )
    drawdown_brakes: DrawdownBrakes = Field(
        default_factory=DrawdownBrakes, description="Brakes as equity falls from its peak."
    )
    operational: OperationalBreakers = Field(
        default_factory=OperationalBreakers, description="API-error and price-shock breakers."
    )

    @model_validator(mode="after")
    def _coherent_limits(self) -> RiskManagement:
        problems: list[tuple[str, str]] = []
        if self.weekly_loss_limit_pct < self.daily_loss_limit_pct:
            problems.append(
                (
                    "weekly_loss_limit_pct",
                    f"{self.weekly_loss_limit_pct} is below daily_loss_limit_pct "
                    f"{self.daily_loss_limit_pct}; a week contains its days, so the weekly "
                    "limit must be at least the daily one",
                )
            )
        if self.monthly_loss_limit_pct < self.weekly_loss_limit_pct:
            problems.append(
                (
                    "monthly_loss_limit_pct",
                    f"{self.monthly_loss_limit_pct} is below weekly_loss_limit_pct "
                    f"{self.weekly_loss_limit_pct}; the monthly limit must be at least the weekly one",
                )
            )
        for key in ("max_single_pair_exposure_pct", "max_correlated_exposure_pct"):
            value = getattr(self, key)
            if value > self.max_total_exposure_pct:
                problems.append(
                    (
                        key,
                        f"{value} exceeds max_total_exposure_pct {self.max_total_exposure_pct}; "
                        "a part of the exposure cannot be allowed more than the whole",
                    )
                )
        both = sorted(set(self.asset_whitelist) & set(self.asset_blacklist))
        if both:
            problems.append(
                (
                    "asset_blacklist",
                    f"{', '.join(both)} also in asset_whitelist; an asset is either allowed or not",
                )
            )
        if self.max_total_exposure_pct + self.reserve_cash_pct > 100:
            problems.append(
                (
                    "reserve_cash_pct",
                    f"{self.reserve_cash_pct} plus max_total_exposure_pct "
                    f"{self.max_total_exposure_pct} exceeds 100; the reserve could never be kept",
                )
            )
        check_rules(problems)
        return self


class TelegramSettings(ConfigModel):
    """Telegram alerts. The token and chat id are read from the named variables."""

    enabled: bool = Field(False, description="Send alerts and reports to Telegram.")
    bot_token_env: EnvVarName = Field(
        "TELEGRAM_BOT_TOKEN", description="Environment variable holding the bot token."
    )
    chat_id_env: EnvVarName = Field(
        "TELEGRAM_CHAT_ID", description="Environment variable holding the chat id."
    )
    daily_report_time: str = Field("08:00", description="Time of the daily report, HH:MM in UTC.")

    @field_validator("daily_report_time")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HH_MM.match(value):
            raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 08:00")
        return value


class AlertsSettings(ConfigModel):
    """Alert channels."""

    telegram: TelegramSettings = Field(
        default_factory=TelegramSettings, description="Telegram bot alerts."
    )


class SchedulingSettings(ConfigModel):
    """How often each periodic task runs, in seconds."""

    grid_check_interval_seconds: PositiveInt = Field(5, description="Grid strategy cycle.")
    momentum_check_interval_seconds: PositiveInt = Field(60, description="Momentum strategy cycle.")
    funding_check_interval_seconds: PositiveInt = Field(
        300, description="Funding-rate arbitrage cycle."
    )
    risk_check_interval_seconds: PositiveInt = Field(
        60, description="Circuit-breaker and exposure checks."
    )
    reconciliation_interval_seconds: PositiveInt = Field(
        300, description="Comparison of local orders and positions with the exchange."
    )
    snapshot_interval_seconds: PositiveInt = Field(
        3600, description="Account snapshots written to the database."
    )


class DatabaseSettings(ConfigModel):
    """Where quantbot keeps orders, fills, decisions and state."""

    url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql://user:${DB_PASSWORD}@host/quantbot. "
        "Default: the SQLite file <data_dir>/quantbot-<mode>.sqlite, so paper and live "
        "never share a database. A password must come from ${VAR}, never literally.",
    )
    pool_size: PositiveInt = Field(10, description="Connection pool size (PostgreSQL).")
    max_overflow: int = Field(
        20, ge=0, description="Extra connections allowed above pool_size (PostgreSQL)."
    )


class LoggingSettings(ConfigModel):
    """Structured logs: readable console output and JSON lines in a rotating file."""

    console_format: Literal["text", "json"] = Field(
        "text", description="Console output: text for humans, json lines."
    )
    file: str | None = Field(
        "logs/quantbot.jsonl",
        description="JSON-lines log file, relative to data_dir unless absolute; null disables it.",
    )
    max_bytes: PositiveInt = Field(10_485_760, description="Size at which the log file rotates.")
    backup_count: int = Field(10, ge=1, description="Rotated log files kept.")


class DataQualitySettings(ConfigModel):
    """Checks every candle series passes before anything trades or backtests on it."""

    policy: Literal["error", "ffill", "drop"] = Field(
        "error",
        description="What loading does with a series that fails a check: error refuses it; "
        "ffill fills gaps with flat zero-volume candles at the previous close; drop removes "
        "the bad candles. Every repair is logged.",
    )
    spike_zscore: float = Field(
        12.0,
        gt=0,
        description="A return whose robust z-score (distance from the median in units of "
        "1.4826 x the median absolute deviation) exceeds this is an outlier spike.",
    )
    max_zero_volume_run: PositiveInt = Field(
        60, description="Longest run of consecutive zero-volume candles that is still accepted."
    )
    stale_after_bars: PositiveInt = Field(
        30,
        description="A feed whose candles stay identical (same OHLC, no volume) for this many "
        "bars is stale.",
    )


class UniverseSettings(ConfigModel):
    """Which markets are worth trading or collecting data for."""

    min_market_cap_usd: float = Field(
        100_000_000.0, ge=0, description="Smallest market capitalisation of the base asset."
    )
    min_daily_volume_usd: float = Field(
        5_000_000.0, ge=0, description="Smallest 24h quote volume on the exchange, in USD."
    )
    max_spread_pct: float = Field(
        0.5, gt=0, description="Widest bid-ask spread, in percent of the mid price."
    )
    min_exchange_listings: int = Field(
        3, ge=0, description="Fewest exchanges listing the base asset."
    )
    max_volatility_pct: float = Field(
        15.0,
        gt=0,
        description="Highest daily volatility (standard deviation of daily returns), in percent.",
    )
    allowed_quote_currencies: list[str] = Field(
        default_factory=lambda: ["USD", "USDT", "BTC"],
        min_length=1,
        description="Quote currencies a market may have.",
    )
    min_history_days: int = Field(
        30, ge=0, description="Fewest days of daily candles a market must have."
    )
    provider_url: HttpUrlText = Field(
        "https://api.coingecko.com/api/v3",
        description="Base URL of the CoinGecko-compatible API giving market caps and listings.",
    )
    provider_api_key_env: EnvVarName | None = Field(
        None, description="Environment variable holding the provider's API key, if it needs one."
    )


class BacktestSettings(ConfigModel):
    """Defaults of ``quantbot backtest`` (each can be overridden on the command line)."""

    initial_capital: float = Field(
        10_000.0, gt=0, description="Quote currency in the account at the start."
    )
    quote_currency: str = Field(
        "USDT", min_length=1, description="Currency of the account and of every market traded."
    )
    exchange: str = Field(
        "binance",
        description="Exchange whose fees (maker_fee_pct, taker_fee_pct in exchanges) the simulated venue charges.",
    )
    slippage_pct: float = Field(
        0.03,
        ge=0,
        le=10,
        description="Adverse price move of every taker fill, percent (the blueprint's 0.02-0.05 %).",
    )
    impact_pct: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Extra adverse move, percent, of a fill taking a whole bar's volume (linear in the share).",
    )
    max_volume_share: float | None = Field(
        0.1,
        gt=0,
        le=1,
        description="Most of a bar's volume the fills on that bar may take; null for no limit.",
    )
    latency_bars: int = Field(
        0,
        ge=0,
        description="Extra bars before an order reaches the book (0: it can fill from the next bar).",
    )
    fill_limits_on_touch: bool = Field(
        True,
        description="A limit fills when the price touches it; false requires trading through it.",
    )
    leverage: float = Field(
        1.0,
        ge=1,
        le=125,
        description="Leverage of perpetual positions (initial margin = notional / leverage).",
    )
    leverage_by_symbol: dict[str, float] = Field(
        default_factory=dict, description="Per-symbol leverage overrides, e.g. {BTC/USDT:USDT: 5}."
    )
    margin_mode: Literal["cross", "isolated"] = Field(
        "cross",
        description="cross: one margin pool for every perpetual; isolated: each position its own margin.",
    )
    maintenance_margin_pct: dict[str, float] = Field(
        default_factory=dict,
        description="Per-symbol maintenance margin rate overrides, percent "
        "(default: Binance tier 1: BTC 0.4, ETH 0.5, others 1.0).",
    )
    liquidation_fee_pct: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Clearance fee of a liquidation, percent of the notional closed (capped at the margin left).",
    )


class PathsSettings(ConfigModel):
    """Where quantbot writes files."""

    data_dir: str = Field(
        "data",
        min_length=1,
        description="Directory for the database, market data and logs. A relative path is "
        "resolved against the directory that contains the config directory.",
    )
    user_strategies_dir: str = Field(
        "user_strategies",
        min_length=1,
        description="Directory of your strategy files (quantbot strategy new NAME); relative "
        "paths are resolved like data_dir.",
    )


class StrategyEntry(ConfigModel):
    """A strategy run besides the grid, momentum and funding files: a template, DCA or your own."""

    name: str = Field(
        min_length=1,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Registered strategy name (ema_cross, rsi_reversion, donchian_breakout, "
        "dca, ...) or the name of a strategy class in paths.user_strategies_dir.",
    )
    enabled: bool = Field(True, description="Run this strategy.")
    symbols: list[Symbol] = Field(
        default_factory=list,
        description="Markets it trades; empty: every market of the run.",
    )
    timeframe: Timeframe | None = Field(
        None, description="Its decision timeframe; null: the data's."
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="Its parameters (see docs/strategies/<name>.md); unset ones keep their "
        "defaults.",
    )


class Settings(ConfigModel):
    """Bot-wide settings (``settings.yaml``): mode, exchanges, risk limits, alerts, storage."""

    bot: BotSettings = Field(default_factory=BotSettings, description="Identity and mode.")
    exchanges: dict[str, ExchangeSettings] = Field(
        default_factory=lambda: {
            "binance": ExchangeSettings(enabled=True),
            "bybit": ExchangeSettings(enabled=False),
        },
        description="Exchange accounts by ccxt id (binance, bybit, okx, kraken, coinbase, "
        "kucoin, ...). Default: binance (enabled) and bybit (disabled), both on their "
        "sandbox. Writing this key replaces the default set.",
    )
    risk_management: RiskManagement = Field(
        default_factory=RiskManagement, description="Risk limits."
    )
    alerts: AlertsSettings = Field(default_factory=AlertsSettings, description="Alert channels.")
    scheduling: SchedulingSettings = Field(
        default_factory=SchedulingSettings, description="Task intervals."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings, description="Database.")
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")
    data_quality: DataQualitySettings = Field(
        default_factory=DataQualitySettings,
        description="Candle data checks and what to do on failure.",
    )
    universe: UniverseSettings = Field(
        default_factory=UniverseSettings, description="Market selection filters."
    )
    backtest: BacktestSettings = Field(
        default_factory=BacktestSettings, description="Backtest defaults."
    )
    paths: PathsSettings = Field(default_factory=PathsSettings, description="File locations.")
    strategies: list[StrategyEntry] = Field(
        default_factory=list,
        description="Further strategies of a configured run (grid, momentum and funding "
        "arbitrage have their own files). Default: none.",
    )

    @field_validator("exchanges")
    @classmethod
    def _exchange_defaults(
        cls, exchanges: dict[str, ExchangeSettings]
    ) -> dict[str, ExchangeSettings]:
        return {name: settings.with_defaults(name) for name, settings in exchanges.items()}

    @model_validator(mode="after")
    def _known_exchanges(self) -> Settings:
        problems: list[tuple[str, str]] = []
        for name, exchange in self.exchanges.items():
            if not _EXCHANGE_ID.match(name):
                problems.append(
                    (
                        f"exchanges.{name}",
                        "is not a ccxt exchange id (lowercase letters and digits, e.g. binance)",
                    )
                )
            for key in ("maker_fee_pct", "taker_fee_pct"):
                if getattr(exchange, key) is None:
                    problems.append(
                        (
                            f"exchanges.{name}.{key}",
                            f"has no default for exchange {name!r} (known: "
                            f"{', '.join(sorted(FEE_TABLE))}); set it explicitly",
                        )
                    )
        check_rules(problems)
        return self
