"""An operator deploying jiedan by the README alone, found by a review (each test failed before): start-up errors
naming their setting, a .env not in UTF-8, a new coordinator's first reports, stopping with a backlog, the
settings table. Each test's docstring tells the bug as it was found."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.config import BotSettings
from bot.delivery import render
from bot.report import REPORTS_LATE_AFTER
from bot.texts import report_caption
from routing import db, outbox, reports
from routing.models import Notification
from tests.conftest import COORD, T0, World
from tests.e2e.harness import BOT_SETTINGS, EmulatorClient, share_learned_models
from tests.e2e.test_kill_restart import outbox_left, start

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:ABCdefGHIjklMNOpqrSECRETpart"
CLEAN = {k: v for k, v in os.environ.items() if k not in BOT_SETTINGS and k not in BotSettings.model_fields}


def run(tmp_path: Path, env: dict[str, str], argv: tuple[str, ...] = ("-m", "bot"),
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m bot` (or another module) as an operator runs it, in tmp_path (where a .env is read)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    share_learned_models(data)
    full = {**CLEAN, "DATA_DIR": str(data), "PYTHONPATH": str(ROOT), **env}
    result = subprocess.run([sys.executable, *argv], input=b":quit\n", env=full, cwd=tmp_path,
                            capture_output=True, timeout=timeout)
    return subprocess.CompletedProcess(result.args, result.returncode, result.stdout.decode("utf-8", "replace"),
                                       result.stderr.decode("utf-8", "replace"))


def one_line(result: subprocess.CompletedProcess[str]) -> list[str]:
    """stderr without the INFO/WARNING log lines (what is left must be the one `jiedan: …` line)."""
    return [line for line in result.stderr.strip().splitlines()
            if not re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING) ", line)]


# 1. A webhook worker whose WEBHOOK_PORT is taken (two workers given the same port) -------------------

def test_a_webhook_port_already_in_use_is_one_line_naming_webhook_port(
        tmp_path: Path, emulator_client: EmulatorClient) -> None:
    """The README: each worker on its own WEBHOOK_PORT, and a bad setting stops the bot with one line naming it.
    A port already taken (a second worker given the same port) ends in a 50-line tornado traceback
    (OSError: [Errno 98] Address already in use) that names no setting."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = run(tmp_path, {**emulator_client.bot_env(), "WEBHOOK_SECRET_TOKEN": "s3cret",
                                "WEBHOOK_PORT": str(port)}, argv=("-m", "bot", "--webhook"))
    finally:
        taken.close()
    lines = one_line(result)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(lines) == 1, lines[-3:]
    assert "WEBHOOK_PORT" in lines[0], lines[0]


# 2. TAXONOMY_FILE pointing at a directory: the message blames DATA_DIR ------------------------------

def test_a_taxonomy_file_that_cannot_be_read_is_not_blamed_on_data_dir(tmp_path: Path) -> None:
    """TAXONOMY_FILE=/etc (a directory, or a file the bot's user may not read) stops the bot with
    `jiedan: setting DATA_DIR (…/data): Is a directory`: the operator is sent to the wrong setting.
    (GEOGRAPHY_FILE the same way names the file.)"""
    (tmp_path / "taxonomy.d").mkdir()
    result = run(tmp_path, {"TAXONOMY_FILE": str(tmp_path / "taxonomy.d")})
    lines = one_line(result)
    assert result.returncode != 0 and len(lines) == 1, lines[-3:]
    assert "DATA_DIR" not in lines[0] and ("TAXONOMY_FILE" in lines[0] or "taxonomy.d" in lines[0]), lines[0]


# 3. A COORDINATOR_IDS typo (a digit too many, a phone number pasted twice) ---------------------------

@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_a_coordinator_id_too_large_is_one_line_naming_coordinator_ids(
        tmp_path: Path, database: str, request: pytest.FixtureRequest) -> None:
    """COORDINATOR_IDS=99999999999999999999 passes validation and then stops the start: on SQLite with a
    traceback (OverflowError: Python int too large to convert to SQLite INTEGER), on PostgreSQL with
    `jiedan: database unavailable (…): bigint out of range` — the database is fine, the setting is not, and
    neither names it. `jiedan seed-demo --coordinator` refuses the same id as "not a Telegram user id"."""
    env = {"COORDINATOR_IDS": "99999999999999999999", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_BASE_URL": "http://127.0.0.1:9"}
    if database == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("pg_url")
    result = run(tmp_path, env)
    lines = one_line(result)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(lines) == 1, lines[-3:]
    assert "COORDINATOR_IDS" in lines[0], lines[0]


# 4. A .env saved in GBK by a Chinese editor ---------------------------------------------------------

@pytest.mark.parametrize("argv", [("-m", "bot"), ("-m", "routing.cli", "db", "current")], ids=["bot", "jiedan"])
def test_a_dot_env_not_in_utf8_is_one_line_naming_it(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """A .env with a Chinese comment saved as GBK (Windows Notepad's default on a Chinese system):
    both `python -m bot` and `jiedan` die with a UnicodeDecodeError traceback that does not say which
    file is wrong, instead of one line naming .env."""
    (tmp_path / ".env").write_bytes("# 接单机器人配置\nTIMEZONE=Asia/Shanghai\n".encode("gbk"))
    result = run(tmp_path, {}, argv=argv)
    lines = one_line(result)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and len(lines) == 1, lines[-3:]
    assert ".env" in lines[0], lines[0]


# 5. The first start of a new deployment tells the coordinators the system was down ------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_new_coordinators_first_reports_are_not_marked_late(world: World) -> None:
    """A deployment set up (and its coordinators appointed) at 10:00 on a Monday: the first reports pass at once
    sends each coordinator today's 每日简报 and this week's 服务效能周报, both headed
    「（补发：系统恢复后发出）」 — "sent late, after the system recovered" — although the system was never down
    (it did not exist at 08:00 / 09:00). The same for every coordinator added later in a day."""
    with db.transaction(world.engine) as session:
        reports.queue_due_reports(session, T0, world.settings.tz, late_after=REPORTS_LATE_AFTER)
    with db.transaction(world.engine) as session:
        notes = session.exec(select(Notification).where(Notification.recipient_id == COORD)).all()
        shown = [report_caption(n.payload) if n.kind == "weekly_report" else render(n.kind, n.payload, world.settings.tz)[0]
                 for n in notes]
    assert sorted(n.kind for n in notes) == ["daily_digest", "weekly_report"]
    assert [text.splitlines()[0] for text in shown if "系统恢复" in text] == []


# 6. Ctrl-C / SIGTERM does not stop the bot until the whole outbox is sent -----------------------------

async def test_sigterm_stops_the_bot_promptly_even_with_a_backlog(
        emulator_client: EmulatorClient, bot_runner: Any, tmp_path: Path) -> None:
    """After an outage 300 notifications wait (Telegram pacing: TELEGRAM_MESSAGES_PER_SECOND=10, a worker's share).
    SIGTERM (systemctl stop, Ctrl-C) after 20 went out: the bot does not stop until it has sent all the rest —
    here ~28 s; with thousands queued, longer than systemd's 90 s before it SIGKILLs. A second Ctrl-C is ignored
    (SIGINT twice: still running 6 s later).
    Expected: stop within a few seconds; what was not sent goes out after the restart (nothing lost)."""
    url = f"sqlite:///{tmp_path}/jiedan.db"
    db.upgrade(url)
    engine = db.make_engine(url)
    now = datetime.now(UTC)
    total = 300
    with db.transaction(engine) as session:
        for n in range(total):
            outbox.notify(session, 50_000 + n % 30, "ticket_started", now,
                          payload={"number": f"#K{n:04d}", "member_name": "王师傅"})
    env = emulator_client.bot_env(DATABASE_URL=url, DATA_DIR=str(tmp_path / "data"),
                                  TELEGRAM_MESSAGES_PER_SECOND="10", OUTBOX_LEASE_SECONDS="3")
    bot = await start(bot_runner, emulator_client, env)

    async def on_telegram() -> Counter[str]:
        return Counter(m.text.split("#K", 1)[1][:4] for m in await emulator_client.messages() if "#K" in m.text)

    while sum((await on_telegram()).values()) < 20:
        bot.assert_running()
        await asyncio.sleep(0.05)
    began = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        await asyncio.to_thread(bot.process.wait, 60)
    took = time.monotonic() - began
    sent_before_stop = sum((await on_telegram()).values())
    bot.stop()
    # Nothing lost: the rest goes out after the restart (paced faster: the wait was the pacing, not the test).
    bot = await start(bot_runner, emulator_client, {**env, "TELEGRAM_MESSAGES_PER_SECOND": "100"})
    deadline = time.monotonic() + 90
    while outbox_left(engine) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    seen = await on_telegram()
    engine.dispose()
    assert all(seen[f"{n:04d}"] >= 1 for n in range(total)), "a notification was lost"
    assert took < 10, f"SIGTERM took {took:.0f} s to stop the bot ({sent_before_stop - 20} more messages sent first)"


# 7. Settings an operator needs that the README does not name ------------------------------------------

def test_the_readme_names_every_setting_the_bot_reads() -> None:
    """The README's configuration tables are the operator's whole reference, but INVITE_TTL_DAYS (how long a
    member's invite code works: 7 days), OUTBOX_LEASE_SECONDS (how long a killed worker's messages wait: 120 s),
    and DELIVERY_INTERVAL_SECONDS are nowhere in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in BotSettings.model_fields if f"`{name}`" not in readme and f"/ `{name}`" not in readme
               and not re.search(rf"`[A-Z_ /`]*{name}[A-Z_ /`]*`", readme)]
    assert missing == []
