import quantbot.storage
import quantbot.storage.repositories

EXPECTED_STORAGE_NAMES = {
    "SQLITE_BUSY_TIMEOUT_MS",
    "DatabaseNotMigrated",
    "DuplicateRecord",
    "RecordNotFound",
    "StorageError",
    "UnknownRevision",
    "create_engine_for",
    "current_revision",
    "display_url",
    "downgrade",
    "ensure_migrated",
    "head_revision",
    "normalize_url",
    "session_factory",
    "upgrade",
}

EXPECTED_REPOSITORY_NAMES = {
    "CREATED_EVENT",
    "WHOLE_STRATEGY",
    "AppStateRepository",
    "BacktestRunRecord",
    "BacktestRunRepository",
    "BreakerEventRecord",
    "BreakerEventRepository",
    "ConfigurationHistoryRepository",
    "ConfigurationRecord",
    "DecisionAction",
    "DecisionRecord",
    "DecisionRepository",
    "FillRecord",
    "FillRepository",
    "OrderRecord",
    "OrderRepository",
    "OrderTransitionRecord",
    "StrategyStateRepository",
}


def test_storage_all_lists_exactly_the_public_api() -> None:
    assert set(quantbot.storage.__all__) == EXPECTED_STORAGE_NAMES
    assert len(quantbot.storage.__all__) == len(EXPECTED_STORAGE_NAMES), "a name is listed twice"


def test_repositories_all_lists_exactly_the_public_api() -> None:
    names = quantbot.storage.repositories.__all__
    assert set(names) == EXPECTED_REPOSITORY_NAMES
    assert len(names) == len(EXPECTED_REPOSITORY_NAMES), "a name is listed twice"


def test_every_listed_name_is_importable() -> None:
    for package in (quantbot.storage, quantbot.storage.repositories):
        missing = [name for name in package.__all__ if not hasattr(package, name)]
        assert missing == [], package.__name__
