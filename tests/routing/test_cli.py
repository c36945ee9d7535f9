"""The `jiedan` command and a smoke run of the benchmark functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.taxonomy import Taxonomy
from routing import bench, cli, db, demo


def test_db_seed_invite_stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli.main(["db", "current", "--url", url]) == 0
    assert "base (empty)" in capsys.readouterr().out
    assert cli.main(["db", "upgrade", "--url", url]) == 0
    assert f"database at {db.head_revision()}" in capsys.readouterr().out
    assert cli.main(["seed-demo", "--url", url, "--coordinator", "77"]) == 0
    assert f"{len(demo.MEMBERS)} demo member(s) added" in capsys.readouterr().out
    assert cli.main(["seed-demo", "--url", url, "--coordinator", "77"]) == 0
    assert "0 demo member(s) added" in capsys.readouterr().out
    assert cli.main(["invite", "--coordinator", "77", "--url", url]) == 0
    assert "valid until" in capsys.readouterr().out
    assert cli.main(["invite", "--coordinator", "78", "--url", url]) == 1
    assert "只有协调员" in capsys.readouterr().err
    assert cli.main(["advance-waves", "--url", url]) == 0
    assert "0 ticket(s) advanced" in capsys.readouterr().out
    assert cli.main(["stats", "--scope", "S01", "--url", url]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["total"] == 0
    assert cli.main(["db", "downgrade", "base", "--url", url]) == 0
    assert "base (empty)" in capsys.readouterr().out


def test_geography_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["geography", "check"]) == 0
    assert "4 grid(s), ok" in capsys.readouterr().out
    bad = tmp_path / "geo.toml"
    bad.write_text('[[street]]\ncode = "S01"\nname = "街道"\n', encoding="utf-8")
    assert cli.main(["geography", "check", str(bad)]) == 1
    assert "has no community" in capsys.readouterr().err


def test_bench_functions_small(taxonomy: Taxonomy, settings) -> None:
    t = bench.bench_throughput("sqlite", taxonomy, settings, tickets=40, members=300)
    assert t["offered_share"] > 0.5 and t["tickets_per_s"] > 0
    [c] = bench.bench_candidates("sqlite", taxonomy, [300], queries=20)
    assert c["avg_found"] > 0
    s = bench.bench_stats("sqlite", taxonomy, 300)
    assert 0 <= s["rates"]["overdue_rate"] <= 1
    assert bench.machine(None)["cores"] >= 1
