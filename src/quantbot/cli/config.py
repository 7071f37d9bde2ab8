"""``quantbot config``: check, initialise, show and document configuration directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from quantbot.cli.console import error_line, say
from quantbot.cli.options import ConfigDirOption, DatabaseOption, load_or_exit
from quantbot.config import readiness_problems, render_default_files, render_reference

__all__ = ["app"]

app = typer.Typer(help="Check, create, show and document configuration.", no_args_is_help=True)

DEFAULT_REFERENCE = Path("docs/configuration.md")


@app.command("check")
def check(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]", help="Directory to check (overrides --config).", show_default=False
        ),
    ] = None,
    config_dir: ConfigDirOption = None,
    database: DatabaseOption = None,
) -> None:
    """Validate every configuration file and print each problem with file, line and key.

    Exit status 1 when anything is wrong. Readiness notes (live mode without
    --confirm-live, keys missing from the environment) are printed but do not fail
    the check; `quantbot preflight` enforces them.

    Examples:
      quantbot config check
      quantbot config check ./setups/aggressive/config
    """
    config = load_or_exit(directory or config_dir)
    where = str(config.config_dir) if config.config_dir else "embedded defaults"
    say(f"configuration OK: {where}", style="green")
    for stem, source in config.sources.items():
        say(f"  {stem}: {source if source else 'defaults'}")
    say(f"  mode: {config.settings.bot.mode}; database: {config.database_url(database)}")
    for problem in readiness_problems(config, confirm_live=False):
        say(f"  note: {problem}", style="yellow")


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Directory to create or fill.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write the default configuration files, with a comment on every key, into DIR.

    Examples:
      quantbot config init ./config
      quantbot config init ./setups/conservative/config --force
    """
    files = render_default_files()
    existing = [name for name in files if (directory / name).exists()]
    if existing and not force:
        error_line(f"{directory} already holds {', '.join(existing)}; use --force to overwrite")
        raise typer.Exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
        say(f"wrote {directory / name}")


@app.command("show")
def show(config_dir: ConfigDirOption = None) -> None:
    """Print the effective configuration, defaults filled in, as JSON (secrets masked).

    Examples:
      quantbot config show
      quantbot config show --config ./setups/aggressive/config
    """
    config = load_or_exit(config_dir)
    say(json.dumps(config.redacted_dump(), indent=2))


@app.command("docs")
def docs(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write.")
    ] = DEFAULT_REFERENCE,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check", help="Only report whether the file is up to date (exit 1 if stale)."
        ),
    ] = False,
) -> None:
    """Generate the configuration reference (docs/configuration.md) from the models.

    Examples:
      quantbot config docs
      quantbot config docs --check
    """
    text = render_reference()
    current = output.read_text(encoding="utf-8") if output.exists() else None
    if check_only:
        if current != text:
            error_line(f"{output} is stale; run: quantbot config docs")
            raise typer.Exit(1)
        say(f"{output} is up to date")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    say(f"wrote {output}")
