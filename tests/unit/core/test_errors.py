import pytest

from quantbot.core import AccountingError, InvalidValue, MissingPrice, QuantbotError


def test_invalid_value_is_caught_as_value_error_for_pydantic_validators() -> None:
    with pytest.raises(ValueError, match="boom"):
        raise InvalidValue("boom")


def test_missing_price_is_a_lookup_error_with_a_plain_message() -> None:
    error = MissingPrice("no price for BTC")
    assert isinstance(error, LookupError)
    assert str(error) == "no price for BTC"


@pytest.mark.parametrize("error", [AccountingError, InvalidValue, MissingPrice])
def test_core_errors_derive_from_quantbot_error(error: type[Exception]) -> None:
    assert issubclass(error, QuantbotError)
