import json

from hypothesis import given

from quantbot.analytics import analyse_backtest, summary_document, summary_table
from quantbot.analytics.summary import METRIC_ROWS
from quantbot.engine.results import BacktestResult

from .builders import results


@given(results())
def test_any_result_gives_strict_json_and_a_full_table(result: BacktestResult) -> None:
    analysis = analyse_backtest(result)

    document = json.loads(json.dumps(summary_document(analysis), allow_nan=False))
    table = summary_table(analysis)

    closed = int((~result.trades["is_open"].astype(bool)).sum())
    assert document["num_trades"] == closed
    assert document["final_equity"] == result.equity[-1]
    assert len(document["open_positions"]) == len(result.trades) - closed
    assert document["overall"]["days"] >= 1
    assert len(table.rows) == len(METRIC_ROWS)
    assert {len(row) for row in table.rows} == {len(table.columns)}
