import quantbot.analytics as analytics

EXPECTED_PUBLIC_NAMES = {
    "BASKET_KEY",
    "DAYS_PER_YEAR",
    "FILLS_CSV_COLUMNS",
    "TRADES_CSV_COLUMNS",
    "AnalyticsError",
    "BacktestAnalysis",
    "BacktestOutputs",
    "Benchmark",
    "DailyEquity",
    "EmptyBacktest",
    "Metrics",
    "OutputPaths",
    "PlotlyJsMode",
    "ReturnMetrics",
    "RunMetrics",
    "SummaryTable",
    "TradeMetrics",
    "analyse_backtest",
    "compute_benchmarks",
    "compute_metrics",
    "daily_equity",
    "render_report",
    "summary_document",
    "summary_table",
    "write_outputs",
    "write_report",
}


def test_public_names_are_pinned_and_importable() -> None:
    assert set(analytics.__all__) == EXPECTED_PUBLIC_NAMES
    assert len(analytics.__all__) == len(EXPECTED_PUBLIC_NAMES)
    for name in analytics.__all__:
        assert hasattr(analytics, name), name
