"""``quantbot risk``: see and clear the circuit breakers of paper and live trading."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import typer
from rich.markup import escape

from quantbot.cli.console import error_line, say
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit, start_logging
from quantbot.config import QuantbotConfig
from quantbot.core import InvalidValue, WallClock
from quantbot.engine.risk_control import RiskStatus, reset_breaker, resume_breaker, risk_status
from quantbot.risk import BreakerNotResumable, BreakerStatus, RiskEvent
from quantbot.risk.risk_events import iso_ms
from quantbot.storage import StorageError, display_url

__all__ = ["risk_app"]

risk_app = typer.Typer(
    help="See and clear the circuit breakers of paper and live trading.", no_args_is_help=True
)


@risk_app.command("status")
def status_command(config_dir: ConfigDirOption = None, database: DatabaseOption = None) -> None:
    """Show the circuit breaker, the drawdown brakes and the latest trips.

    Examples:
      quantbot risk status
      quantbot risk status --config ./live/config
    """
    config = load_or_exit(config_dir)
    url = config.database_url(database)
    try:
        status = risk_status(config, url, database_option=database is not None)
    except (StorageError, InvalidValue) as exc:
        error_line(str(exc))
        raise typer.Exit(1) from None
    say(f"{display_url(url)} ({status.mode})")
    for line in describe(status):
        say(line)


@risk_app.command("resume")
def resume_command(config_dir: ConfigDirOption = None, database: DatabaseOption = None) -> None:
    """End a weekly circuit break (run it with the bot stopped).

    The bot trades at full size from its next start; the day and week start afresh.

    Examples:
      quantbot risk resume
    """
    _change(config_dir, database, resume_breaker, "resume")


@risk_app.command("reset")
def reset_command(config_dir: ConfigDirOption = None, database: DatabaseOption = None) -> None:
    """End a monthly shutdown once the configuration changed (run it with the bot stopped).

    Examples:
      quantbot risk reset
    """
    _change(config_dir, database, reset_breaker, "reset")


def _change(config_dir: Path | None, database: str | None, command: _Command, name: str) -> None:
    config = load_or_exit(config_dir)
    start_logging(config)
    url = config.database_url(database)
    try:
        events = command(
            config, url, now_ms=WallClock().now_ms(), database_option=database is not None
        )
    except (BreakerNotResumable, StorageError, InvalidValue) as exc:
        error_line(f"quantbot risk {name}: {exc}")
        raise typer.Exit(1) from None
    for event in events:
        say(f"{iso_ms(event.ts_ms)} {escape(event.reason)}")
    say("the breaker is clear; the bot trades at full size from its next start")


def describe(status: RiskStatus) -> list[str]:
    """The status as lines of text: the breaker, what ends it, the brakes, the trips."""
    breaker = status.breakers.circuit_breaker
    since = iso_ms(breaker.tripped_at_ms)
    lines = {
        BreakerStatus.NORMAL: "circuit breaker: NORMAL (no breaker in force)",
        BreakerStatus.RECOVERY: (
            f"circuit breaker: RECOVERY until {iso_ms(breaker.recovery_until_ms)}: opening "
            f"orders cut by {breaker.limits.reduce_position_sizes_by_pct:g} %"
        ),
        BreakerStatus.DAILY_CIRCUIT_BREAK: (
            f"circuit breaker: DAILY_CIRCUIT_BREAK since {since}; resumes by itself at "
            f"{iso_ms(breaker.resume_at_ms)}, in recovery mode"
        ),
        BreakerStatus.WEEKLY_CIRCUIT_BREAK: (
            f"circuit breaker: WEEKLY_CIRCUIT_BREAK since {since}; only closing orders pass "
            "until you run: quantbot risk resume"
        ),
        BreakerStatus.MONTHLY_SHUTDOWN: (
            f"circuit breaker: MONTHLY_SHUTDOWN since {since}; "
            + (
                "the configuration has changed since, so run: quantbot risk reset"
                if status.config_changed
                else "change the configuration, then run: quantbot risk reset"
            )
        ),
    }
    described = [lines[breaker.status]]
    if not status.saved:
        described.append("(no breaker state saved yet: the bot starts with the breakers clear)")
    brakes = status.breakers.drawdown_brakes
    if brakes is None:
        described.append("drawdown brakes: off")
    else:
        peak = brakes.peak_equity
        described.append(
            f"drawdown brakes: level {brakes.level}"
            + ("" if peak is None else f", peak equity {peak:,.2f}")
        )
    if status.trips:
        described.append(f"latest trips ({status.mode}):")
        for trip in status.trips:
            resumed = iso_ms(trip.resumed_ts_ms) or "not resumed"
            described.append(
                f"  {iso_ms(trip.ts_ms)}  {trip.trigger_type:<11} {trip.trigger_value:8.2f}  "
                f"resumed {resumed}"
            )
    return described


class _Command(Protocol):
    """A breaker command of :mod:`quantbot.engine.risk_control`."""

    def __call__(
        self, config: QuantbotConfig, database_url: str, *, now_ms: int, database_option: bool
    ) -> list[RiskEvent]: ...
