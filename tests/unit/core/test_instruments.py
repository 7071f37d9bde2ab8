import pytest

from quantbot.core import Instrument, InstrumentKind, InvalidValue


def test_spot_symbol_parses_into_base_and_quote() -> None:
    instrument = Instrument.from_symbol("BTC/USDT", tick_size=0.01, lot_size=0.00001)
    assert (instrument.base, instrument.quote, instrument.settle) == ("BTC", "USDT", None)
    assert instrument.kind is InstrumentKind.SPOT
    assert not instrument.is_perpetual


def test_linear_perpetual_symbol_parses_with_settle_currency() -> None:
    instrument = Instrument.from_symbol("1000PEPE/USDT:USDT", contract_size=0.5)
    assert (instrument.base, instrument.quote, instrument.settle) == ("1000PEPE", "USDT", "USDT")
    assert instrument.kind is InstrumentKind.PERPETUAL
    assert instrument.contract_size == 0.5


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("BTCUSDT", "malformed"),
        ("btc/usdt", "malformed"),
        ("BTC/", "malformed"),
        ("BTC/USDT:", "malformed"),
        (" BTC/USDT", "malformed"),
        ("BTC/BTC", "base and quote"),
        ("BTC/USD:BTC", "inverse"),
        ("BTC/USDT:USDT-240628", "dated future"),
        ("BTC/USDT:USDT-240628-60000-C", "option"),
    ],
)
def test_unsupported_or_malformed_symbol_is_rejected_with_reason(symbol: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        Instrument.from_symbol(symbol)


def test_constructor_rejects_fields_contradicting_the_symbol() -> None:
    with pytest.raises(InvalidValue, match="do not match"):
        Instrument(
            symbol="BTC/USDT", base="ETH", quote="USDT", settle=None, kind=InstrumentKind.SPOT
        )


@pytest.mark.parametrize(
    "sizes",
    [
        {"contract_size": 0.0},
        {"tick_size": -0.01},
        {"lot_size": 0.0},
        {"min_notional": -5.0},
        {"tick_size": float("nan")},
    ],
)
def test_non_positive_sizes_are_rejected(sizes: dict[str, float]) -> None:
    with pytest.raises(InvalidValue):
        Instrument.from_symbol("BTC/USDT:USDT", **sizes)


def test_spot_contract_size_must_be_one() -> None:
    with pytest.raises(InvalidValue, match="spot"):
        Instrument.from_symbol("BTC/USDT", contract_size=0.001)
