"""``quantbot strategy``: scaffold your own strategy, and list every strategy a run can select."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated

import typer
from pydantic.fields import FieldInfo
from rich.markup import escape
from rich.table import Table

from quantbot.cli.console import error_line, out, say
from quantbot.cli.options import ConfigDirOption, load_or_exit, start_logging
from quantbot.strategies import STRATEGIES, Strategy
from quantbot.strategies.errors import InvalidStrategyName, ScaffoldConflict, UserStrategyError
from quantbot.strategies.registry import strategy_classes
from quantbot.strategies.user_template import settings_entry, write_user_strategy

__all__ = ["strategy_app"]

strategy_app = typer.Typer(
    help="Write your own strategies and list the ones a run can select.", no_args_is_help=True
)


@strategy_app.command("new")
def new_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="Strategy name: lowercase letters, digits and underscores (e.g. my_breakout).",
            show_default=False,
        ),
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Where to write the files (default: paths.user_strategies_dir of the "
            "configuration, ./user_strategies unless set).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
    config_dir: ConfigDirOption = None,
) -> None:
    """Scaffold a strategy: DIR/NAME.py, a working long-only SMA crossover, and its tests.

    The strategy is a starting point written like the built-in templates (parameters
    with defaults, vectorised indicators, wake masks, on_candle); its tests, in
    DIR/tests/test_NAME.py, backtest it on the synthetic market and check its
    behaviour. Select it by NAME like any strategy; docs/strategies/user-strategies.md
    explains the rules.

    Examples:
      quantbot strategy new my_breakout
      quantbot strategy new mean_revert --dir ./research/strategies --force
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    configured = _shown(config.user_strategies_dir)
    target = configured if directory is None else directory
    try:
        scaffold = write_user_strategy(target, name, force=force)
    except (InvalidStrategyName, ScaffoldConflict) as exc:
        error_line(f"strategy new: {exc}")
        raise typer.Exit(1) from None
    for path in scaffold.files:
        say(f"wrote {path}")
    if scaffold.load_problem is not None:
        say(f"note: {target} does not load yet: {scaffold.load_problem}", style="yellow")
    say("next:")
    say(f"  test it:      pytest {scaffold.files[1]}")
    say(f"  backtest it:  quantbot backtest --strategy {name}")
    say("  run it with the configuration, in settings.yaml:")
    for line in settings_entry(name).splitlines():
        say(f"    {line}")
    if target.resolve() != config.user_strategies_dir:
        say(
            f"note: runs look for strategies in {configured} (paths.user_strategies_dir); "
            f"set it to {target} or move the files there",
            style="yellow",
        )


@strategy_app.command("list")
def list_command(config_dir: ConfigDirOption = None) -> None:
    """List every strategy a run can select: the built-in ones and yours, with parameters.

    Yours are the strategy classes in the files of paths.user_strategies_dir; a file
    that does not load stops the listing with its file, line and error (exit 1).

    Examples:
      quantbot strategy list
      quantbot strategy list --config ./setups/research/config
    """
    config = load_or_exit(config_dir)
    start_logging(config)
    directory = _shown(config.user_strategies_dir)
    try:
        strategies = strategy_classes(directory)
    except UserStrategyError as exc:
        error_line(f"strategy list: {exc}")
        raise typer.Exit(1) from None
    table = Table(title="Strategies (--strategy NAME, or strategies[].name in settings.yaml)")
    for column in ("name", "source", "parameters (defaults)"):
        table.add_column(column)
    for name, cls in strategies.items():
        source = "built-in" if name in STRATEGIES else str(_shown(Path(inspect.getfile(cls))))
        table.add_row(name, escape(source), escape(_parameters(cls)))
    out.print(table)
    if len(strategies) == len(STRATEGIES):
        say(f"no strategy of yours in {directory}; write one with: quantbot strategy new NAME")


def _parameters(cls: type[Strategy]) -> str:
    return ", ".join(f"{key}={_default(field)}" for key, field in cls.Params.model_fields.items())


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "(required)"
    value = field.get_default(call_default_factory=True)
    return "unset" if value is None else str(value)


def _shown(path: Path) -> Path:
    """``path`` relative to the working directory when it lies below it: shorter, clickable."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path
