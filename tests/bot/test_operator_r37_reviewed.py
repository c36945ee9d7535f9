"""Found by a review of the operator area in the thirty-seventh session (each test failed on the code before): what a
new operator meets with `make run` without a token (the offline console), settings from the environment / `.env`, the
geography file and the `jiedan` commands. Each docstring tells the bug as the operator or a resident sees it.

The section "Found by a review of the fixes" (operator2): found by a review of the operator fixes in the
thirty-seventh session (each test failed on the code before)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import SettingsError, get_bot_settings
from classifier.taxonomy import DEFAULT_TAXONOMY_FILE, load_taxonomy_file
from routing import db, members
from routing.geography import DEFAULT_GEOGRAPHY_FILE, load_geography, parse_geography, sync_geography
from routing.models import Person
from tests.bot.chat_harness import BotChat, Reply, card_with, texts_of
from tests.bot.conftest import RESIDENT
from tests.bot.test_operator import CLEAN, run_bot
from tests.conftest import COORD, G11, GRID_COORD, T0, World
from tests.e2e.harness import share_learned_models

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_GEOGRAPHY = ROOT / "routing" / "geography.toml"

OWN_GEOGRAPHY = """\
[[street]]
code = "JD01"
name = "建设街道"

[[street.community]]
code = "JD01-SQ01"
name = "阳光社区"

[[street.community.grid]]
code = "JD01-SQ01-WG01"
name = "阳光第一网格"

[[street.community.grid]]
code = "JD01-SQ01-WG02"
name = "阳光第二网格"
"""

INTAKE = "楼道灯坏了\n1\n幸福里小区3号楼2单元502\n跳过\n"


def console(tmp_path: Path, env: dict[str, str], lines: str) -> subprocess.CompletedProcess[str]:
    """`make run` without a token (python -m bot), DATA_DIR kept in tmp_path/data between calls."""
    return run_bot(tmp_path, {"DATA_DIR": str(tmp_path / "data"), **env}, stdin=lines.encode(), timeout=60)


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stderr.strip().splitlines() or [result.stdout[-300:]])[-1]


# 1 ---------------------------------------------------------------------------------------------------------------

def test_an_unknown_coordinator_scope_does_not_crash_the_console(tmp_path: Path) -> None:
    """The operator of a multi-street deployment writes `COORDINATOR_SCOPE=s01` (lower case, or a code from an old
    file) in `.env` and types `make run` before getting a token, to try the offline console the README promises. Instead
    of the console (or one line naming COORDINATOR_SCOPE, as every other bad setting gets) they get a 15-line Python
    traceback ending in `routing.errors.NotFound: 未知的区域编码 's01'`. Cause: bot/__main__.py run_console calls
    routing/demo.py seed_demo(scope=settings.COORDINATOR_SCOPE) outside start_domain's error handling, and
    start_domain itself checks COORDINATOR_SCOPE only when COORDINATOR_IDS is set (routing/bootstrap.py start)."""
    result = console(tmp_path, {"COORDINATOR_SCOPE": "s01"}, ":quit\n")
    assert "Traceback" not in result.stderr, last_line(result)
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "COORDINATOR_SCOPE" in lines[0], lines


# 2 ---------------------------------------------------------------------------------------------------------------

def test_the_console_with_the_deployments_own_geography_still_has_members_to_offer_to(tmp_path: Path) -> None:
    """A new operator does what the README invites: `make run` first (no token: the console with the demo geography),
    then writes the deployment's own street → community → grid tree, sets `GEOGRAPHY_FILE` and runs `make run` again
    to see it in the console ("placed in the deployment's own geography"). 张阿姨 now lives in 阳光第一网格, types
    楼道灯坏了 and gets 「✅ 已为您登记工单」, but no member ever sees 「📋 有一张新工单等您接单」: the ticket goes
    straight to 李主任 as 「📮 有工单需要派单」. The demo members registered by the first run stay in the old, now
    inactive, 示范街道 grids: routing/demo.py seed_demo skips a member who exists (`find_member(...) is None`) and
    never moves them into the new scope's grids, while the resident is moved (set_home_grid). Fix: move existing demo
    members to the scope's grids (or start the console database afresh)."""
    first = console(tmp_path, {}, ":quit\n")
    assert "离线控制台" in first.stdout, last_line(first)
    geography = tmp_path / "geo.toml"
    geography.write_text(OWN_GEOGRAPHY, encoding="utf-8")
    second = console(tmp_path, {"GEOGRAPHY_FILE": str(geography)}, INTAKE + ":quit\n")
    assert "已为您登记工单" in second.stdout, second.stdout[-1500:] + last_line(second)
    assert "有一张新工单等您接单" in second.stdout, second.stdout[second.stdout.find("已为您登记工单"):][:800]


# 3 ---------------------------------------------------------------------------------------------------------------

def _gbk(tmp_path: Path, source: Path | str, name: str) -> Path:
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    path = tmp_path / name
    path.write_bytes(text.encode("gb18030"))  # (GBK's superset: what a Chinese Windows saves as ANSI)
    return path


@pytest.mark.parametrize("setting", ["GEOGRAPHY_FILE", "TAXONOMY_FILE"])
def test_a_file_saved_in_gbk_is_named_not_blamed_on_the_database_url(tmp_path: Path, setting: str) -> None:
    """An operator on a Chinese Windows edits the geography file (or the taxonomy) in Notepad, which saves it as GBK,
    and starts the bot. The one line they get is
    `jiedan: 'utf-8' codec can't decode byte 0xbd in position 31: invalid start byte — check the database URL
    (DATABASE_URL or --url)`: it names neither the file nor the setting, and sends them to check a database URL that is
    fine. (The README knows the case: a `.env` in GBK gets 「save it as UTF-8 (in Notepad: 另存为 → 编码 UTF-8)」.)
    Cause: tomllib raises UnicodeDecodeError, a ValueError that routing/geography.py load_geography (and the taxonomy
    loader) do not turn into GeographyError / TaxonomyError, so bot/__main__.py start_domain's
    `except (SQLAlchemyError, CommandError, ValueError, ImportError)` reports it as a database problem."""
    source = SHIPPED_GEOGRAPHY if setting == "GEOGRAPHY_FILE" else ROOT / "classifier" / "taxonomy.toml"
    path = _gbk(tmp_path, source, "file.toml")
    result = run_bot(tmp_path, {setting: str(path)}, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, lines[-3:]
    assert "database" not in lines[0].lower(), lines[0]
    assert str(path) in lines[0] or setting in lines[0], lines[0]
    assert "UTF-8" in lines[0], lines[0]


def test_jiedan_geography_check_of_a_gbk_file_names_the_file(tmp_path: Path) -> None:
    """`jiedan geography check geo.toml`, the command meant to validate a geography file before deploying it, answers a
    file saved in GBK with `jiedan: 'utf-8' codec can't decode byte … — check the database URL (DATABASE_URL or --url)`:
    a geography check needs no database at all, yet the operator is told to check one, and the file is not named.
    Cause: routing/cli.py main's `except (SQLAlchemyError, CommandError, ImportError, ValueError)` catches the
    UnicodeDecodeError that load_geography lets through and calls db.database_problem."""
    path = _gbk(tmp_path, OWN_GEOGRAPHY, "geo.toml")
    done = subprocess.run([sys.executable, "-m", "routing.cli", "geography", "check", str(path)],
                          env={**CLEAN, "DATA_DIR": str(tmp_path)}, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "database" not in done.stderr.lower(), done.stderr
    assert str(path) in done.stderr and "UTF-8" in done.stderr, done.stderr


# 4 ---------------------------------------------------------------------------------------------------------------

def test_an_infinite_delivery_interval_stops_with_one_line(tmp_path: Path) -> None:
    """`DELIVERY_INTERVAL_SECONDS=inf` (or a typo such as 1e12) passes validation (`Field(gt=0)` only) and `make run`
    dies with a 20-line APScheduler traceback (`OverflowError: cannot convert float infinity to integer`; with 1e12
    `ValueError: year 33715 is out of range`), where every other duration (TIME_LIMIT_SCALE, WAVE_TIMEOUT_MINUTES,
    INVITE_TTL_DAYS, …) is refused in one line naming it. Cause: bot/config.py BotSettings.DELIVERY_INTERVAL_SECONDS has
    no upper bound. Fix: `le=` a sane bound (e.g. 3600)."""
    result = run_bot(tmp_path, {"DELIVERY_INTERVAL_SECONDS": "inf"}, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert lines and len(lines) == 1 and "DELIVERY_INTERVAL_SECONDS" in lines[0], lines[-3:]


@pytest.mark.parametrize("setting", [
    "DELIVERY_INTERVAL_SECONDS=1e12",
    "OUTBOX_LEASE_SECONDS=99999999999999",
    "MEMBER_CAPACITY=99999999999999999999",
    "WAVE_SIZE=99999999999999999999",
    "TICKETS_PER_HOUR=99999999999999999999",
])
def test_a_number_too_large_to_work_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    """Settings the operator types with a slip of the finger (extra zeros) are accepted at start and break the bot later,
    each with a traceback in the log and nothing but silence or 「抱歉，系统暂时繁忙，请稍后再试一次。」 for people:
    OUTBOX_LEASE_SECONDS=99999999999999 — every delivery pass fails (`OverflowError: days=1157407407`), so the resident
    never gets 「✅ 已为您登记工单」 and no member gets an offer; WAVE_SIZE / TICKETS_PER_HOUR past 2⁶³ — every request
    ends in 「系统暂时繁忙」 (`OverflowError: Python int too large to convert to SQLite INTEGER`); MEMBER_CAPACITY past
    2⁶³ — the console does not start and /join fails; DELIVERY_INTERVAL_SECONDS=1e12 — a traceback at start. README:
    "a bad setting … stops it with one line naming the problem", and routing/config.py already bounds the durations
    ("a duration past them is a typo, and would overflow"). Cause: these fields (routing/config.py Settings,
    bot/config.py BotSettings) have only lower bounds. Fix: upper bounds, refused by validation in one line."""
    name, value = setting.split("=")
    monkeypatch.setenv(name, value)
    get_bot_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=name):
            get_bot_settings()
    finally:
        get_bot_settings.cache_clear()


# 5 ---------------------------------------------------------------------------------------------------------------

def test_a_resident_whose_grid_left_the_geography_file_is_not_stuck(tmp_path: Path) -> None:
    """The street merges two grids: the operator removes 幸福里第二网格 from the geography file and restarts the bot
    (sync_geography marks it inactive). 刘大爷, who chose that grid months ago, types 家里水管漏水了, confirms, gives his
    address, taps 跳过 — and gets 「网格 幸福里第二网格（S01-C01-G02）已停用」, an internal code and no way forward: his
    request is not registered, every retry ends the same, and /start still tells him 「您登记的是 幸福里社区 ·
    幸福里第二网格」. Cause: bot/handlers/resident.py treats any `person.grid_code` as a chosen area; only
    routing/tickets.py submit_ticket → geography.get_grid checks that the grid is active, at the very end, and the
    InvalidInput text is shown as it is. Fix: a resident whose home grid is inactive is asked to choose the area again
    (keeping the request), as a resident without one is."""
    first = console(tmp_path, {}, ":as 刘大爷\n/start\n1\n2\n:quit\n")
    assert "已记下您在 幸福里社区 · 幸福里第二网格" in first.stdout, first.stdout[-800:]
    shipped = SHIPPED_GEOGRAPHY.read_text(encoding="utf-8")
    grid = '[[street.community.grid]]\ncode = "S01-C01-G02"\nname = "幸福里第二网格"\n\n'
    assert grid in shipped
    geography = tmp_path / "geo.toml"
    geography.write_text(shipped.replace(grid, ""), encoding="utf-8")
    second = console(tmp_path, {"GEOGRAPHY_FILE": str(geography)},
                     ":as 刘大爷\n家里水管漏水了\n1\n幸福里小区3号楼2单元502\n跳过\n:quit\n")
    out = second.stdout
    assert "已停用" not in out and "S01-C01-G02" not in out, out[out.find("跳过"):][:400]
    assert "已为您登记工单" in out or "选择您所在" in out, out[-800:]


async def test_a_resident_at_the_phone_step_when_their_grid_left_the_file_chooses_it_again(
        chat: BotChat, tmp_path: Path) -> None:
    """(With 5.) The bot restarts with the new geography file while 张阿姨 is at the phone step of a request. She taps
    跳过 and gets 「未知的区域编码 None」 (before the fix for 5: 「网格 幸福里第一网格（S01-C01-G01）已停用」), and the
    request is not registered. She should be asked to choose her area again, the request kept, and then get it
    registered."""
    await chat.intake_to_address(RESIDENT)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    shipped = SHIPPED_GEOGRAPHY.read_text(encoding="utf-8")
    grid = '[[street.community.grid]]\ncode = "S01-C01-G01"\nname = "幸福里第一网格"\n\n'
    assert grid in shipped
    with db.transaction(chat.engine) as session:
        sync_geography(session, parse_geography(tomllib.loads(shipped.replace(grid, "")), tmp_path / "geo.toml"))
    told = await chat.say(RESIDENT, "跳过")
    assert "选择您所在的社区和网格" in texts_of(told), texts_of(told)
    assert "区域编码" not in texts_of(told) and "已停用" not in texts_of(told), texts_of(told)
    areas = told[-1]
    grids = (await chat.press(RESIDENT, areas.button("幸福里社区"), areas.message))[-1]
    shown = await chat.press(RESIDENT, grids.button("幸福里第二网格"), grids.message)
    card = card_with(shown, "确认")
    await chat.press(RESIDENT, card.button("确认"), card.message)
    await chat.say(RESIDENT, "幸福里小区 3 号楼 2 单元 502")
    done = await chat.say(RESIDENT, "跳过")
    assert "已为您登记工单" in texts_of(done), texts_of(done)


# 6 ---------------------------------------------------------------------------------------------------------------

def test_a_user_taken_out_of_coordinator_ids_is_no_longer_a_coordinator(tmp_path: Path) -> None:
    """The operator typed a wrong Telegram id in `COORDINATOR_IDS` (a neighbour's, a digit off), or the 网格员 they named
    has left the job. They correct `.env` — `COORDINATOR_IDS=222` instead of `111` — and restart the bot. User 111 stays
    a street coordinator for good: /dispatch, /overdue, every 📮 派单 card and 🔴 red card with residents' names,
    addresses and phones keep reaching a person the operator has removed (PIPL), and nothing lets the operator take the
    role back: no `jiedan` command, no bot command (routing.members.remove_coordinator exists but nothing calls it).
    Cause: routing/members.py ensure_coordinators (called by routing/bootstrap.py start with COORDINATOR_IDS) only adds
    rows. Fix: the configured coordinators (rows with `added_by` NULL) follow the setting at each start — those no longer
    listed are removed — or a `jiedan coordinator remove ID` command."""
    from routing import bootstrap, db, members
    from routing.config import Settings

    settings = Settings(_env_file=None, DATA_DIR=tmp_path)
    bootstrap.start(settings, coordinator_ids=[111]).dispose()
    engine = bootstrap.start(settings, coordinator_ids=[222])
    try:
        with db.transaction(engine) as session:
            assert members.is_coordinator(session, 222)
            still = members.coordinator_scopes(session, 111)
    finally:
        engine.dispose()
    assert still == [], f"user 111, taken out of COORDINATOR_IDS, is still coordinator of {still}"


# 7 ---------------------------------------------------------------------------------------------------------------

def jiedan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`jiedan …` (routing/cli.py) on the SQLite database in tmp_path, as an operator runs it."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    share_learned_models(data)
    return subprocess.run([sys.executable, "-m", "routing.cli", *args], env={**CLEAN, "DATA_DIR": str(data)},
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def active_codes(tmp_path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "jiedan.db") as conn:
        return {code for (code,) in conn.execute("SELECT code FROM geo_node WHERE active")}


def test_jiedan_geography_sync_of_a_file_is_not_silently_undone(tmp_path: Path) -> None:
    """`jiedan geography sync FILE` accepts the deployment's file and answers 「4 node(s) inserted or changed」. The
    operator, believing the geography is in place, runs `jiedan seed-demo` (or starts the bot) without GEOGRAPHY_FILE
    set — and every node of their file is made inactive again and the shipped 示范街道 comes back: residents who chose
    阳光第一网格 meanwhile are stuck (「网格 …已停用」), members' grids are gone. Nothing said the file would be undone. Cause:
    routing/cli.py cmd_geography syncs `args.file` for `sync` too, while routing/bootstrap.py start syncs
    GEOGRAPHY_FILE (default the shipped demo) at every start and seed-demo, deactivating whatever is not in it. Fix:
    `sync` takes no FILE (or refuses one that is not GEOGRAPHY_FILE, saying to set it), or start refuses to deactivate
    a whole tree synced from elsewhere."""
    own = tmp_path / "geo.toml"
    own.write_text(OWN_GEOGRAPHY, encoding="utf-8")
    assert jiedan(tmp_path, "db", "upgrade").returncode == 0
    synced = jiedan(tmp_path, "geography", "sync", str(own))
    assert synced.returncode == 0, synced.stderr
    assert "JD01-SQ01-WG01" in active_codes(tmp_path)
    seeded = jiedan(tmp_path, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    if "GEOGRAPHY_FILE" not in synced.stdout + synced.stderr:  # (a sync that warned would be a fix too)
        assert "JD01-SQ01-WG01" in active_codes(tmp_path), (
            f"the synced geography was undone by seed-demo; active now: {sorted(active_codes(tmp_path))}")


def test_jiedan_seed_demo_with_an_inactive_scope_is_one_line(tmp_path: Path) -> None:
    """Following `jiedan geography sync geo.toml`, the operator runs `jiedan seed-demo --scope JD01` for the street of
    their file (README: "placed in the deployment's own geography (its first street, or COORDINATOR_SCOPE; `jiedan
    seed-demo --scope`)"). seed-demo's start re-syncs the shipped file, JD01 becomes inactive, and the command dies with
    a Python traceback ending in `IndexError: list index out of range` (routing/demo.py seed_demo: `grids[0]` of an
    inactive scope's empty grid list; the scope is never checked to be active or to have grids). The console does the
    same with a COORDINATOR_SCOPE naming a node no longer in the file. Fix: refuse an inactive scope in one line."""
    own = tmp_path / "geo.toml"
    own.write_text(OWN_GEOGRAPHY, encoding="utf-8")
    assert jiedan(tmp_path, "db", "upgrade").returncode == 0
    assert jiedan(tmp_path, "geography", "sync", str(own)).returncode == 0
    seeded = jiedan(tmp_path, "seed-demo", "--scope", "JD01")
    assert "Traceback" not in seeded.stderr, seeded.stderr.strip().splitlines()[-1]
    if seeded.returncode != 0:
        lines = seeded.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("jiedan: "), lines


def test_jiedan_coordinator_remove_takes_the_role_away(tmp_path: Path) -> None:
    """(With 6.) An operator who made someone coordinator without COORDINATOR_IDS (`jiedan seed-demo --coordinator`),
    or whose COORDINATOR_IDS is now empty, had no way to take the role back: routing.members.remove_coordinator
    existed, but no command called it. `jiedan coordinator remove ID` does, and says so when there was nothing to
    remove."""
    assert jiedan(tmp_path, "seed-demo", "--coordinator", "77").returncode == 0
    removed = jiedan(tmp_path, "coordinator", "remove", "77")
    assert removed.returncode == 0 and "77" in removed.stdout, removed.stderr
    again = jiedan(tmp_path, "coordinator", "remove", "77")
    assert again.returncode == 1 and again.stderr.strip().splitlines() == ["jiedan: user 77 is not a coordinator"]


# 8 ---------------------------------------------------------------------------------------------------------------

TOKEN = "123456789:AAFAKEtokenSECRETxyz0123456789"


@pytest.fixture
def self_hosted_bot_api() -> Iterator[str]:
    """A self-hosted Bot API server that knows TOKEN (answers under /bot<TOKEN>/…, 404 Not Found elsewhere, as
    Telegram's does)."""
    import http.server
    import json
    import threading
    import time

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith(f"/bot{TOKEN}/"):
                method = self.path.rsplit("/", 1)[-1]
                if method == "getMe":
                    result: object = {"id": 1, "is_bot": True, "first_name": "接单", "username": "jiedan_bot"}
                elif method == "getUpdates":
                    time.sleep(0.5)
                    result = []
                else:
                    result = True
                status, body = 200, {"ok": True, "result": result}
            else:
                status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_base_url_written_with_bot_is_not_blamed_on_the_token(tmp_path: Path, self_hosted_bot_api: str) -> None:
    """An operator runs a self-hosted Bot API server (README: TELEGRAM_BASE_URL "a self-hosted Bot API server") and
    writes `TELEGRAM_BASE_URL=http://localhost:8081/bot`, as python-telegram-bot's own documentation writes a local
    server's base_url. The bot stops with 「jiedan: Telegram rejected the bot token (TELEGRAM_BOT_TOKEN): check it with
    @BotFather」: the operator regenerates a token that was fine, and the real mistake (requests go to
    …/bot/bot<token>/getMe) is never named. Cause: bot/config.py BotSettings.api_base_url appends "/bot" to whatever
    TELEGRAM_BASE_URL says, the validator `_base_url` accepts a trailing /bot, and bot/serving.py run turns the 404 into
    the token message. Fix: strip (or refuse, naming TELEGRAM_BASE_URL) a trailing /bot; when TELEGRAM_BASE_URL is not
    the default, say it may be the address rather than the token."""
    data = tmp_path / "data"
    data.mkdir()
    share_learned_models(data)
    env = {**CLEAN, "DATA_DIR": str(data), "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_BASE_URL": self_hosted_bot_api + "/bot"}
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # it started and is polling the server: the address was understood
        process.terminate()
        process.communicate(timeout=30)
        return
    last = (stderr.strip().splitlines() or [""])[-1]
    assert "TELEGRAM_BASE_URL" in last, last


# 9 ---------------------------------------------------------------------------------------------------------------

@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """An empty database of its own on the test PostgreSQL server, dropped afterwards."""
    import uuid

    import psycopg

    from routing import db
    from tests.conftest import PG_ADMIN_URL

    admin = db.normalize_url(PG_ADMIN_URL).replace("postgresql+psycopg://", "postgresql://")
    name = f"review_operator_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL unavailable: {str(exc).strip().splitlines()[0]}")
    yield admin.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_geography_that_jiedan_geography_check_passes_is_accepted_by_postgresql(
        tmp_path: Path, fresh_pg_url: str) -> None:
    """A street moving from the village set-up (SQLite) to PostgreSQL keeps its geography file, in which one grid's name
    carries a note of the buildings it covers (more than 100 characters). `jiedan geography check geo.toml` says
    「1 street(s), 2 grid(s), ok」 and SQLite takes it, but on PostgreSQL `jiedan geography sync`, `jiedan seed-demo`
    and every bot start stop with 「jiedan: database unavailable (postgresql://…): value too long for type character
    varying(100)」 — the database is blamed, and neither the file nor the entry is named. Cause: routing/geography.py
    _node_from checks a name is not empty but not the 100-character column (routing/models.py GeoNode.name
    max_length=100) that only PostgreSQL enforces. Fix: refuse a name over 100 characters in the file check, naming the
    file, line and entry, as every other geography mistake is."""
    long_name = "幸福里第二网格（" + "、".join(f"{n}号楼" for n in range(1, 30)) + "）"
    assert len(long_name) > 100
    geography = tmp_path / "geo.toml"
    geography.write_text(OWN_GEOGRAPHY.replace('name = "阳光第二网格"', f'name = "{long_name}"'), encoding="utf-8")
    assert jiedan(tmp_path, "db", "upgrade", "--url", fresh_pg_url).returncode == 0
    check = jiedan(tmp_path, "geography", "check", str(geography))
    sync = jiedan(tmp_path, "geography", "sync", str(geography), "--url", fresh_pg_url)
    if check.returncode == 0:
        assert sync.returncode == 0, f"check said {check.stdout.strip()!r}, sync said {sync.stderr.strip()!r}"
    else:
        assert str(geography) in check.stderr, check.stderr


# 10 --------------------------------------------------------------------------------------------------------------

def test_a_bot_started_with_no_coordinator_at_all_says_so(tmp_path: Path, self_hosted_bot_api: str) -> None:
    """A new operator gets a token, puts it in `.env` and runs `make run`, leaving COORDINATOR_IDS out (its default is
    "(none)" in the README's table). The bot starts with nothing but 「bot starting (long polling …)」 and 「Application
    started」 in the log. Yet with no coordinator in the database nobody can ever receive a 🚨 urgent alert (a resident's
    gas leak), a 📮 派单 card or a red card, and nobody can /invite a member, so every offer has no one to go to: the
    deployment silently cannot work. Cause: bot/__main__.py main / routing/bootstrap.py start never check that the
    database has any coordinator. Fix: refuse to start, or at least log a WARNING naming COORDINATOR_IDS, when there is
    no coordinator at all."""
    data = tmp_path / "data"
    data.mkdir()
    share_learned_models(data)
    env = {**CLEAN, "DATA_DIR": str(data), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": self_hosted_bot_api}
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert "Application started" in stderr or process.returncode not in (0, None), stderr[-500:]
    assert "COORDINATOR_IDS" in stdout + stderr, stderr.strip().splitlines()[-3:]


# 11 --------------------------------------------------------------------------------------------------------------

def test_a_data_dir_written_with_a_tilde_is_the_home_directory(tmp_path: Path) -> None:
    """The operator writes `DATA_DIR=~/jiedan-data` in `.env`, as in any shell. `.env` is not a shell: the bot creates a
    directory literally named `~` in the working directory (the checkout) and puts the database there, with no word
    about it. The operator's backups of ~/jiedan-data/jiedan.db (README: "Back up the database — that is all the state")
    copy nothing, a `make run` from another directory starts on a new empty database, and the classifier's models are
    fitted again (half a minute) because they are not where `make` left them. GEOGRAPHY_FILE=~/geo.toml likewise says
    「~/geo.toml: file not found」 for a file that exists. Cause: routing/config.py Settings takes DATA_DIR,
    GEOGRAPHY_FILE and TAXONOMY_FILE as plain Paths, never `expanduser()`d. Fix: expand `~` in those settings (or
    refuse a path starting with `~`, naming the setting)."""
    home = tmp_path / "home"
    (home / "jiedan-data").mkdir(parents=True)
    share_learned_models(home / "jiedan-data")
    work = tmp_path / "checkout"
    work.mkdir()
    env = {**CLEAN, "HOME": str(home), "DATA_DIR": "~/jiedan-data"}
    done = subprocess.run([sys.executable, "-m", "bot"], input=":quit\n", env=env, cwd=work, capture_output=True,
                          text=True, timeout=60)
    assert "离线控制台" in done.stdout, done.stderr[-500:]
    assert not (work / "~").exists(), "a directory named '~' was created in the working directory"
    assert (home / "jiedan-data" / "console.db").exists()


# Found by a review of the fixes ======================================================================================

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEED = "楼道灯坏了好几天了，晚上很黑"  # 照明楼道: an electrician's job (电工)

OTHER_GEOGRAPHY = """\
[[street]]
code = "X01"
name = "新华街道"
[[street.community]]
code = "X01-C01"
name = "新华社区"
[[street.community.grid]]
code = "X01-C01-G01"
name = "第一网格"
"""


def _buttons(reply: Reply) -> list[str]:
    return [b["text"] for row in reply.message.inline_keyboard for b in row] if reply.message else []


# 12 ------------------------------------------------------------------------------------------------
@SQLITE
def test_one_start_with_the_wrong_geography_file_erases_every_residents_area_for_good(
    engine, tmp_path: Path
) -> None:
    """The geography in the database is replaced once by another file and then put right: `jiedan geography sync
    other.toml` (which the CLI still performs, printing only afterwards a note that the next start undoes it), or
    one start without GEOGRAPHY_FILE in the environment (a systemd unit or container that does not read .env: the
    shipped demo geography is synced, every grid of the deployment deactivated) — then the bot is started with the
    right file again. Every grid is active again, as
    before. But c75f566 made sync_geography run `UPDATE person SET grid_code = NULL` for every resident whose grid
    was inactive at that moment: every resident of the deployment has lost the area they chose, and each of them
    is asked 「请选择您所在的区域」 again at their next message (elderly residents who chose it once with a
    helper's help). Before the fix, the grid stayed on the resident's row and simply worked again when the file
    was put right. Data a deployment must never lose is erased by a reversible mistake. Expected: a resident's
    grid survives a round trip of the geography (treat an inactive grid as "not chosen" when reading it, instead
    of erasing the column)."""
    with db.transaction(engine) as s:
        members.set_home_grid(s, RESIDENT, G11, T0)
    other = tmp_path / "other.toml"
    other.write_text(OTHER_GEOGRAPHY, encoding="utf-8")
    with db.transaction(engine) as s:
        sync_geography(s, load_geography(other))  # the mistake
    with db.transaction(engine) as s:
        sync_geography(s, load_geography(DEFAULT_GEOGRAPHY_FILE))  # put right: G11 is active again
    with db.transaction(engine) as s:
        assert s.get(Person, RESIDENT).grid_code == G11


# 13 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["geography", "taxonomy"])
def test_a_file_saved_as_utf8_with_bom_is_refused_with_a_cryptic_error(kind: str, tmp_path: Path) -> None:
    """d0aa4b1 tells an operator whose geography or taxonomy file was saved as GBK: 「not UTF-8 text: save it as
    UTF-8 (in Notepad: 另存为 → 编码 UTF-8)」. Windows Notepad before 2019 writes exactly that choice with a byte
    order mark, and today's Notepad offers 「UTF-8 with BOM」 next to 「UTF-8」. The file saved as told is then
    refused with `FILE: Invalid statement (at line 1, column 1)` — line 1 looks perfectly fine to the operator,
    who did what the bot asked. (.env with a BOM is read fine: python-dotenv drops it.) Cause: load_geography and
    load_taxonomy_file give the raw bytes to tomllib.load, which does not accept a BOM. Expected: a UTF-8 BOM is
    skipped (decode with utf-8-sig, then tomllib.loads), so the file loads."""
    source = DEFAULT_GEOGRAPHY_FILE if kind == "geography" else DEFAULT_TAXONOMY_FILE
    saved = tmp_path / f"{kind}.toml"
    saved.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    for examples in source.parent.glob("*.jsonl"):  # (the files a taxonomy names, next to it)
        (tmp_path / examples.name).write_bytes(examples.read_bytes())
    if kind == "geography":
        assert load_geography(saved).nodes
    else:
        assert load_taxonomy_file(saved).items


# 14 ------------------------------------------------------------------------------------------------
@SQLITE
async def test_a_removed_coordinator_is_still_told_about_the_tickets_he_assigned(
    chat: BotChat, world: World
) -> None:
    """The 网格员 (9011) assigns a waiting ticket to 王师傅 by hand (指派) and then leaves his post; the operator
    runs `jiedan coordinator remove 9011` — the command 7d1074e added so that 「派单 and red cards with residents'
    data stop reaching them」. 王师傅 then presses 「🙅 不方便」 on the assignment. The former 网格员 still receives
    「↩️ 王师傅 婉拒了您指派的工单 #S3886。工单回到待派单，请另行指派。」 — he is told to reassign a ticket he no longer may
    (every button would refuse him), and he keeps hearing of every later 不方便 / 退回 (with its reason) / unanswered
    assignment of the tickets he once assigned; the notification is built with the resident's private ticket
    payload (ticket_payload(private=True)). Cause:
    dispatch._tell_assigner notifies offer.dispatched_by without checking that he is still a coordinator over the
    ticket's grid. Expected: a user who is no longer a coordinator (of that grid) is not told; the coordinators who
    answer for the grid now are."""
    ticket_id = await chat.submit(RESIDENT, NEED)  # nobody registered yet: it waits for 派单
    wang = world.member("王师傅", ["电工"])
    world.member("李师傅", ["电工"])
    card = next(r for r in await chat.say(GRID_COORD, "/dispatch") if "指派" in str(_buttons(r)))
    listed = await chat.press(GRID_COORD, card.button("指派"), card.message)
    picker = next(r for r in listed if "王师傅" in str(_buttons(r)))
    await chat.press(GRID_COORD, picker.button("王师傅"), picker.message)
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    with db.transaction(world.engine) as s:  # jiedan coordinator remove 9011
        assert members.drop_coordinator(s, GRID_COORD) == 1
    mark = len(chat.events)
    await chat.press(wang, offer.button("不方便"), offer.message)
    assert chat.ticket(ticket_id).assignee_id is None
    told = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert told == [], told


# 15 ------------------------------------------------------------------------------------------------
def test_database_url_with_a_tilde_makes_a_directory_named_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """bfdff81 made DATA_DIR=~/jiedan-data in .env mean the home directory, because 「.env is no shell」 and a
    directory named '~' in the working directory silently held the database. The setting right next to it has the
    same trap: DATABASE_URL=sqlite:///~/jiedan/jiedan.db (the README's default is sqlite:///data/jiedan.db, so an
    operator moving it to their home writes exactly this) makes ./~/jiedan/jiedan.db in whatever directory the bot
    was started from — a different, empty database each time it is started from elsewhere (a systemd unit vs. a
    shell), with the residents' tickets apparently gone. Cause: db.make_engine mkdirs and opens the URL's path as
    written. Expected: a SQLite path starting with ~ is expanded (or refused with one line naming DATABASE_URL)."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    engine = db.make_engine("sqlite:///~/jiedan/jiedan.db")
    with engine.connect():
        pass
    engine.dispose()
    assert not (work / "~").exists(), sorted(str(p.relative_to(work)) for p in work.rglob("*"))


# 16 ------------------------------------------------------------------------------------------------
def _geography_without(grid: str, tmp_path: Path) -> Path:
    """The demo geography with one grid taken out (the deployment's file after the grids were redrawn)."""
    lines = DEFAULT_GEOGRAPHY_FILE.read_text(encoding="utf-8").split("\n\n")
    kept = [block for block in lines if f'code = "{grid}"' not in block]
    path = tmp_path / "redrawn.toml"
    path.write_text("\n\n".join(kept), encoding="utf-8")
    return path


@SQLITE
async def test_an_emergency_chosen_on_the_unsure_card_after_the_grid_left_the_file_fails(
    chat: BotChat, world: World, tmp_path: Path
) -> None:
    """e8e7902 covered a resident who was at the phone step when a restart took their grid out of the geography
    file: 「您原来登记的网格已经调整，这件事还没有提交。请重新选择…」. The step right next to it is not covered: the resident
    typed 「楼道灯」, the bot, unsure, showed its item buttons; the bot restarts with the redrawn grids (her grid
    gone, so c75f566 cleared her area); she presses 「燃气泄漏」 — an emergency. resident._intake_action opens the
    urgent ticket at once through _open_urgent_ticket → _ticket_of, which passes person.grid_code (now None) to
    tickets.submit_ticket: the press fails (「未知的区域编码 None」 / an error), no urgent ticket is opened and no
    coordinator is alerted — for a gas leak. Expected: as at the phone step, she is told her grid changed and asked
    to choose her area, the emergency kept and opened as soon as she has chosen."""
    with db.transaction(world.engine) as s:
        members.set_home_grid(s, RESIDENT, G11, T0)
    first = await chat.say(RESIDENT, "楼道灯")
    card = next(r for r in first if r.message is not None and "燃气泄漏" in str(_buttons(r)))
    with db.transaction(world.engine) as s:  # the restart with the redrawn geography file
        sync_geography(s, load_geography(_geography_without(G11, tmp_path)))
    pressed = await chat.press(RESIDENT, card.button("燃气泄漏"), card.message)
    seen = texts_of(pressed)
    assert "None" not in seen and "系统暂时繁忙" not in seen, seen
    assert "网格已经调整" in seen or "请先选择您所在的社区和网格" in seen or "请选择" in seen, seen
    areas = pressed[-1]  # (chosen, the emergency is opened and the coordinators alerted)
    grids = (await chat.press(RESIDENT, areas.button("幸福里社区"), areas.message))[-1]
    mark = len(chat.events)
    await chat.press(RESIDENT, grids.button("幸福里第二网格"), grids.message)
    assert "已为您登记紧急工单" in texts_of(chat.replies(RESIDENT, mark)), texts_of(chat.replies(RESIDENT, mark))
    assert "🚨" in texts_of(chat.replies(COORD, mark)), texts_of(chat.replies(COORD, mark))  # the street alerted


# 17 ------------------------------------------------------------------------------------------------
async def test_messages_per_second_below_one_silently_stops_every_send(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """3da886f gave the numeric settings bounds so that a value that cannot work 「stops the bot with one line naming
    the setting, not … a silent outage later」. TELEGRAM_MESSAGES_PER_SECOND was left with only `ge=0`. The README
    tells the operator to set it to 「this process's share of Telegram's limit: 30/N」 — a city deployment with 40
    webhook workers writes 0.75, with 60 workers 0.5. The bot starts without a word, and then every call to
    Telegram fails inside python-telegram-bot's AIORateLimiter: aiolimiter's AsyncLimiter(max_rate=0.5,
    time_period=1) raises 「ValueError: Can't acquire more than the maximum capacity」 for a single message, so no
    offer, alert, receipt or answer ever reaches anyone. Cause: bot.app.rate_limiter passes the rate with a
    one-second period. Expected: a rate under 1 works (e.g. AIORateLimiter(overall_max_rate=1,
    overall_time_period=1/rate)), or is refused at start with one line naming TELEGRAM_MESSAGES_PER_SECOND."""
    from pydantic import ValidationError

    from bot.app import rate_limiter
    from bot.config import BotSettings
    from routing.config import read_settings

    monkeypatch.chdir(tmp_path)  # (no .env)
    monkeypatch.setenv("TELEGRAM_MESSAGES_PER_SECOND", "0.5")  # 30 / 60 workers
    try:
        settings = read_settings(BotSettings)
    except ValidationError as error:  # refused at start, naming the setting: fine
        assert "TELEGRAM_MESSAGES_PER_SECOND" in str(error)
        return
    limiter = rate_limiter(settings)
    await limiter.initialize()

    async def send(*_args: object, **_kwargs: object) -> bool:
        return True

    assert await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 1, "text": "您好"}, None)


# 18 ------------------------------------------------------------------------------------------------
@SQLITE
async def test_a_new_member_choosing_a_grid_that_left_the_file_loses_the_whole_registration(
    chat: BotChat, world: World, tmp_path: Path
) -> None:
    """The member-side twin of e8e7902 (a resident at the phone step whose grid left the file is told
    「您原来登记的网格已经调整…请重新选择」, the request kept). A party member registers with the code a coordinator gave
    him: /join CODE, his name 「王师傅」, the skill 电工, 完成, 幸福里社区 — and the bot restarts with the redrawn
    grids while the list 幸福里第一网格 / 幸福里第二网格 is on his screen. He presses 幸福里第一网格 and reads only
    「网格 幸福里第一网格（S01-C01-G01）已停用」 — an internal code, no buttons, and join_button's DomainError branch has
    cleared his registration: the name and skills he entered are gone, /start now greets him as a resident, and
    nothing says he must send /join CODE again. Expected: as for the resident, he is told the grids changed and
    shown the current grids (his name and skills kept), and choosing one registers him."""
    code = world.invite()
    new = 7777
    await chat.say(new, f"/join {code}")
    skills = (await chat.say(new, "王师傅"))[-1]
    await chat.press(new, skills.button("电工"), skills.message)
    skills = chat.replies(new)[-1]
    await chat.press(new, skills.button("完成"), skills.message)
    communities = chat.replies(new)[-1]
    await chat.press(new, communities.button("幸福里社区"), communities.message)
    grids = chat.replies(new)[-1]
    assert "幸福里第一网格" in str(_buttons(grids))
    with db.transaction(world.engine) as s:  # the restart with the redrawn geography file
        sync_geography(s, load_geography(_geography_without(G11, tmp_path)))
    told = await chat.press(new, grids.button("幸福里第一网格"), grids.message)
    seen = "\n".join(r.text for r in told)
    assert G11 not in seen, seen
    choices = [r for r in told if r.message is not None and r.message.inline_keyboard]
    assert choices, seen  # the grids to choose from again
    again = choices[-1]
    button = "幸福里第二网格" if "幸福里第二网格" in str(_buttons(again)) else "幸福里社区"
    await chat.press(new, again.button(button), again.message)
    if button == "幸福里社区":
        last = chat.replies(new)[-1]
        await chat.press(new, last.button("幸福里第二网格"), last.message)
    with db.transaction(world.engine) as s:
        member = members.find_member(s, new)
        assert member is not None and member.display_name == "王师傅"
