"""``quantbot preflight``: everything the bot checks before it starts."""

from __future__ import annotations

from typing import Annotated

import typer

from quantbot.cli.console import out, say
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit
from quantbot.engine import run_preflight

__all__ = ["ConfirmLiveOption", "preflight"]

ConfirmLiveOption = Annotated[
    bool,
    typer.Option(
        "--confirm-live",
        help="Confirm that bot.mode live may place real orders with real money.",
    ),
]


def preflight(
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
    confirm_live: ConfirmLiveOption = False,
) -> None:
    """Check configuration, live-mode confirmation, API keys and database before a start.

    Exit status 1 when any check fails; every failing check is listed.

    Examples:
      quantbot preflight
      quantbot preflight --config ./live/config --confirm-live
    """
    config = load_or_exit(config_dir)
    checks = run_preflight(
        config,
        database_url=config.database_url(database),
        database_option=database is not None,
        confirm_live=confirm_live,
    )
    for check in checks:
        mark = "[green]ok  [/green]" if check.ok else "[red]FAIL[/red]"
        out.print(f"{mark} {check.name}: ", end="")
        say(check.detail)
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
