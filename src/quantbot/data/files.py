"""Market-data files in the interchange format: naming and reading.

The format is the one of the real-data files shipped for tests
(``<exchange>_<SLUG>_<kind>[_<dates>].<csv|jsonl>.gz``)::

    binance_BTC-USDT_1m.csv.gz                     OHLCV, timestamp,open,high,low,close,volume
    binance-usdm_BTC-USDT-PERP_mark_1h.csv.gz      mark-price candles, same columns
    binance-usdm_BTC-USDT-PERP_funding.csv.gz      timestamp,funding_rate (fraction per settlement)
    binance_BTC-USDT_trades.csv.gz                 timestamp,price,amount,side
    binance_BTC-USDT_orderbook.jsonl.gz            {"timestamp","update_id","bids","asks"} per line
    segments/binance_BTC-USDT_1m_20230316-20230505.csv.gz   a further period of a series

Timestamps are epoch milliseconds, UTC, candle open time. The exchange part may name a
Binance futures market family (``binance-usdm``, ``binance-coinm``); quantbot keeps
those under the exchange id ``binance`` with a perpetual symbol, as ccxt does.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from quantbot.data.errors import DataFormatError
from quantbot.data.ohlcv import OHLCV_COLUMNS
from quantbot.data.symbols import slug_to_symbol

__all__ = [
    "DataFile",
    "DataKind",
    "files_under",
    "parse_data_file",
    "read_funding_csv",
    "read_ohlcv_csv",
    "read_order_book_jsonl",
]

DataKind = Literal["ohlcv", "mark", "funding", "trades", "orderbook", "orderbook-updates"]

_NAME = re.compile(
    r"^(?P<exchange>[a-z0-9]+(?:-[a-z0-9]+)?)_(?P<slug>[A-Z0-9]+-[A-Z0-9]+(?:-PERP)?)_"
    r"(?P<kind>mark_[0-9]+[mhdwM]|[0-9]+[mhdwM]|funding|trades|orderbook-updates|orderbook)"
    r"(?:_[0-9]{8}(?:-[0-9]{8})?)?\.(?P<ext>csv|jsonl)(?:\.gz)?$"
)

_DAMAGED = (OSError, EOFError, zlib.error)
"""What reading a missing, truncated or corrupt (compressed) file raises."""

_EXCHANGE_FAMILIES = {"binance-usdm": "binance", "binance-coinm": "binance"}
"""File exchange names that are market families of one ccxt exchange."""


@dataclass(frozen=True, slots=True)
class DataFile:
    """What a data file holds, read from its name.

    Attributes:
        path: the file.
        exchange: ccxt exchange id (``binance-usdm`` files belong to ``binance``).
        symbol: ccxt symbol (``BTC/USDT:USDT`` for ``BTC-USDT-PERP``).
        kind: ohlcv, mark, funding, trades, orderbook or orderbook-updates.
        timeframe: candle timeframe for ohlcv and mark files, else None.
    """

    path: Path
    exchange: str
    symbol: str
    kind: DataKind
    timeframe: str | None


def files_under(path: Path) -> list[Path]:
    """``path`` itself if it is a file, else every file below it, recursively, in name order.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file())


def parse_data_file(path: Path) -> DataFile:
    """Identify a data file by its name.

    Raises:
        DataFormatError: when the name does not follow the format.
    """
    match = _NAME.match(path.name)
    if match is None:
        raise DataFormatError(
            f"{path.name}: not a market-data file name; expected "
            "<exchange>_<BASE-QUOTE[-PERP]>_<timeframe|mark_<tf>|funding|trades|orderbook>.csv[.gz]"
        )
    exchange = _EXCHANGE_FAMILIES.get(match["exchange"], match["exchange"])
    raw_kind = match["kind"]
    kind: DataKind
    timeframe: str | None = None
    if raw_kind.startswith("mark_"):
        kind, timeframe = "mark", raw_kind.removeprefix("mark_")
    elif raw_kind[0].isdigit():
        kind, timeframe = "ohlcv", raw_kind
    else:
        kind = raw_kind  # type: ignore[assignment]
    return DataFile(path, exchange, slug_to_symbol(match["slug"]), kind, timeframe)


def read_ohlcv_csv(path: Path) -> pd.DataFrame:
    """Read an OHLCV (or mark-price) CSV into an OHLCV frame (``ts_ms`` for ``timestamp``).

    Rows are returned as stored: checking them is the quality checks' job.

    Raises:
        DataFormatError: on missing columns or non-numeric values.
    """
    frame = _read_csv(path, ("timestamp", "open", "high", "low", "close", "volume"))
    frame = frame.rename(columns={"timestamp": "ts_ms"})[list(OHLCV_COLUMNS)]
    return _typed(path, frame, {"ts_ms": np.int64, **dict.fromkeys(OHLCV_COLUMNS[1:], np.float64)})


def read_funding_csv(path: Path) -> pd.DataFrame:
    """Read a funding-rate CSV into columns ``ts_ms`` and ``funding_rate`` (a fraction).

    Raises:
        DataFormatError: on missing columns or non-numeric values.
    """
    frame = _read_csv(path, ("timestamp", "funding_rate")).rename(columns={"timestamp": "ts_ms"})
    return _typed(
        path, frame[["ts_ms", "funding_rate"]], {"ts_ms": np.int64, "funding_rate": np.float64}
    )


def read_order_book_jsonl(path: Path) -> pd.DataFrame:
    """Read L2 book snapshots: ``ts_ms``, ``update_id``, ``bids`` and ``asks``.

    ``bids``/``asks`` hold ``[[price, qty], ...]`` lists, bids descending, asks ascending;
    ``update_id`` is the exchange's book sequence number, -1 when the source has none.

    Raises:
        DataFormatError: on unreadable JSON or missing fields.
    """
    try:
        with _open_text(path) as lines:
            records = [json.loads(line) for line in lines if line.strip()]
    except (*_DAMAGED, ValueError) as exc:
        raise DataFormatError(f"{path.name}: not JSON lines: {exc}") from None
    frame = pd.DataFrame.from_records(records)
    missing = {"timestamp", "bids", "asks"} - set(frame.columns)
    if missing:
        raise DataFormatError(f"{path.name}: missing fields {sorted(missing)}")
    if "update_id" not in frame.columns:
        frame["update_id"] = -1
    frame = frame.rename(columns={"timestamp": "ts_ms"})[["ts_ms", "update_id", "bids", "asks"]]
    return _typed(path, frame, {"ts_ms": np.int64, "update_id": np.int64})


def _open_text(path: Path) -> IO[str]:
    """Open a text file, decompressing ``.gz`` transparently."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (*_DAMAGED, ValueError) as exc:
        raise DataFormatError(f"{path.name}: cannot be read as CSV: {exc}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFormatError(f"{path.name}: missing columns {missing}; has {list(frame.columns)}")
    return frame


def _typed(path: Path, frame: pd.DataFrame, dtypes: dict[str, type]) -> pd.DataFrame:
    try:
        return frame.astype(dtypes)
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{path.name}: a column holds non-numeric values: {exc}") from None
