"""Settings and the start of `python -m bot`: a bad setting, path, database, taxonomy or geography file stops the
bot with one line naming it, before it touches the database or Telegram; Telegram refusing or unreachable at start;
no token runs the offline console."""

from __future__ import annotations

import http.server
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.__main__ import start_domain
from bot.config import BotSettings, SettingsError, get_bot_settings
from classifier.taxonomy import DEFAULT_TAXONOMY_FILE, load_taxonomy_file
from routing import db
from routing.geography import DEFAULT_GEOGRAPHY_FILE, load_geography
from tests.bot.bot_process import CLEAN, run_bot, saved_in_gbk, start_bot_until
from tests.e2e.harness import share_learned_models

TOKEN = "123456:ABCdefGHIjklMNOpqrSECRETpart"
SELF_HOSTED_TOKEN = "123456789:AAFAKEtokenSECRETxyz0123456789"  # the token the self-hosted Bot API knows
# The caller's environment without a token, a database or coordinators (run_bot's CLEAN leaves out every setting).
UNCONFIGURED = {
    k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN", "DATABASE_URL", "COORDINATOR_IDS"}
}
GEOGRAPHY = Path(__file__).resolve().parents[2] / "routing" / "geography.toml"
TAXONOMY = Path(__file__).resolve().parents[2] / "classifier" / "taxonomy.toml"


# --- a bad setting is named in one line ---
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


def test_bad_setting_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    env = {**UNCONFIGURED, "TELEGRAM_BOT_TOKEN": "oops", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# The bug: LOG_LEVEL was not validated: a traceback from logging.
def test_a_bad_log_level_is_named_in_one_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "LOG_LEVEL": "verbose"})
    assert result.returncode == 2, result.stderr.strip().splitlines()[-1]
    assert "LOG_LEVEL" in result.stderr


# The bug: QUIET_HOURS accepted minutes 60-99, and failed only when a reminder was held.
def test_quiet_hours_with_impossible_minutes_are_refused() -> None:
    with pytest.raises(ValidationError):
        settings = BotSettings(_env_file=None, QUIET_HOURS="22:99-07:00")
        settings.quiet_hours  # noqa: B018 - what delivery evaluates when a reminder is held


# The bug: infinite or huge durations passed validation and crashed the start.
@pytest.mark.parametrize("setting", ["TIME_LIMIT_SCALE=inf", "WAVE_TIMEOUT_MINUTES=inf", "INVITE_TTL_DAYS=1e9"])
def test_an_impossible_duration_stops_with_one_line(tmp_path: Path, setting: str) -> None:
    name, value = setting.split("=")
    result = run_bot(tmp_path, {name: value})
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], lines[-1] if lines else result.stdout[-300:]


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


# --- DATA_DIR and a SQLite DATABASE_URL: the paths ---
# The bug: an unusable DATA_DIR gave a traceback from pathlib.
def test_an_unusable_data_dir_stops_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    result = run_bot(tmp_path, {"DATA_DIR": str(tmp_path / "afile" / "data")})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), lines[-1]


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


def test_sqlite_database_url_in_a_bad_directory_is_not_blamed_on_data_dir(tmp_path: Path) -> None:
    """An operator puts the database elsewhere, `DATABASE_URL=sqlite:////srv/jiedan/db/jiedan.db`, where the
    directory cannot be made (here a file stands where the directory should be; on a server, typically a directory
    the bot's user may not write: Permission denied). The bot stops with
    `jiedan: setting DATA_DIR (data): File exists` — naming DATA_DIR, which is fine and unused for the database, and
    its path, not the one that failed — so the operator looks in the wrong place. `bot/__main__.py` start_domain
    reports every OSError during start-up as a DATA_DIR problem, although `routing/db.py` make_engine makes the
    directory of DATABASE_URL's SQLite file."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    blocker = tmp_path / "srv"
    blocker.write_text("not a directory")
    settings = BotSettings(_env_file=None, DATA_DIR=data_dir, DATABASE_URL=f"sqlite:///{blocker}/jiedan.db")
    with pytest.raises(SystemExit) as stopped:
        start_domain(settings)
    line = str(stopped.value.code)
    assert "DATABASE_URL" in line or str(blocker) in line, line


def test_a_database_url_with_a_tilde_makes_no_directory_named_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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


# --- the database at start ---
# The bug: a DATABASE_URL typo other than the host gave a traceback.
@pytest.mark.parametrize("url", ["postgresql://jiedan:pw@127.0.0.1:54x2/jiedan", "mysql://jiedan:pw@127.0.0.1/jiedan"],
                         ids=["port-typo", "unsupported-scheme"])
def test_a_malformed_database_url_stops_with_one_line(tmp_path: Path, url: str) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), lines[-1]


def test_unreachable_database_exits_with_a_clear_message(tmp_path: Path) -> None:
    env = {
        **UNCONFIGURED,
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


def test_a_password_with_an_at_sign_is_not_printed_in_the_start_error(tmp_path: Path) -> None:
    """The start error hides the credentials (it prints only what follows the last '@'), but when the password
    itself holds an '@' (a common generated password), the reason quotes the host SQLAlchemy misparsed —
    the password's tail — and says nothing about percent-encoding it."""
    secret_tail = "Zq9Tail"
    url = f"postgresql://jiedan:S3cret@{secret_tail}@127.0.0.1:5432/jiedan"
    settings = BotSettings(_env_file=None, DATABASE_URL=url, DATA_DIR=tmp_path)
    with pytest.raises(SystemExit) as stop:
        start_domain(settings)
    message = str(stop.value.code)
    assert secret_tail not in message, message


def test_a_database_newer_than_the_code_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    """An operator rolls the bot back to the previous release after the new one migrated the database (or points
    an old worker at it). `jiedan db upgrade` says so in one line (CommandError is caught there); `python -m bot`
    dies with alembic's traceback, because start_domain does not catch alembic's CommandError."""
    path = tmp_path / "jiedan.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    with sqlite3.connect(path) as conn:  # what a later release's migration leaves
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9",
                                "DATABASE_URL": url})
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and lines[-1].startswith("jiedan: "), lines[-1]
    assert "newer release" in lines[-1], lines[-1]


# --- the taxonomy and geography files ---
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
    env = {**UNCONFIGURED, "DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": "123456:ABCdefGHIjklMNOpqr",
           variable: str(broken)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jiedan: "), result.stderr[-2000:]
    assert re.search(expected, lines[0]), lines[0]
    assert not (tmp_path / "jiedan.db").exists(), "refused before creating the database"


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
    source = GEOGRAPHY if setting == "GEOGRAPHY_FILE" else TAXONOMY
    path = saved_in_gbk(tmp_path, source, "file.toml")
    result = run_bot(tmp_path, {setting: str(path)}, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, lines[-3:]
    assert "database" not in lines[0].lower(), lines[0]
    assert str(path) in lines[0] or setting in lines[0], lines[0]
    assert "UTF-8" in lines[0], lines[0]


@pytest.mark.parametrize("kind", ["geography", "taxonomy"])
def test_a_file_saved_as_utf8_with_bom_loads(kind: str, tmp_path: Path) -> None:
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


# --- Telegram at start ---
@contextmanager
def bot_api(answer: Callable[[str], tuple[int, object]]) -> Iterator[str]:
    """A Bot API server on a free port: `answer(path)` gives each POST's status and JSON body. Yields its URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body = answer(self.path)
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


@pytest.fixture
def telegram_rejecting_the_token() -> Iterator[str]:
    """A Bot API that answers every method 401 Unauthorized (a revoked or mistyped token)."""
    with bot_api(lambda _path: (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})) as url:
        yield url


# The bug: a token Telegram rejects was printed in full.
def test_a_rejected_token_is_never_printed(tmp_path: Path, telegram_rejecting_the_token: str) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": telegram_rejecting_the_token})
    assert result.returncode != 0
    assert "SECRETpart" not in result.stdout + result.stderr, result.stderr.strip().splitlines()[-1]


# The bug: Telegram unreachable at start gave a 60-line traceback.
def test_telegram_unreachable_at_start_gives_no_traceback(tmp_path: Path) -> None:
    result = run_bot(tmp_path, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": "http://127.0.0.1:9"})
    assert "Traceback" not in result.stderr, result.stderr.strip().splitlines()[-1]


@pytest.fixture
def self_hosted_bot_api() -> Iterator[str]:
    """A self-hosted Bot API server that knows SELF_HOSTED_TOKEN (answers under /bot<token>/…, 404 Not Found
    elsewhere, as Telegram's does)."""

    def answer(path: str) -> tuple[int, object]:
        if not path.startswith(f"/bot{SELF_HOSTED_TOKEN}/"):
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        method = path.rsplit("/", 1)[-1]
        if method == "getMe":
            result: object = {"id": 1, "is_bot": True, "first_name": "接单", "username": "jiedan_bot"}
        elif method == "getUpdates":
            time.sleep(0.5)
            result = []
        else:
            result = True
        return 200, {"ok": True, "result": result}

    with bot_api(answer) as url:
        yield url


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
    env = {**CLEAN, "DATA_DIR": str(data), "TELEGRAM_BOT_TOKEN": SELF_HOSTED_TOKEN,
           "TELEGRAM_BASE_URL": self_hosted_bot_api + "/bot"}
    started, output = start_bot_until(tmp_path, env, "Application started")
    if started:  # it is polling the server: the address was understood
        return
    last = (output.strip().splitlines() or [""])[-1]
    assert "TELEGRAM_BASE_URL" in last, last


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
    env = {**CLEAN, "DATA_DIR": str(data), "TELEGRAM_BOT_TOKEN": SELF_HOSTED_TOKEN, "TELEGRAM_BASE_URL": self_hosted_bot_api}
    started, output = start_bot_until(tmp_path, env, "Application started")
    assert started, output[-500:]
    assert "COORDINATOR_IDS" in output, output.strip().splitlines()[-3:]


# --- no token: the offline console ---
def test_no_token_runs_the_offline_console_through_a_whole_intake(tmp_path: Path) -> None:
    script = "/start\n楼道灯坏了好几天了\n1\n3号楼2单元\n2\n:as 王师傅\n1\n:quit\n"
    share_learned_models(tmp_path)
    env = {**UNCONFIGURED, "DATA_DIR": str(tmp_path)}
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
