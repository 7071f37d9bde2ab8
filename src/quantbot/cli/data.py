"""``quantbot data``: import market-data files and check their quality."""

from __future__ import annotations

import typer

from quantbot.cli.data_check import check_command
from quantbot.cli.data_import import import_command

__all__ = ["app"]

app = typer.Typer(
    help="Import market-data files into the store and check their quality.", no_args_is_help=True
)
app.command("import")(import_command)
app.command("check")(check_command)
