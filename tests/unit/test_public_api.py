"""Public names of the packages that have no pin of their own (STYLE.md: a test pins
``__all__``), so that an API change is always a deliberate, reviewed edit."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "quantbot.config": [
        "CONFIG_FILES",
        "FEE_TABLE",
        "ConfigError",
        "ConfigIssue",
        "FundingStrategyConfig",
        "GridPair",
        "GridStrategyConfig",
        "MomentumStrategyConfig",
        "QuantbotConfig",
        "Settings",
        "load_config",
        "readiness_problems",
        "render_default_files",
        "render_reference",
    ],
    "quantbot.data": ["DEFAULT_ASSETS", "AssetProfile", "SyntheticMarket", "generate_market"],
    "quantbot.engine": [
        "DemoSummary",
        "PreflightCheck",
        "SymbolSummary",
        "run_demo",
        "run_preflight",
    ],
    "quantbot.cli": [],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_all_is_pinned_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    for name in module.__all__:
        assert hasattr(module, name), name
