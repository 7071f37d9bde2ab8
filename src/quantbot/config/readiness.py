"""Start-up readiness of a valid configuration: what must hold before the bot may start.

A configuration can be valid and still unusable right now: live mode without the
operator's explicit confirmation, or enabled exchanges whose keys are not in the
environment. Survive first: refuse to start and say exactly what is missing.
"""

from __future__ import annotations

from quantbot.config.loader import QuantbotConfig

__all__ = ["readiness_problems"]


def readiness_problems(config: QuantbotConfig, *, confirm_live: bool) -> list[str]:
    """Everything that stops this configuration from starting, as readable sentences.

    Args:
        config: a validated configuration.
        confirm_live: the operator passed ``--confirm-live``; required for live mode.

    Returns:
        An empty list when the bot may start.
    """
    problems: list[str] = []
    settings = config.settings
    if settings.bot.mode == "live":
        if not confirm_live:
            problems.append(
                "bot.mode is live: real orders with real money. Start again with --confirm-live "
                "if that is what you want"
            )
        enabled = {name: ex for name, ex in settings.exchanges.items() if ex.enabled}
        if not enabled:
            problems.append("bot.mode is live but no exchange is enabled in settings exchanges")
        for name, exchange in enabled.items():
            for key in ("api_key_env", "api_secret_env", "api_password_env"):
                problems += _missing(config, f"exchanges.{name}.{key}", getattr(exchange, key))
    telegram = settings.alerts.telegram
    if telegram.enabled:
        problems += _missing(config, "alerts.telegram.bot_token_env", telegram.bot_token_env)
        problems += _missing(config, "alerts.telegram.chat_id_env", telegram.chat_id_env)
    return problems


def _missing(config: QuantbotConfig, key_path: str, variable: str | None) -> list[str]:
    if variable is None or config.environ.get(variable):
        return []
    return [
        f"{key_path}: environment variable {variable} is not set (neither in the environment nor in .env)"
    ]
