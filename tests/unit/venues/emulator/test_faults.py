"""Fault rules: validation, matching, counts, skips and seeded probabilities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quantbot.venues.emulator.errors import InvalidFaultRule
from quantbot.venues.emulator.faults import FaultInjector, FaultKind, FaultRule, rules_from_json


def rule(**fields: object) -> FaultRule:
    return FaultRule.from_mapping(
        {"path": "/api/v3/klines", "kind": "status", "status": 429, **fields}
    )


def fire_pattern(
    injector: FaultInjector, requests: int, path: str = "/api/v3/klines"
) -> list[bool]:
    return [injector.choose("GET", path) is not None for _ in range(requests)]


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"status": None}, "must be 400-599"),
        ({"status": 302}, "must be 400-599"),
        ({"probability": 0}, "probability"),
        ({"probability": 1.5}, "probability"),
        ({"count": 0}, "count"),
        ({"skip": -1}, "skip"),
        ({"colour": "red"}, "unknown fault rule field"),
        ({"path": ""}, "must not be empty"),
        ({"status": "429"}, "must be an integer"),
        ({"count": True}, "must be an integer"),
        ({"probability": "half"}, "must be a number"),
    ],
)
def test_invalid_rules_are_refused_with_the_reason(
    fields: dict[str, object], complaint: str
) -> None:
    with pytest.raises(InvalidFaultRule, match=complaint):
        rule(**fields)


def test_a_rule_needs_path_and_kind() -> None:
    with pytest.raises(InvalidFaultRule, match="needs 'path' and 'kind'"):
        FaultRule.from_mapping({"kind": "drop"})


def test_rules_from_json_names_the_bad_rule() -> None:
    with pytest.raises(InvalidFaultRule, match="fault rule 2"):
        rules_from_json([{"path": "*", "kind": "drop"}, {"path": "*", "kind": "status"}])
    with pytest.raises(InvalidFaultRule, match="not a JSON object"):
        rules_from_json(["drop"])


def test_json_form_round_trips() -> None:
    original = rule(count=3, skip=1, retry_after_s=7, method="get")
    assert original.method == "GET"
    assert (
        FaultRule.from_mapping({k: v for k, v in original.to_dict().items() if k != "rule_id"})
        == original
    )


def test_retry_after_defaults_to_one_second_for_429_and_418_only() -> None:
    assert rule(status=429).retry_after == 1
    assert rule(status=418).retry_after == 1
    assert rule(status=503).retry_after is None
    assert rule(status=503, retry_after_s=4).retry_after == 4


def test_count_limits_how_often_a_rule_fires() -> None:
    injector = FaultInjector()
    injector.add(rule(count=3))
    assert fire_pattern(injector, 6) == [True, True, True, False, False, False]


def test_skip_lets_the_first_matching_requests_through() -> None:
    injector = FaultInjector()
    injector.add(rule(skip=2, count=1))
    assert fire_pattern(injector, 5) == [False, False, True, False, False]


@given(count=st.integers(1, 20), skip=st.integers(0, 20), requests=st.integers(0, 60))
def test_fired_count_is_count_after_skip(count: int, skip: int, requests: int) -> None:
    injector = FaultInjector()
    injector.add(rule(count=count, skip=skip))
    fired = sum(fire_pattern(injector, requests))
    assert fired == min(count, max(0, requests - skip))
    assert injector.snapshot()[0]["fired"] == fired


def test_rules_apply_only_to_matching_paths_and_methods() -> None:
    injector = FaultInjector()
    injector.add(FaultRule.from_mapping({"path": "/fapi/*", "kind": "drop", "method": "GET"}))
    assert injector.choose("GET", "/fapi/v1/klines") is not None
    assert injector.choose("POST", "/fapi/v1/order") is None
    assert injector.choose("GET", "/api/v3/klines") is None


def test_the_first_rule_that_fires_wins() -> None:
    injector = FaultInjector()
    first = injector.add(rule(count=1))
    second = injector.add(FaultRule.from_mapping({"path": "*", "kind": "drop"}))
    assert injector.choose("GET", "/api/v3/klines") == first
    assert injector.choose("GET", "/api/v3/klines") == second


def test_probability_draws_are_reproducible_from_the_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        injector = FaultInjector(seed=seed)
        injector.add(rule(probability=0.3))
        return fire_pattern(injector, 200)

    assert pattern(5) == pattern(5)
    assert pattern(5) != pattern(6)


def test_probability_is_the_long_run_share_of_faulted_requests() -> None:
    injector = FaultInjector(seed=1)
    injector.add(rule(probability=0.3))
    fired = sum(fire_pattern(injector, 4000))
    # Binomial(4000, 0.3): mean 1200, sd 29; 5 sd either side.
    assert 1055 < fired < 1345


def test_a_rule_seed_makes_its_draws_independent_of_other_rules() -> None:
    def pattern(extra_rules: int) -> list[bool]:
        injector = FaultInjector(seed=0)
        for _ in range(extra_rules):
            injector.add(FaultRule.from_mapping({"path": "/other", "kind": "drop"}))
        injector.add(rule(probability=0.5, seed=42))
        return fire_pattern(injector, 100)

    assert pattern(0) == pattern(3)


def test_remove_and_clear_drop_rules() -> None:
    injector = FaultInjector()
    kept = injector.add(rule())
    dropped = injector.add(FaultRule.from_mapping({"path": "*", "kind": "drop"}))
    assert injector.remove(dropped.rule_id)
    assert not injector.remove(dropped.rule_id)
    assert [r["rule_id"] for r in injector.snapshot()] == [kept.rule_id]
    injector.clear()
    assert injector.snapshot() == []
    assert injector.choose("GET", "/api/v3/klines") is None


def test_snapshot_reports_matched_fired_and_active() -> None:
    injector = FaultInjector()
    injector.add(rule(count=1, skip=1))
    fire_pattern(injector, 3)
    (entry,) = injector.snapshot()
    assert (entry["matched"], entry["fired"], entry["active"]) == (3, 1, False)
    assert entry["kind"] == FaultKind.STATUS.value
