"""The store's files: partition names and spans, atomic replacement, the writer lock."""

from __future__ import annotations

import fcntl
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from quantbot.data.store_layout import (
    LOCK_FILE_NAME,
    Partition,
    Partitioning,
    partitions,
    series_lock,
    write_table_atomically,
)

NEW_YEAR_2025 = 1_735_689_600_000  # 2025-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("partitioning", "runs"),
    [
        (Partitioning.DAY, [("2024-12-31", 0, 2), ("2025-01-01", 2, 3), ("2025-01-02", 3, 4)]),
        (Partitioning.MONTH, [("2024-12", 0, 2), ("2025-01", 2, 4)]),
        (Partitioning.YEAR, [("2024", 0, 2), ("2025", 2, 4)]),
        (Partitioning.ALL, [("all", 0, 4)]),
    ],
)
def test_sorted_timestamps_split_into_runs_at_utc_boundaries(
    partitioning: Partitioning, runs: list[tuple[str, int, int]]
) -> None:
    day = 86_400_000
    ts = np.array(
        [NEW_YEAR_2025 - day, NEW_YEAR_2025 - 1, NEW_YEAR_2025, NEW_YEAR_2025 + day],
        dtype=np.int64,
    )
    assert partitioning.split(ts) == runs
    assert partitioning.split(ts[:0]) == []


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("2025.parquet", "2025-01-01", "2026-01-01"),
        ("2024-02.parquet", "2024-02-01", "2024-03-01"),
        ("2024-02-29.parquet", "2024-02-29", "2024-03-01"),
    ],
)
def test_a_partition_name_says_its_time_span(name: str, start: str, end: str) -> None:
    part = Partition.from_path(Path("series") / name)
    assert part is not None
    assert part.start_ms == np.datetime64(start, "ms").astype(np.int64)
    assert part.end_ms == np.datetime64(end, "ms").astype(np.int64)


def test_the_all_partition_spans_all_time() -> None:
    part = Partition.from_path(Path("all.parquet"))
    assert part is not None
    assert part.overlaps(-(2**62), None)
    assert part.overlaps(None, 2**62)


@pytest.mark.parametrize(
    "name", [".tmp-2025.parquet.x1", ".lock", "2025.csv", "notes.parquet", "2025-1.parquet"]
)
def test_other_files_are_not_partitions(name: str) -> None:
    assert Partition.from_path(Path(name)) is None


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (None, None, True),
        ("2024-12-31", "2025-01-01", False),  # ends where the year starts
        ("2024-12-31", "2025-01-02", True),
        ("2025-12-31", None, True),
        ("2026-01-01", None, False),
        (None, "2025-01-01", False),
    ],
)
def test_overlap_uses_half_open_ranges(start: str | None, end: str | None, overlaps: bool) -> None:
    part = Partition.from_path(Path("2025.parquet"))
    assert part is not None

    def ms(text: str | None) -> int | None:
        return None if text is None else int(np.datetime64(text, "ms").astype(np.int64))

    assert part.overlaps(ms(start), ms(end)) is overlaps


def test_partitions_are_listed_in_time_order(tmp_path: Path) -> None:
    for name in ("2025-02.parquet", "2024-12.parquet", "2025-01.parquet", ".lock", "x.txt"):
        (tmp_path / name).touch()
    assert [p.path.name for p in partitions(tmp_path)] == [
        "2024-12.parquet",
        "2025-01.parquet",
        "2025-02.parquet",
    ]
    assert partitions(tmp_path / "missing") == []


def table(value: float) -> pa.Table:
    return pa.table({"ts_ms": pa.array([1, 2], pa.int64()), "close": [value, value]})


def test_an_atomic_write_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "2025.parquet"
    write_table_atomically(table(1.0), path)
    write_table_atomically(table(2.0), path)
    assert pq.read_table(path).equals(table(2.0))
    assert [p.name for p in tmp_path.iterdir()] == ["2025.parquet"]


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "2025.parquet"
    write_table_atomically(table(1.0), path)

    def torn_write(data: pa.Table, sink: object, **options: object) -> None:
        sink.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", torn_write)
    with pytest.raises(OSError, match="disk full"):
        write_table_atomically(table(2.0), path)
    monkeypatch.undo()
    assert pq.read_table(path).equals(table(1.0))
    assert [p.name for p in tmp_path.iterdir()] == ["2025.parquet"]


def test_the_lock_is_exclusive_while_held(tmp_path: Path) -> None:
    series = tmp_path / "binance" / "BTC-USDT" / "ohlcv_1m"
    with (
        series_lock(series),
        (series / LOCK_FILE_NAME).open("a") as other,
        pytest.raises(BlockingIOError),
    ):
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    with (series / LOCK_FILE_NAME).open("a") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # released: free again


def test_taking_the_lock_removes_temporaries_a_crashed_writer_left(tmp_path: Path) -> None:
    tmp_path.joinpath(".tmp-2025.parquet.k2j4").write_bytes(b"torn")
    tmp_path.joinpath("2025.parquet").write_bytes(b"kept")
    with series_lock(tmp_path):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_FILE_NAME, "2025.parquet"]
