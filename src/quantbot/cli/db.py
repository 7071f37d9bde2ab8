"""``quantbot db``: create, migrate and inspect the database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from quantbot.cli.console import say
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit, start_logging
from quantbot.storage import current_revision, display_url, downgrade, head_revision, upgrade

__all__ = ["app"]

app = typer.Typer(help="Create, migrate and inspect the database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Create the database or migrate it forward (to the newest revision by default).

    Examples:
      quantbot db upgrade
      quantbot db upgrade --database postgresql://quantbot@localhost/quantbot
    """
    _migrate(upgrade, revision, config_dir, database)


@app.command("downgrade")
def downgrade_command(
    revision: Annotated[
        str, typer.Argument(help="Target revision: -1 for one step back, base to drop every table.")
    ] = "-1",
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Migrate the database back. Data in dropped tables is lost.

    Examples:
      quantbot db downgrade
      quantbot db downgrade base --database sqlite:///data/scratch.sqlite
    """
    _migrate(downgrade, revision, config_dir, database)


def _migrate(
    step: Callable[[str, str], None], revision: str, config_dir: Path | None, database: str | None
) -> None:
    """Run one migration step on the configured database and report where it went."""
    config = load_or_exit(config_dir)
    start_logging(config)
    url = config.database_url(database)
    before = current_revision(url)
    step(url, revision)
    say(f"{display_url(url)}: {before or 'empty'} -> {current_revision(url) or 'empty'}")


@app.command("current")
def current_command(config_dir: ConfigDirOption = None, database: DatabaseOption = None) -> None:
    """Show the database's revision and the one this quantbot needs (exit 1 if behind).

    Examples:
      quantbot db current
      quantbot db current --config ./setups/aggressive/config
    """
    config = load_or_exit(config_dir)
    url = config.database_url(database)
    current, head = current_revision(url), head_revision()
    say(f"{display_url(url)}: at {current or 'empty (never migrated)'}, needs {head}")
    if current != head:
        raise typer.Exit(1)
