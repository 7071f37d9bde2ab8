import string

from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy.engine import URL

from quantbot.core.errors import QuantbotError
from quantbot.storage import (
    DatabaseNotMigrated,
    DuplicateRecord,
    RecordNotFound,
    StorageError,
    UnknownRevision,
)

PASSWORDS = st.text(alphabet=string.ascii_letters + string.digits + "-_.~", min_size=6, max_size=40)


def postgres_url(password: str) -> str:
    url = URL.create("postgresql+psycopg", "bot", password, "db.example.org", 5432, "quantbot")
    return url.render_as_string(hide_password=False)


OTHER_URL = postgres_url("0" * 12)
"""The same database with another password: what an error shows of its own words."""


def test_storage_errors_are_quantbot_errors() -> None:
    for error in (DatabaseNotMigrated, UnknownRevision, DuplicateRecord, RecordNotFound):
        assert issubclass(error, StorageError)
    assert issubclass(StorageError, QuantbotError)


def test_not_migrated_names_database_revisions_and_command() -> None:
    error = DatabaseNotMigrated("sqlite:///data/quantbot-paper.sqlite", "0001", "0002")

    message = str(error)
    assert "sqlite:///data/quantbot-paper.sqlite" in message
    assert "at revision 0001" in message
    assert "needs revision 0002" in message
    assert message.endswith("Run: quantbot db upgrade")
    assert error.command == "quantbot db upgrade"


def test_not_migrated_says_when_the_database_was_never_migrated() -> None:
    error = DatabaseNotMigrated("sqlite:///q.sqlite", None, "0001")

    assert "never been migrated" in str(error)
    assert error.current_revision is None


def test_not_migrated_repeats_a_database_option_without_password_exactly() -> None:
    error = DatabaseNotMigrated(
        "sqlite:////tmp/my bot/q.sqlite", None, "0001", database_option=True
    )

    assert error.command == "quantbot db upgrade --database 'sqlite:////tmp/my bot/q.sqlite'"


def test_not_migrated_shows_a_placeholder_for_a_database_option_with_password() -> None:
    error = DatabaseNotMigrated(postgres_url("hunter2hunter2"), None, "0001", database_option=True)

    assert error.command == "quantbot db upgrade --database URL"
    assert "bot:***@db.example.org" in str(error)


@given(password=PASSWORDS, database_option=st.booleans())
def test_not_migrated_never_shows_the_password(password: str, database_option: bool) -> None:
    url = postgres_url(password)
    assume(password not in url.replace(password, "", 1))  # appears only as the password
    # Nor by coincidence in the message's own words ("--data" in "--database"):
    other = DatabaseNotMigrated(OTHER_URL, "0001", "0002", database_option=database_option)
    assume(password not in str(other) + other.command + other.database)

    error = DatabaseNotMigrated(url, "0001", "0002", database_option=database_option)

    assert password not in str(error)
    assert password not in error.command
    assert password not in error.database


@given(password=PASSWORDS)
def test_unknown_revision_never_shows_the_password(password: str) -> None:
    url = postgres_url(password)
    assume(password not in url.replace(password, "", 1))
    assume(password not in str(UnknownRevision(OTHER_URL, "9999", "0001")))

    error = UnknownRevision(url, "9999", "0001")

    assert password not in str(error)
    assert "9999" in str(error)
    assert "0001" in str(error)


def test_duplicate_and_missing_records_name_table_and_key() -> None:
    assert str(DuplicateRecord("fills", "exchange=binance trade_id=7")) == (
        "fills: a row with exchange=binance trade_id=7 already exists"
    )
    assert (
        str(RecordNotFound("orders", "client_order_id=g-1"))
        == "orders: no row with client_order_id=g-1"
    )
