"""Start-up: a bad setting stops the bot with one line naming it; no token runs the offline console."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import BotSettings, SettingsError, get_bot_settings
from tests.e2e.harness import share_learned_models

CLEAN = {
    k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "COORDINATOR_IDS"}
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("COORDINATOR_IDS", "12,abc"),
        ("TIME_LIMIT_SCALE", "-1"),
        ("TIMEZONE", "Mars/Olympus"),
        ("TELEGRAM_BASE_URL", "ftp://example"),
        ("QUIET_HOURS", "late"),
    ],
)
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    get_bot_settings.cache_clear()
    with pytest.raises(SettingsError) as error:
        get_bot_settings()
    get_bot_settings.cache_clear()
    assert name in str(error.value) and "\n" not in str(error.value)


def test_good_settings_parse() -> None:
    settings = BotSettings(
        _env_file=None,
        TELEGRAM_BOT_TOKEN="123456:ABCdefGHIjklMNOpqr",
        COORDINATOR_IDS="1, 2;3",
        TELEGRAM_BASE_URL="http://127.0.0.1:9999/",
    )
    assert settings.COORDINATOR_IDS == [1, 2, 3]
    assert settings.api_base_url == "http://127.0.0.1:9999/bot"
    assert "ABCdef" not in repr(settings), "the token never shows in logs or reprs"


def test_bad_setting_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    env = {**CLEAN, "TELEGRAM_BOT_TOKEN": "oops", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unreachable_database_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **CLEAN,
        "DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqr",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "database unavailable" in result.stderr
    assert "ABCdef" not in result.stderr + result.stdout


def test_no_token_runs_the_offline_console_through_a_whole_intake(tmp_path: Path) -> None:
    script = "/start\n楼道灯坏了好几天了\n1\n3号楼2单元\n2\n:as 王师傅\n1\n:quit\n"
    share_learned_models(tmp_path)
    env = {**CLEAN, "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "我理解您反映的是：物业设施 · 照明楼道" in out
    assert "已为您登记工单" in out
    assert "党员 王师傅: 📋 有一张新工单" in out
    assert "接单成功" in out


GEOGRAPHY = Path(__file__).resolve().parents[2] / "routing" / "geography.toml"
TAXONOMY = Path(__file__).resolve().parents[2] / "classifier" / "taxonomy.toml"


@pytest.mark.parametrize(
    ("variable", "source", "old", "new", "expected"),
    [
        ("TAXONOMY_FILE", TAXONOMY, "[classes.", "[classes.broken\n[classes.", r"taxonomy\.toml: .*line \d+"),
        ("TAXONOMY_FILE", TAXONOMY, 'class = "slow"', 'class = "glacial"',
         r"taxonomy\.toml, line \d+: item '[a-z_.]+': unknown class 'glacial'"),
        ("GEOGRAPHY_FILE", GEOGRAPHY, "[[street.community]]", "[[street.community]", r"geo\.toml: .*line 9"),
        ("GEOGRAPHY_FILE", GEOGRAPHY, 'code = "S01-C01-G02"', 'code = "S01-C01-G01"',
         r"geo\.toml, line \d+: grid 'S01-C01-G01': duplicate code"),
    ],
    ids=["taxonomy-syntax", "taxonomy-entry", "geography-syntax", "geography-entry"],
)
def test_a_broken_taxonomy_or_geography_file_stops_the_bot(
    tmp_path: Path, variable: str, source: Path, old: str, new: str, expected: str
) -> None:
    """The bot refuses to start: non-zero exit, one line naming the file and the line (of a syntax
    error, or of the wrong entry's code), before touching the database or Telegram."""
    text = source.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / ("geo.toml" if variable == "GEOGRAPHY_FILE" else "taxonomy.toml")
    broken.write_text(text.replace(old, new, 1), encoding="utf-8")
    env = {**CLEAN, "DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqr",
           variable: str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), result.stderr[-2000:]
    assert re.search(expected, lines[0]), lines[0]
    assert not (tmp_path / "jiedan.db").exists(), "refused before creating the database"
