"""Options every command shares (``--config``, ``--database``) and how they resolve.

``--config`` defaults to ``./config``; when that default directory does not exist the
embedded default configuration is used, so quantbot runs on a fresh machine from any
directory. A directory named explicitly must exist.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from quantbot.cli.console import error_line
from quantbot.config import ConfigError, QuantbotConfig, load_config
from quantbot.logs import configure_logging, default_redactor

__all__ = [
    "DEFAULT_CONFIG_DIR",
    "ConfigDirOption",
    "DatabaseOption",
    "load_or_exit",
    "start_logging",
]

DEFAULT_CONFIG_DIR = Path("config")

ConfigDirOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="QUANTBOT_CONFIG",
        metavar="DIR",
        help="Configuration directory [default: ./config, or the embedded defaults when "
        "./config does not exist].",
        show_default=False,
    ),
]

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="QUANTBOT_DATABASE_URL",
        metavar="URL",
        help="Database URL overriding the configured one, e.g. sqlite:///data/test.sqlite or "
        "postgresql://user@host/quantbot.",
        show_default=False,
    ),
]


def load_or_exit(config_dir: Path | None) -> QuantbotConfig:
    """Load the configuration, register its secrets for redaction, or print why not.

    Raises:
        typer.Exit: with status 1 after printing every configuration issue.
    """
    if config_dir is None and DEFAULT_CONFIG_DIR.is_dir():
        config_dir = DEFAULT_CONFIG_DIR
    try:
        config = load_config(config_dir)
    except ConfigError as exc:
        for issue in exc.issues:
            error_line(str(issue))
        error_line(f"{len(exc.issues)} configuration problem(s); nothing was started.")
        raise typer.Exit(1) from None
    redactor = default_redactor()
    for secret in config.secret_values():
        redactor.add_secret(secret)
    return config


def start_logging(config: QuantbotConfig) -> None:
    """Send logs to the console (standard error) and the configured JSON file."""
    settings = config.settings
    configure_logging(
        level=settings.bot.log_level,
        console_format=settings.logging.console_format,
        stream=sys.stderr,
        file_path=config.log_file,
        max_bytes=settings.logging.max_bytes,
        backup_count=settings.logging.backup_count,
    )
    if settings.bot.log_level != "DEBUG":
        # Alembic narrates every migration step at INFO; the commands report the outcome.
        logging.getLogger("alembic").setLevel(logging.WARNING)
