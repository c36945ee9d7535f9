"""The routing simulation: our matcher beats the baselines; --json and --seed behave."""

from __future__ import annotations

import json

import pytest

from routing import simulate
from routing.simulate import SimConfig, gini

KEYS = {"skill_match", "p50_accept_s", "p90_accept_s", "to_dispatch", "gini"}


def test_gini() -> None:
    assert gini([1, 1, 1, 1]) == 0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([]) == 0


def test_matcher_beats_baselines(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate.main(["--json", "--seed", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"matcher", "random", "round_robin"}
    assert all(set(r) == KEYS for r in result.values())
    m, rnd, rr = result["matcher"], result["random"], result["round_robin"]
    assert m["skill_match"] > max(rnd["skill_match"], rr["skill_match"])
    assert m["gini"] <= rnd["gini"] and m["gini"] <= rr["gini"] + 0.10
    assert m["p50_accept_s"] < rnd["p50_accept_s"] and m["to_dispatch"] <= rnd["to_dispatch"]


def test_seed_makes_runs_repeatable(capsys: pytest.CaptureFixture[str]) -> None:
    small = SimConfig(members=60, tickets=300, seed=5)
    assert simulate.simulate(small) == simulate.simulate(small)
    assert simulate.simulate(small) != simulate.simulate(SimConfig(members=60, tickets=300, seed=6))
    simulate.main(["--members", "40", "--tickets", "100", "--seed", "2"])
    out = capsys.readouterr().out
    assert "matcher" in out and "round_robin" in out and "seed 2" in out
