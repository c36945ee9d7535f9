"""What a new user and an operator meet, found by a review (each test failed on the code before): a token Telegram
rejects never printed, a start that cannot reach Telegram, an unusable DATA_DIR, LOG_LEVEL, DATABASE_URL typos, QUIET_HOURS
and durations too large told in one line; the console on its own database, :press with no words, a line that is not
UTF-8; every command the README names runs."""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from bot.config import BotSettings
from routing import db
from tests.e2e.harness import BOT_SETTINGS, share_learned_models

TOKEN = "123456:ABCdefGHIjklMNOpqrSECRETpart"
CLEAN = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS}


def run_bot(tmp_path: Path, env: dict[str, str], stdin: bytes = b":quit\n",
            argv: tuple[str, ...] = ("-m", "bot"), timeout: float = 120) -> subprocess.CompletedProcess[str]:
    data = Path(env.get("DATA_DIR", tmp_path / "data"))
    if data.parent.is_dir():  # a usable data directory gets the learned models, as `make` fits them
        data.mkdir(parents=True, exist_ok=True)
        share_learned_models(data)
    full = {**CLEAN, "DATA_DIR": str(data), **env}
    result = subprocess.run([sys.executable, *argv], input=stdin, env=full, cwd=tmp_path,
                            capture_output=True, timeout=timeout)
    return subprocess.CompletedProcess(result.args, result.returncode,
                                       result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


@pytest.fixture
def telegram_rejecting_the_token() -> Iterator[str]:
    """A Bot API that answers every method 401 Unauthorized (a revoked or mistyped token)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# 1. A token Telegram rejects is printed in full -------------------------------------------------

def test_a_rejected_token_is_never_printed(tmp_path: Path, telegram_rejecting_the_token: str) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": telegram_rejecting_the_token})
    assert result.returncode != 0
    assert "SECRETpart" not in result.stdout + result.stderr, result.stderr.strip().splitlines()[-1]


# 2. Telegram unreachable at start: a 60-line traceback ------------------------------------------

def test_telegram_unreachable_at_start_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9"})
    assert "Traceback" not in result.stderr, result.stderr.strip().splitlines()[-1]


# 3. An unusable DATA_DIR: a traceback from pathlib ----------------------------------------------

def test_an_unusable_data_dir_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    result = run_bot(tmp_path, {"DATA_DIR": str(tmp_path / "afile" / "data")})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), lines[-1]


# 4. LOG_LEVEL is not validated: a traceback from logging ----------------------------------------

def test_a_bad_log_level_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "LOG_LEVEL": "verbose"})
    assert result.returncode == 2, result.stderr.strip().splitlines()[-1]
    assert "LOG_LEVEL" in result.stderr


# 5. A DATABASE_URL typo other than the host: a traceback ----------------------------------------

@pytest.mark.parametrize("url", ["postgresql://jiedan:pw@127.0.0.1:54x2/jiedan", "mysql://jiedan:pw@127.0.0.1/jiedan"],
                         ids=["port-typo", "unsupported-scheme"])
def test_a_malformed_database_url_stops_with_one_line(tmp_path: Path, url: str) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), lines[-1]


# 6. QUIET_HOURS accepts minutes 60-99, and fails only when a reminder is held -------------------

def test_quiet_hours_with_impossible_minutes_are_refused() -> None:
    with pytest.raises(ValidationError):
        settings = BotSettings(_env_file=None, QUIET_HOURS="22:99-07:00")
        settings.quiet_hours  # noqa: B018 - what delivery evaluates when a reminder is held


# 7. Infinite or huge durations pass validation and crash the start ------------------------------

@pytest.mark.parametrize("setting", ["TIME_LIMIT_SCALE=inf", "WAVE_TIMEOUT_MINUTES=inf", "INVITE_TTL_DAYS=1e9"])
def test_an_impossible_duration_stops_with_one_line(tmp_path: Path, setting: str) -> None:
    name, value = setting.split("=")
    result = run_bot(tmp_path, {name: value})
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], lines[-1] if lines else result.stdout[-300:]


# 8. Bytes that are not UTF-8 on stdin wedge the console -----------------------------------------

def test_a_line_that_is_not_utf8_does_not_wedge_the_console(tmp_path: Path) -> None:
    stdin = b"\xff\xfe\xe6\xa5\xbc\n" + "楼道灯坏了好几天了\n:quit\n".encode()
    result = run_bot(tmp_path, {"LC_ALL": "C.UTF-8"}, stdin=stdin)
    assert "我理解您反映的是：物业设施 · 照明楼道" in result.stdout, result.stderr.strip().splitlines()[-1]


# 9. `:press` with no words presses the newest keyboard's first button (here: 确认) ---------------

def test_press_without_words_presses_nothing(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {}, stdin="楼道灯坏了好几天了\n:press\n:quit\n".encode())
    assert "我理解您反映的是" in result.stdout
    assert "按下「✅ 确认」" not in result.stdout, "an empty :press confirmed the request"


# 10. No token with a PostgreSQL DATABASE_URL: demo people go into the operator's database --------

def test_the_console_does_not_seed_demo_people_into_the_configured_postgresql(tmp_path: Path, pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE person, member RESTART IDENTITY CASCADE"))
    result = run_bot(tmp_path, {"DATABASE_URL": pg_url})
    assert "离线控制台" in result.stdout, result.stderr[-500:]
    with engine.connect() as conn:
        demo = conn.execute(text("SELECT count(*) FROM member WHERE telegram_id BETWEEN 1001 AND 1005")).scalar()
    engine.dispose()
    assert demo == 0, f"the README's offline console 'on SQLite' wrote {demo} demo members into PostgreSQL"


# 11. The README's `python -m classifier.calibrate` ------------------------------------------------

def test_every_module_the_readme_runs_exists() -> None:
    """Each `python -m …` the README names can be run (it once named a classifier.calibrate that never existed)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"python -m ([A-Za-z_][\w.]*)", readme))
    assert {"classifier.evaluate", "classifier.bench", "bot"} <= named
    assert [m for m in sorted(named) if importlib.util.find_spec(m) is None] == []
