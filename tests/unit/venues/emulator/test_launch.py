"""Building an emulator from CLI choices: period, store, fault files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quantbot.core.clock import SimulatedClock
from quantbot.venues.emulator.errors import EmulatorError
from quantbot.venues.emulator.faults import FaultKind, rules_from_json
from quantbot.venues.emulator.launch import EmulatorOptions, build_state, load_fault_file

NOW_MS = 1_736_000_000_000
DAY_MS = 86_400_000


def test_the_synthetic_market_covers_the_days_before_today_and_beyond_now() -> None:
    state = build_state(
        EmulatorOptions(days=2, symbols=("BTC/USDT", "BTC/USDT:USDT")), clock=SimulatedClock(NOW_MS)
    )
    first, last = state.source.span_ms("BTC/USDT") or (0, 0)
    assert first == NOW_MS // DAY_MS * DAY_MS - 2 * DAY_MS
    assert last > NOW_MS + 12 * 3_600_000
    assert [s.symbol for s in state.catalogue.spot] == ["BTC/USDT"]
    assert [s.symbol for s in state.catalogue.usdm] == ["BTC/USDT:USDT"]


def test_a_missing_or_empty_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="no candle store"):
        build_state(
            EmulatorOptions(source="store", store_root=tmp_path / "absent"),
            clock=SimulatedClock(NOW_MS),
        )
    with pytest.raises(EmulatorError, match="no binance candles"):
        build_state(
            EmulatorOptions(source="store", store_root=tmp_path), clock=SimulatedClock(NOW_MS)
        )


def test_fault_files_hold_one_rule_or_a_list(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps(
            [
                {"path": "/api/v3/*", "kind": "drop"},
                {"path": "*", "kind": "latency", "latency_ms": 5},
            ]
        )
    )
    assert [r.kind for r in load_fault_file(path)] == [FaultKind.DROP, FaultKind.LATENCY]
    path.write_text(json.dumps({"path": "*", "kind": "status", "status": 503}))
    assert load_fault_file(path)[0].status == 503


@pytest.mark.parametrize(
    ("content", "complaint"),
    [("{not json", "cannot read"), ('[{"path": "*", "kind": "boom"}]', "fault rule 1")],
)
def test_bad_fault_files_name_the_file_and_the_problem(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = tmp_path / "faults.json"
    path.write_text(content)
    with pytest.raises(EmulatorError, match=complaint) as raised:
        load_fault_file(path)
    assert str(path) in str(raised.value)


def test_rules_from_the_options_are_active_from_the_start() -> None:
    rules = rules_from_json([{"path": "/fapi/*", "kind": "drop", "count": 2}])
    state = build_state(
        EmulatorOptions(days=1, faults=rules, fault_seed=3), clock=SimulatedClock(NOW_MS)
    )
    assert state.faults.seed == 3
    assert state.faults.choose("GET", "/fapi/v1/klines") is not None
