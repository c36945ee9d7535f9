"""Settings, the geography file and its sync, the bootstrap at start, and drafts of conversations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from routing import bootstrap, db, drafts, members
from routing.config import Settings
from routing.geography import GeographyError, load_geography, parse_geography, sync_geography
from routing.models import GeoNode
from tests.conftest import C1, G12, STREET, T0

# --- settings ---

def test_settings_defaults_and_scale(tmp_path: Path) -> None:
    s = Settings(_env_file=None, DATA_DIR=tmp_path)
    assert f"sqlite:///{tmp_path / 'jiedan.db'}" == s.DATABASE_URL
    assert (s.WAVE_SIZE, s.MAX_WAVES, s.MEMBER_CAPACITY) == (3, 3, 3)
    assert s.wave_timeout == timedelta(minutes=10)
    fast = Settings(_env_file=None, TIME_LIMIT_SCALE=0.01)
    assert fast.wave_timeout == timedelta(seconds=6)
    assert fast.invite_ttl == timedelta(days=7) * 0.01
    assert Settings(_env_file=None, TAXONOMY_FILE="").TAXONOMY_FILE is None
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(_env_file=None, TIMEZONE="Mars/Olympus")

    class BotSettings(Settings):  # the bot adds its own fields
        TELEGRAM_BOT_TOKEN: str = ""

    assert BotSettings(_env_file=None, TELEGRAM_BOT_TOKEN="x").WAVE_SIZE == 3


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/d")
    monkeypatch.setenv("WAVE_SIZE", "5")
    s = Settings(_env_file=None)
    assert s.DATABASE_URL == "postgresql://u@h/d" and s.WAVE_SIZE == 5


# --- the geography ---

def test_shipped_geography() -> None:
    geo = load_geography()
    assert [n.code for n in geo.streets] == [STREET]
    assert len(geo.grids) == 4 and len(geo.children(STREET)) == 2
    g = geo.nodes[G12]
    assert (g.street, g.community, g.parent, g.name) == (STREET, C1, C1, "幸福里第二网格")


@pytest.mark.parametrize(("data", "message"), [
    ({}, "no \\[\\[street\\]\\]"),
    ({"street": [{"code": "S01", "name": "街道"}]}, "street 'S01': has no community"),
    ({"street": [{"code": "S01", "name": "", "community": []}]}, "street 'S01': missing or empty"),
    ({"street": [{"code": "S01", "name": "街", "community": [
        {"code": "X-C01", "name": "社区", "grid": [{"code": "X-C01-G01", "name": "网格"}]}]}]},
     "community 'X-C01': code must start with its parent's code 'S01-'"),
    ({"street": [{"code": "S01", "name": "街", "community": [
        {"code": "S01-C01", "name": "社区", "grid": [{"code": "S01-C01-G01", "name": "一"},
                                                       {"code": "S01-C01-G01", "name": "二"}]}]}]},
     "grid 'S01-C01-G01': duplicate code"),
    ({"street": [{"code": "S 1", "name": "街"}]}, "malformed code"),
    ({"street": [{"code": "S01", "name": "街", "typo": 1}]}, "unknown key"),
])
def test_bad_geography_names_file_and_entry(data: dict, message: str) -> None:
    with pytest.raises(GeographyError, match=f"geo.toml: .*{message}"):
        parse_geography(data, Path("geo.toml"))


def test_geography_file_errors(tmp_path: Path) -> None:
    with pytest.raises(GeographyError, match="file not found"):
        load_geography(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[street]\n", encoding="utf-8")
    with pytest.raises(GeographyError, match=r"bad\.toml"):
        load_geography(bad)


def test_sync_is_idempotent_and_deactivates(engine, tmp_path: Path) -> None:
    with db.transaction(engine) as s:
        assert sync_geography(s, load_geography()) == 0  # the fixture synced already
    smaller = tmp_path / "geo.toml"
    smaller.write_text("""
[[street]]
code = "S01"
name = "示范街道"
[[street.community]]
code = "S01-C01"
name = "幸福里社区（更名）"
[[street.community.grid]]
code = "S01-C01-G01"
name = "幸福里第一网格"
""", encoding="utf-8")
    with db.transaction(engine) as s:
        assert sync_geography(s, load_geography(smaller)) == 1 + 4  # renamed + 4 deactivated
    with db.transaction(engine) as s:
        nodes = {n.code: n for n in s.exec(select(GeoNode))}
    assert nodes[C1].name == "幸福里社区（更名）" and not nodes[G12].active
    with db.transaction(engine) as s, pytest.raises(Exception, match="已停用"):
        members.set_home_grid(s, 1, G12, T0)


# --- the bootstrap at start ---

def test_bootstrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None, DATA_DIR=tmp_path / "data")
    engine = bootstrap.start(settings, coordinator_ids=[11, 12], now=T0)
    with db.transaction(engine) as s:
        members.add_coordinator(s, 12, 13, STREET, T0)  # (added by a coordinator, not configured)
    engine2 = bootstrap.start(settings, coordinator_ids=[11], now=T0)  # a restart, 12 taken out of COORDINATOR_IDS
    try:
        with db.transaction(engine2) as s:
            assert members.coordinator_scopes(s, 11) == [STREET]
            assert not members.is_coordinator(s, 12)  # (cards with residents' data no longer reach them)
            assert members.coordinator_scopes(s, 13) == [STREET]  # (the one 12 added stays)
            assert len(list(s.exec(select(GeoNode)))) == 7
    finally:
        engine.dispose()
        engine2.dispose()


# --- drafts of a conversation ---

def test_drafts(engine) -> None:
    with db.transaction(engine) as s:
        assert drafts.get_draft(s, 1, "intake") is None
        drafts.save_draft(s, 1, "intake", {"step": "address", "text": "漏水"}, T0)
        drafts.save_draft(s, 1, "join", {"step": "name"}, T0)
    with db.transaction(engine) as s:  # another process continues the conversation
        state = drafts.get_draft(s, 1, "intake")
        state["step"] = "phone"
        drafts.save_draft(s, 1, "intake", state, T0 + timedelta(minutes=1))
    with db.transaction(engine) as s:
        assert drafts.get_draft(s, 1, "intake") == {"step": "phone", "text": "漏水"}
        assert drafts.purge_drafts(s, T0 + timedelta(seconds=30)) == 1  # 'join' was older
        assert drafts.clear_draft(s, 1) == 1
        assert drafts.get_draft(s, 1, "intake") is None
