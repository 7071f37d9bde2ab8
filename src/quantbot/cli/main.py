"""The ``quantbot`` console script: the typer app and its error contract.

Exit codes: 0 success, 1 a domain error (bad config, un-migrated database, failed
preflight), 2 a usage error (unknown command or option, bad option value), printed as
one line rather than a usage box.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

# typer >= 0.29 vendors click; its usage errors are not importable from click itself.
from typer._click.exceptions import NoArgsIsHelpError, UsageError

from quantbot import __version__
from quantbot.cli.backtest import backtest
from quantbot.cli.config import app as config_app
from quantbot.cli.console import error_line
from quantbot.cli.data import app as data_app
from quantbot.cli.db import app as db_app
from quantbot.cli.demo import demo
from quantbot.cli.download import download
from quantbot.cli.emulator import emulator
from quantbot.cli.grid import grid_app
from quantbot.cli.preflight import preflight
from quantbot.cli.risk import risk_app
from quantbot.cli.strategy import strategy_app
from quantbot.cli.universe import universe
from quantbot.core.errors import QuantbotError

__all__ = ["app", "main"]

app = typer.Typer(
    name="quantbot",
    help="quantbot: a self-hosted, multi-strategy crypto trading system.\n\n"
    "Start with [bold]quantbot demo[/bold]: it runs on the embedded default "
    "configuration and synthetic market data, with no API keys and no network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
app.add_typer(strategy_app, name="strategy")
app.add_typer(grid_app, name="grid")
app.add_typer(risk_app, name="risk")
app.command("demo")(demo)
app.command("backtest")(backtest)
app.command("preflight")(preflight)
app.command("download")(download)
app.command("emulator")(emulator)
app.command("universe")(universe)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quantbot {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """quantbot: a self-hosted, multi-strategy crypto trading system."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and exit with its status (the console-script entry point)."""
    try:
        result = app(
            args=list(argv) if argv is not None else None,
            prog_name="quantbot",
            standalone_mode=False,
        )
    except NoArgsIsHelpError:
        sys.exit(0)
    except UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "quantbot"
        error_line(f"{command}: error: {exc.format_message()} (see '{command} --help')")
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        error_line("quantbot: aborted")
        sys.exit(130)
    except QuantbotError as exc:
        error_line(f"quantbot: error: {exc}")
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
