"""Live mode refuses to start without confirmation and keys; Telegram needs its variables."""

from __future__ import annotations

from pathlib import Path

from quantbot.config import load_config, readiness_problems


def live_config(tmp_path: Path, environ: dict[str, str]):
    (tmp_path / "settings.yaml").write_text("bot:\n  mode: live\n")
    return load_config(tmp_path, environ=environ)


def test_paper_defaults_are_ready(tmp_path: Path) -> None:
    assert readiness_problems(load_config(tmp_path, environ={}), confirm_live=False) == []


def test_live_without_confirmation_is_refused(tmp_path: Path) -> None:
    config = live_config(tmp_path, {"BINANCE_API_KEY": "k" * 10, "BINANCE_API_SECRET": "s" * 10})
    [problem] = readiness_problems(config, confirm_live=False)
    assert "--confirm-live" in problem
    assert readiness_problems(config, confirm_live=True) == []


def test_live_without_keys_names_each_missing_variable(tmp_path: Path) -> None:
    problems = readiness_problems(
        live_config(tmp_path, {"BINANCE_API_KEY": "k" * 10}), confirm_live=True
    )
    assert problems == [
        "exchanges.binance.api_secret_env: environment variable BINANCE_API_SECRET is not set "
        "(neither in the environment nor in .env)"
    ]


def test_keys_from_dotenv_count(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (tmp_path / ".env").write_text("BINANCE_API_KEY=abcdefgh\nBINANCE_API_SECRET=ijklmnop\n")
    assert readiness_problems(live_config(config_dir, {}), confirm_live=True) == []


def test_live_with_no_enabled_exchange_is_refused(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text(
        "bot:\n  mode: live\nexchanges:\n  binance:\n    enabled: false\n"
    )
    problems = readiness_problems(load_config(tmp_path, environ={}), confirm_live=True)
    assert problems == ["bot.mode is live but no exchange is enabled in settings exchanges"]


def test_enabled_telegram_needs_its_variables_in_paper_mode_too(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("alerts:\n  telegram:\n    enabled: true\n")
    problems = readiness_problems(
        load_config(tmp_path, environ={"TELEGRAM_CHAT_ID": "12345"}), confirm_live=False
    )
    assert [p.split(":")[0] for p in problems] == ["alerts.telegram.bot_token_env"]
