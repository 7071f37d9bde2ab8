import logging
from collections.abc import Iterator

import pytest

from quantbot.logs import LogEvent, log_event, record_context, record_event


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected(request: pytest.FixtureRequest) -> Iterator[tuple[logging.Logger, _Collect]]:
    logger = logging.getLogger(f"test.records.{request.node.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = _Collect()
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


def test_log_event_puts_event_and_context_on_the_record(
    collected: tuple[logging.Logger, _Collect],
) -> None:
    logger, handler = collected
    log_event(
        logger,
        LogEvent.ORDER_FILLED,
        "filled %s",
        "coid-1",
        level=logging.WARNING,
        strategy="grid",
        pair="BTC/USDT",
        strategy_context={"level": 3},
    )
    (record,) = handler.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "filled coid-1"
    assert record_event(record) == "ORDER_FILLED"
    assert record_context(record) == {
        "strategy": "grid",
        "pair": "BTC/USDT",
        "strategy_context": {"level": 3},
    }


def test_log_event_record_points_at_the_caller_not_at_log_event(
    collected: tuple[logging.Logger, _Collect],
) -> None:
    logger, handler = collected
    log_event(logger, LogEvent.STATUS, "heartbeat")
    (record,) = handler.records
    assert record.funcName == "test_log_event_record_points_at_the_caller_not_at_log_event"
    assert record.pathname == __file__


@pytest.mark.parametrize(
    "name", ["name", "module", "thread", "msg", "ts", "logger", "event", "message", "exc", "stack"]
)
def test_log_event_rejects_context_names_the_record_or_the_line_already_uses(
    collected: tuple[logging.Logger, _Collect], name: str
) -> None:
    logger, handler = collected
    with pytest.raises(ValueError, match=name):
        log_event(logger, LogEvent.STATUS, "x", **{name: "value"})
    assert handler.records == []


def test_log_event_below_the_level_does_not_render_its_arguments(
    collected: tuple[logging.Logger, _Collect],
) -> None:
    logger, handler = collected
    rendered: list[str] = []

    class Expensive:
        def __str__(self) -> str:
            rendered.append("yes")
            return "expensive"

    log_event(logger, LogEvent.STATUS, "state %s", Expensive(), level=logging.DEBUG)
    assert handler.records == []
    assert rendered == []


def test_plain_record_has_the_log_event_and_its_extra_as_context(
    collected: tuple[logging.Logger, _Collect],
) -> None:
    logger, handler = collected
    logger.info("plain", extra={"pair": "ETH/USDT"})
    (record,) = handler.records
    assert record_event(record) == LogEvent.LOG
    assert record_context(record) == {"pair": "ETH/USDT"}


def test_plain_extra_with_a_reserved_name_is_kept_under_a_prefix(
    collected: tuple[logging.Logger, _Collect],
) -> None:
    logger, handler = collected
    logger.info("plain", extra={"level": "custom", "ts": 5})
    (record,) = handler.records
    assert record_context(record) == {"context_level": "custom", "context_ts": 5}
