"""Preflight: every condition the bot checks before it starts, in every mode.

Survive first: a bot that starts on an un-migrated database, in live mode by accident,
or without its keys fails later and worse. The checks run in order and all of them
run, so the operator sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from quantbot.config import QuantbotConfig, readiness_problems
from quantbot.storage import StorageError, display_url, ensure_migrated

__all__ = ["PreflightCheck", "run_preflight"]


@dataclass(frozen=True, slots=True)
class PreflightCheck:
    """The outcome of one check: what was checked, whether it passed, and why."""

    name: str
    ok: bool
    detail: str


def run_preflight(
    config: QuantbotConfig,
    *,
    database_url: str,
    database_option: bool,
    confirm_live: bool,
) -> list[PreflightCheck]:
    """Run every start-up check and return their outcomes (the caller decides to stop).

    Args:
        config: the validated configuration (loading it is the first check).
        database_url: the database the bot would use.
        database_option: the URL came from ``--database``; error messages repeat it.
        confirm_live: the operator passed ``--confirm-live``.
    """
    source = str(config.config_dir) if config.config_dir else "embedded defaults"
    checks = [PreflightCheck("configuration", True, f"valid ({source})")]
    mode = config.settings.bot.mode
    problems = readiness_problems(config, confirm_live=confirm_live)
    if problems:
        checks += [PreflightCheck("readiness", False, problem) for problem in problems]
    else:
        sandbox = [n for n, e in config.settings.exchanges.items() if e.enabled and e.sandbox]
        note = f"; sandbox/testnet: {', '.join(sandbox)}" if mode == "live" and sandbox else ""
        checks.append(PreflightCheck("readiness", True, f"mode {mode}{note}"))
    try:
        ensure_migrated(database_url, database_option=database_option)
    except StorageError as exc:
        checks.append(PreflightCheck("database", False, str(exc)))
    else:
        checks.append(PreflightCheck("database", True, f"migrated ({display_url(database_url)})"))
    return checks
