"""Loading a configuration directory into one validated :class:`QuantbotConfig`.

A directory holds up to four files, ``settings``, ``grid_config``, ``momentum_config``
and ``funding_config``, each as ``.yaml``, ``.yml`` or ``.json``. A missing file means
"all defaults"; no directory at all means the embedded default configuration. Every
problem in every file is collected before anything is reported, so a user fixes all
mistakes in one round.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from quantbot.config.documents import Document, format_path, read_document
from quantbot.config.environment import load_environment, substitute_variables, url_password
from quantbot.config.errors import ConfigError, ConfigIssue
from quantbot.config.funding import FundingStrategyConfig, FundingStrategyFile
from quantbot.config.grid import GridStrategyConfig, GridStrategyFile
from quantbot.config.issues import issues_from_validation_error
from quantbot.config.momentum import MomentumStrategyConfig, MomentumStrategyFile
from quantbot.config.settings import Settings
from quantbot.logs.redaction import MASK

__all__ = ["CONFIG_FILES", "EXTENSIONS", "QuantbotConfig", "load_config"]

CONFIG_FILES: dict[str, type[BaseModel]] = {
    "settings": Settings,
    "grid_config": GridStrategyFile,
    "momentum_config": MomentumStrategyFile,
    "funding_config": FundingStrategyFile,
}
"""File stem → model of that file, in the order they are documented."""

EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class QuantbotConfig:
    """The validated configuration of one quantbot setup.

    Attributes:
        settings: ``settings.yaml``.
        grid, momentum, funding: the strategy sections of the strategy files.
        config_dir: the directory read, or None for the embedded defaults.
        root: base directory for relative paths: the parent of ``config_dir``, or the
            working directory for the embedded defaults.
        sources: the file each part came from (None: defaults).
    """

    settings: Settings
    grid: GridStrategyConfig
    momentum: MomentumStrategyConfig
    funding: FundingStrategyConfig
    config_dir: Path | None
    root: Path
    sources: dict[str, Path | None]
    environ: Mapping[str, str] = field(repr=False)
    substituted_secrets: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def data_dir(self) -> Path:
        """Absolute directory for the database, market data and logs."""
        return (self.root / self.settings.paths.data_dir).resolve()

    @property
    def user_strategies_dir(self) -> Path:
        """Absolute directory of the user's strategy files."""
        return (self.root / self.settings.paths.user_strategies_dir).resolve()

    @property
    def log_file(self) -> Path | None:
        """Absolute path of the JSON log file, or None when file logging is off."""
        name = self.settings.logging.file
        return None if name is None else (self.data_dir / name).resolve()

    def database_url(self, override: str | None = None) -> str:
        """The database URL to use.

        ``override`` (``--database``) wins, then the configured URL, then the default
        SQLite file ``<data_dir>/quantbot-<mode>.sqlite`` (paper and live kept apart).
        """
        if override:
            return override
        if self.settings.database.url:
            return self.settings.database.url
        return f"sqlite:///{self.data_dir / f'quantbot-{self.settings.bot.mode}.sqlite'}"

    def secret_env_names(self) -> dict[str, str]:
        """Key path → environment variable name, for every secret the config refers to."""
        names: dict[str, str] = {}
        for exchange_id, exchange in self.settings.exchanges.items():
            for key in ("api_key_env", "api_secret_env", "api_password_env"):
                value = getattr(exchange, key)
                if value:
                    names[f"exchanges.{exchange_id}.{key}"] = value
        telegram = self.settings.alerts.telegram
        names["alerts.telegram.bot_token_env"] = telegram.bot_token_env
        names["alerts.telegram.chat_id_env"] = telegram.chat_id_env
        provider_key = self.settings.universe.provider_api_key_env
        if provider_key:
            names["universe.provider_api_key_env"] = provider_key
        return names

    def secret_values(self) -> list[str]:
        """Every secret value this configuration can reach, for the redaction layer."""
        values = {
            self.environ[name]
            for name in self.secret_env_names().values()
            if self.environ.get(name)
        }
        return sorted(values | self.substituted_secrets)

    def redacted_dump(self) -> dict[str, Any]:
        """The whole configuration as JSON-ready data with no secret in it.

        Only variable names of secrets are part of the models; the one place a secret
        can enter by substitution, a database URL password, is masked here.
        """
        settings = self.settings.model_dump(mode="json")
        url = settings["database"]["url"]
        password = url_password(url) if url else None
        if password:
            settings["database"]["url"] = url.replace(f":{password}@", f":{MASK}@", 1)
        return {
            "settings": settings,
            "grid_strategy": self.grid.model_dump(mode="json"),
            "momentum_strategy": self.momentum.model_dump(mode="json"),
            "funding_strategy": self.funding.model_dump(mode="json"),
        }

    def fingerprint(self) -> str:
        """A short hash of the whole validated configuration (secrets excluded).

        A monthly circuit breaker shutdown clears only under a configuration whose
        fingerprint differs from the one it tripped under: a restart alone does not
        end it, a deliberate change does. Formatting and comments do not count, any
        changed value does.
        """
        document = json.dumps(self.redacted_dump(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(document.encode()).hexdigest()[:16]


def load_config(
    config_dir: Path | None, *, environ: Mapping[str, str] | None = None
) -> QuantbotConfig:
    """Read, substitute, validate and cross-check a configuration directory.

    Args:
        config_dir: directory holding the files; None loads the embedded defaults.
        environ: process environment (default ``os.environ``); the ``.env`` file in
            the root directory is merged beneath it.

    Raises:
        ConfigError: listing every problem found, each with file, key path, line, bad
            value and what is allowed.
    """
    if config_dir is not None and not config_dir.is_dir():
        raise ConfigError([ConfigIssue(_display(config_dir), "", "is not a directory")])
    root = Path.cwd() if config_dir is None else config_dir.resolve().parent
    env = load_environment(root / ".env", environ)
    issues: list[ConfigIssue] = []
    models: dict[str, BaseModel] = {}
    sources: dict[str, Path | None] = {}
    documents: dict[str, Document] = {}
    secrets: set[str] = set()
    for stem, model in CONFIG_FILES.items():
        path, found_issues = _find_file(config_dir, stem)
        issues += found_issues
        sources[stem] = path
        document = _read(path, stem)
        if isinstance(document, ConfigIssue):
            issues.append(document)
            continue
        documents[stem] = document
        data, substitution_issues, substituted = substitute_variables(document, env)
        secrets |= substituted
        issues += substitution_issues
        try:
            models[stem] = model.model_validate(data)
        except ValidationError as exc:
            located = {issue.path for issue in substitution_issues}
            issues += [
                issue
                for issue in issues_from_validation_error(exc, document, model)
                if issue.path not in located
            ]
    if not issues:
        issues += _cross_file_issues(models, documents)
    if issues:
        raise ConfigError(issues)
    settings = models["settings"]
    grid, momentum, funding = (
        models["grid_config"],
        models["momentum_config"],
        models["funding_config"],
    )
    assert isinstance(settings, Settings)
    assert isinstance(grid, GridStrategyFile)
    assert isinstance(momentum, MomentumStrategyFile)
    assert isinstance(funding, FundingStrategyFile)
    return QuantbotConfig(
        settings=settings,
        grid=grid.grid_strategy,
        momentum=momentum.momentum_strategy,
        funding=funding.funding_strategy,
        config_dir=config_dir,
        root=root,
        sources=sources,
        environ=env,
        substituted_secrets=frozenset(secrets),
    )


def _find_file(config_dir: Path | None, stem: str) -> tuple[Path | None, list[ConfigIssue]]:
    if config_dir is None:
        return None, []
    candidates = [
        config_dir / f"{stem}{ext}" for ext in EXTENSIONS if (config_dir / f"{stem}{ext}").exists()
    ]
    if len(candidates) > 1:
        names = ", ".join(_display(c) for c in candidates)
        return candidates[0], [
            ConfigIssue(_display(config_dir), "", f"holds {names}; keep only one of them")
        ]
    return (candidates[0] if candidates else None), []


def _read(path: Path | None, stem: str) -> Document | ConfigIssue:
    if path is None:
        return Document(f"<default {stem}>", {})
    return read_document(path, _display(path))


def _display(path: Path) -> str:
    """A path as the user most likely typed it: relative to the working directory if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _cross_file_issues(
    models: Mapping[str, BaseModel], documents: Mapping[str, Document]
) -> list[ConfigIssue]:
    """Rules that span files: the funding legs must name configured, enabled exchanges."""
    settings, funding = models["settings"], models["funding_config"]
    assert isinstance(settings, Settings)
    assert isinstance(funding, FundingStrategyFile)
    strategy = funding.funding_strategy
    if not strategy.enabled:
        return []
    issues = []
    document = documents["funding_config"]
    for leg in ("spot", "futures"):
        exchange_id = getattr(strategy.exchanges, leg)
        exchange = settings.exchanges.get(exchange_id)
        if exchange is None or not exchange.enabled:
            state = "not configured" if exchange is None else "not enabled"
            path = ("funding_strategy", "exchanges", leg)
            issues.append(
                ConfigIssue(
                    document.display_name,
                    format_path(path),
                    f"{exchange_id!r} is {state} in settings exchanges; enable it there or pick "
                    f"one of: {', '.join(n for n, e in settings.exchanges.items() if e.enabled) or 'none'}",
                    document.line_of(path),
                )
            )
    return issues
