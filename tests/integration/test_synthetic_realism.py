"""The synthetic market against recorded Binance data in ../shared/data.

Every statistic of the real data is computed here, from the files, and compared with
the same statistic of the synthetic market with its default profiles. The bands are
loose on purpose: they ask for the same order of magnitude and the same shape, which is
what strategies and fill models are sensitive to. A band that fails means the generator
is broken (thin tails, no clustering, funding in percents, a crossed or empty book), not
that a calibration constant moved. Each test says why its band is as wide as it is.

Real figures at the time of writing, for orientation only (the tests recompute them):
1m return kurtosis BTC ~15, ETH ~47; mean autocorrelation of absolute 1m returns over
lags 1-120 ~0.19 (BTC); BTC/ETH 1m correlation ~0.74; BTC funding mean |rate|
~0.013 %, 85 % of settlements positive; BTC spot book spread one tick (~0.002 bps),
top-20 bid depth ~4 BTC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quantbot.data.files import read_funding_csv, read_ohlcv_csv, read_order_book_jsonl
from quantbot.data.synthetic import DEFAULT_ASSETS, SyntheticMarket, generate_market

START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
PAIRS = {"BTC/USDT": "BTC-USDT", "ETH/USDT": "ETH-USDT"}
MAX_LAG = 120


def log_returns(frame: pd.DataFrame) -> np.ndarray:
    return np.diff(np.log(frame["close"].to_numpy()))


def kurtosis(returns: np.ndarray) -> float:
    centred = returns - returns.mean()
    return float((centred**4).mean() / centred.var() ** 2)


def abs_return_autocorrelation(returns: np.ndarray, lags: range) -> np.ndarray:
    absolute = np.abs(returns - returns.mean())
    return np.array([np.corrcoef(absolute[:-lag], absolute[lag:])[0, 1] for lag in lags])


def book_statistics(books: pd.DataFrame) -> dict[str, float]:
    """Medians over snapshots: spread in bps, top-20 depth of both sides, 20-level span."""
    bids = [np.asarray(side[:20], dtype=float) for side in books["bids"]]
    asks = [np.asarray(side[:20], dtype=float) for side in books["asks"]]
    best_bid = np.array([b[0, 0] for b in bids])
    best_ask = np.array([a[0, 0] for a in asks])
    mid = (best_bid + best_ask) / 2.0
    depth = np.array([b[:, 1].sum() + a[:, 1].sum() for b, a in zip(bids, asks, strict=True)])
    span = np.array([(b[0, 0] - b[-1, 0]) / b[0, 0] for b in bids])
    return {
        "spread_bps": float(np.median((best_ask - best_bid) / mid * 1e4)),
        "depth_base": float(np.median(depth)),
        "depth_quote": float(np.median(depth * mid)),
        "span_bps": float(np.median(span * 1e4)),
    }


@pytest.fixture(scope="module")
def real_candles(shared_data: Path) -> dict[str, pd.DataFrame]:
    """Binance spot 1m, BTC and ETH over the same ~91 days of 2025."""
    return {
        s: read_ohlcv_csv(shared_data / f"binance_{slug}_1m.csv.gz") for s, slug in PAIRS.items()
    }


@pytest.fixture(scope="module")
def real_correlation(real_candles: dict[str, pd.DataFrame]) -> float:
    btc, eth = (real_candles[s] for s in PAIRS)
    assert (btc["ts_ms"].to_numpy() == eth["ts_ms"].to_numpy()).all()  # same minutes
    return float(np.corrcoef(log_returns(btc), log_returns(eth))[0, 1])


@pytest.fixture(scope="module")
def synthetic(real_candles: dict[str, pd.DataFrame], real_correlation: float) -> SyntheticMarket:
    """As many synthetic minutes as real ones, correlated like the real pair."""
    minutes = len(real_candles["BTC/USDT"])
    return generate_market(
        list(PAIRS), start_ms=START_MS, minutes=minutes, seed=2024, correlation=real_correlation
    )


def test_one_minute_returns_are_fat_tailed_like_the_real_ones(real_candles, synthetic) -> None:
    """Kurtosis well above a normal distribution's 3, in the range real assets show.

    Band: above 6 (twice the normal value) and within a factor 3 of the real range.
    Sample kurtosis is set by a handful of extreme minutes, so it differs several-fold
    between assets over the same minutes (BTC and ETH here) and between periods; a factor
    3 tolerates that, and still fails a generator with thin (kurtosis ~3-4) tails or with
    absurd jumps (kurtosis in the hundreds).
    """
    real = {s: kurtosis(log_returns(f)) for s, f in real_candles.items()}
    low, high = min(real.values()) / 3.0, max(real.values()) * 3.0
    for symbol, frame in synthetic.candles.items():
        value = kurtosis(log_returns(frame))
        assert value > 6.0, (symbol, value, real)
        assert low < value < high, (symbol, value, real)


def test_volatility_clusters_over_minutes_to_hours_like_the_real_series(
    real_candles, synthetic
) -> None:
    """Absolute returns stay positively autocorrelated at every lag from 1 to 120 minutes.

    Band: every lag positive (the real series' are, and a generator without clustering
    gives noise around 0); the mean over the lags within a factor 2 of the real mean.
    Real values move by tens of percent between assets and quarters; a factor 2 allows
    that and fails a clustering that dies within minutes or never decays.
    """
    lags = range(1, MAX_LAG + 1)
    for symbol, real_frame in real_candles.items():
        real = abs_return_autocorrelation(log_returns(real_frame), lags)
        generated = abs_return_autocorrelation(log_returns(synthetic.candles[symbol]), lags)
        assert (real > 0).all()
        assert (generated > 0).all(), (symbol, generated.min())
        assert real.mean() / 2.0 < generated.mean() < real.mean() * 2.0, (
            symbol,
            generated.mean(),
            real.mean(),
        )
        # The memory outlasts the two hours: real markets remember a busy day.
        longer = abs_return_autocorrelation(
            log_returns(synthetic.candles[symbol]), range(121, 1441, 60)
        )
        assert longer.mean() > 0.0


def test_assets_are_correlated_as_configured(synthetic, real_correlation) -> None:
    """Configured with the real BTC/ETH correlation, the generator reproduces it.

    Band: +-0.05. With 130 000 minutes the sampling error of a correlation is under
    0.01; a wider gap means jumps or volatility bursts hit one asset alone (diluting the
    correlation) or the Cholesky mixing is wrong.
    """
    btc, eth = (log_returns(synthetic.candles[s]) for s in PAIRS)
    assert abs(np.corrcoef(btc, eth)[0, 1] - real_correlation) < 0.05


@pytest.fixture(scope="module")
def long_synthetic() -> SyntheticMarket:
    """Three years of BTC and ETH: about 3 300 settlements each over ~110 regime stays."""
    return generate_market(list(PAIRS), start_ms=START_MS, minutes=3 * 525_600, seed=2025)


@pytest.mark.parametrize("symbol", list(PAIRS))
def test_funding_is_of_the_real_order_of_magnitude(shared_data, long_synthetic, symbol) -> None:
    """Funding per 8h settlement compared with Binance USD-M's since 2019.

    Bands, and why: real funding changes with the market's mood from year to year (mean
    |rate| from about 0.004 % to 0.036 %, positive share from about 55 % to 97 %), so
    - mean |rate| within a factor 3 of the real one (a generator in percents, or stuck
      at zero, is off by 10-100x);
    - share of positive settlements within 0.2 of the real one (longs usually pay);
    - share of settlements at exactly the 0.01 % baseline within a factor 2 (the mark of
      Binance's clamp, which a plain noisy series lacks);
    - the 5-95 % range within a factor 3 of the real one; the largest |rate| no more than
      the real largest (which sits at Binance's cap) and at least a tenth of it.
    """
    real = read_funding_csv(shared_data / f"binance-usdm_{PAIRS[symbol]}-PERP_funding.csv.gz")
    real_rates = real["funding_rate"].to_numpy()
    rates = long_synthetic.funding[symbol]["funding_rate"].to_numpy()

    def at_baseline(values: np.ndarray) -> float:
        return float(np.isclose(values, 0.0001, rtol=0.0, atol=1e-10).mean())

    def width(values: np.ndarray) -> float:
        low, high = np.quantile(values, [0.05, 0.95])
        return float(high - low)

    real_mean_abs = np.abs(real_rates).mean()
    assert real_mean_abs / 3 < np.abs(rates).mean() < real_mean_abs * 3
    assert abs((rates > 0).mean() - (real_rates > 0).mean()) < 0.2
    assert at_baseline(real_rates) / 2 < at_baseline(rates) < at_baseline(real_rates) * 2
    assert width(real_rates) / 3 < width(rates) < width(real_rates) * 3
    real_max = np.abs(real_rates).max()
    assert real_max / 10 < np.abs(rates).max() <= real_max
    assert real_rates.mean() > 0
    assert rates.mean() > 0


@pytest.mark.parametrize("symbol", list(PAIRS))
def test_books_have_the_real_spread_and_depth(shared_data, symbol) -> None:
    """Synthetic spot books against ~11 minutes of the real Binance spot book (2024-08).

    Bands, and why:
    - median spread in bps within a factor 3: real spreads are one tick nearly always,
      so this checks that the synthetic book is tick-tight too (a spread of a few bps,
      typical of a naive generator, is 1000x off for BTC);
    - median top-20 depth of both sides, in base units and in quote notional, within a
      factor 5: depth moves several-fold within a day and between years, and the real
      sample is eleven minutes of one night;
    - median price span of 20 levels within a factor 3: real levels are sparse (tens of
      ticks apart for BTC), which a one-level-per-tick book misses by 40x.
    """
    real = book_statistics(
        read_order_book_jsonl(shared_data / f"binance_{PAIRS[symbol]}_orderbook.jsonl.gz")
    )
    market = generate_market(
        [symbol], start_ms=START_MS, minutes=6 * 60, seed=7, book_interval_s=10
    )
    generated = book_statistics(market.books[symbol])
    factors = {"spread_bps": 3.0, "depth_base": 5.0, "depth_quote": 5.0, "span_bps": 3.0}
    for name, factor in factors.items():
        assert real[name] / factor < generated[name] < real[name] * factor, (name, generated, real)
    tick = DEFAULT_ASSETS[symbol].tick_size
    best = market.books[symbol]
    spread = np.array([a[0][0] - b[0][0] for a, b in zip(best["asks"], best["bids"], strict=True)])
    assert np.median(spread) == pytest.approx(tick)
