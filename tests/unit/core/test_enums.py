import pytest

from quantbot.core import Side, TimeInForce


@pytest.mark.parametrize(
    ("side", "sign", "opposite"), [(Side.BUY, 1, Side.SELL), (Side.SELL, -1, Side.BUY)]
)
def test_side_sign_and_opposite(side: Side, sign: int, opposite: Side) -> None:
    assert side.sign == sign
    assert side.opposite is opposite


def test_values_are_lower_case_text_for_storage() -> None:
    assert Side("buy") is Side.BUY
    assert TimeInForce("post_only") is TimeInForce.POST_ONLY
    assert f"{Side.SELL}" == "sell"
