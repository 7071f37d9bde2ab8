"""Configuration: pydantic models of the YAML/JSON files, their loader and reference.

Secrets never live in configuration files; see ``quantbot.config.environment``.
"""

from quantbot.config.errors import ConfigError, ConfigIssue
from quantbot.config.funding import FundingStrategyConfig
from quantbot.config.grid import GridPair, GridStrategyConfig
from quantbot.config.loader import CONFIG_FILES, QuantbotConfig, load_config
from quantbot.config.momentum import MomentumStrategyConfig
from quantbot.config.readiness import readiness_problems
from quantbot.config.reference import render_reference
from quantbot.config.settings import FEE_TABLE, Settings
from quantbot.config.templates import render_default_files

__all__ = [
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
]
