"""The CLI's contract: exit codes, one-line usage errors, help with examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantbot.cli.main import app, main
from quantbot.config import render_default_files


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("QUANTBOT_CONFIG", "QUANTBOT_DATABASE_URL", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def command_paths() -> list[list[str]]:
    paths = []
    for info in app.registered_commands:
        paths.append([info.name or info.callback.__name__])
    for group in app.registered_groups:
        for info in group.typer_instance.registered_commands:
            paths.append([group.name, info.name])
    return paths


@pytest.mark.parametrize(
    "argv",
    [["nonsense"], ["config", "nonsense"], ["config", "check", "--bad"], ["demo", "--days", "x"]],
)
def test_usage_errors_are_one_line_with_exit_code_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "error:" in err


@pytest.mark.parametrize("argv", command_paths(), ids=" ".join)
def test_every_command_has_help_with_an_example(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run([*argv, "--help"], capsys)
    assert code == 0
    assert "Example" in out
    assert "quantbot " + " ".join(argv) in out


def test_commands_that_use_a_setup_take_config_and_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (
        ["demo"],
        ["preflight"],
        ["db", "upgrade"],
        ["db", "downgrade"],
        ["db", "current"],
        ["config", "check"],
    ):
        _, out, _ = run([*argv, "--help"], capsys)
        assert "--config" in out, argv
        assert "--database" in out, argv


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out.startswith("quantbot ")


def test_config_check_reports_every_problem_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "settings.yaml").write_text(
        "bot:\n  mode: demo\nrisk_management:\n  weekly_loss_limit_pct: 1\n"
    )
    (broken / "grid_config.yaml").write_text("grid_strategy:\n  max_open_orders: 0\n")
    code, _, err = run(["config", "check", str(broken)], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[:3] == [
        "broken/settings.yaml:2 bot.mode: 'demo', must be one of 'paper' or 'live'",
        "broken/settings.yaml:4 risk_management.weekly_loss_limit_pct: 1.0 is below daily_loss_limit_pct "
        "3.0; a week contains its days, so the weekly limit must be at least the daily one",
        "broken/grid_config.yaml:2 grid_strategy.max_open_orders: 0, must be > 0",
    ]
    assert "3 configuration problem(s)" in lines[3]


def test_config_init_then_check_and_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(["config", "init", "setup/config"], capsys)
    assert code == 0
    assert {p.name for p in (tmp_path / "setup" / "config").iterdir()} == set(
        render_default_files()
    )
    code, out, _ = run(["config", "check", "--config", "setup/config"], capsys)
    assert code == 0
    assert "configuration OK" in out
    assert str(tmp_path / "setup" / "data" / "quantbot-paper.sqlite") in out
    code, out, _ = run(["config", "show", "--config", "setup/config"], capsys)
    assert code == 0
    assert json.loads(out)["grid_strategy"]["pairs"][0]["symbol"] == "BTC/USDT"


def test_config_init_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["config", "init", "c"], capsys)[0] == 0
    (tmp_path / "c" / "settings.yaml").write_text("bot: {name: mine}\n")
    code, _, err = run(["config", "init", "c"], capsys)
    assert code == 1
    assert "--force" in err
    assert (tmp_path / "c" / "settings.yaml").read_text() == "bot: {name: mine}\n"
    assert run(["config", "init", "c", "--force"], capsys)[0] == 0
    assert (tmp_path / "c" / "settings.yaml").read_text() == render_default_files()["settings.yaml"]


def test_explicit_config_directory_must_exist(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["config", "check", "--config", "missing"], capsys)
    assert code == 1
    assert "missing is not a directory" in err


def test_without_a_config_directory_the_embedded_defaults_are_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["config", "check"], capsys)
    assert code == 0
    assert "embedded defaults" in out


def test_config_docs_check_detects_a_stale_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "configuration.md"
    assert run(["config", "docs", "--output", str(target)], capsys)[0] == 0
    assert run(["config", "docs", "--output", str(target), "--check"], capsys)[0] == 0
    target.write_text(target.read_text().replace("CryptoQuantBot", "Other"))
    assert run(["config", "docs", "--output", str(target), "--check"], capsys)[0] == 1
