"""What an operator does to a deployment and what residents, members and coordinators then meet: the `jiedan`
commands (geography check and sync, seed-demo, coordinator remove), the geography file redrawn under them, a
coordinator taken away; every module the README runs exists."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from routing import db, members
from routing.geography import DEFAULT_GEOGRAPHY_FILE, load_geography, parse_geography, sync_geography
from routing.models import Person
from tests.bot.bot_process import CLEAN, OWN_GEOGRAPHY, console, jiedan, saved_in_gbk
from tests.bot.chat_harness import BotChat, assign_through_bot, buttons, card_with, texts_of
from tests.bot.conftest import RESIDENT
from tests.conftest import COORD, G11, GRID_COORD, T0, World

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_GEOGRAPHY = ROOT / "routing" / "geography.toml"
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


def _geography_without(grid: str, tmp_path: Path) -> Path:
    """The demo geography with one grid taken out (the deployment's file after the grids were redrawn)."""
    lines = DEFAULT_GEOGRAPHY_FILE.read_text(encoding="utf-8").split("\n\n")
    kept = [block for block in lines if f'code = "{grid}"' not in block]
    path = tmp_path / "redrawn.toml"
    path.write_text("\n\n".join(kept), encoding="utf-8")
    return path


def active_codes(tmp_path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "jiedan.db") as conn:
        return {code for (code,) in conn.execute("SELECT code FROM geo_node WHERE active")}


# --- the jiedan commands: the geography file checked and synced ---
def test_jiedan_geography_check_of_a_gbk_file_names_the_file(tmp_path: Path) -> None:
    """`jiedan geography check geo.toml`, the command meant to validate a geography file before deploying it, answers a
    file saved in GBK with `jiedan: 'utf-8' codec can't decode byte … — check the database URL (DATABASE_URL or --url)`:
    a geography check needs no database at all, yet the operator is told to check one, and the file is not named.
    Cause: routing/cli.py main's `except (SQLAlchemyError, CommandError, ImportError, ValueError)` catches the
    UnicodeDecodeError that load_geography lets through and calls db.database_problem."""
    path = saved_in_gbk(tmp_path, OWN_GEOGRAPHY, "geo.toml")
    done = subprocess.run([sys.executable, "-m", "routing.cli", "geography", "check", str(path)],
                          env={**CLEAN, "DATA_DIR": str(tmp_path)}, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "database" not in done.stderr.lower(), done.stderr
    assert str(path) in done.stderr and "UTF-8" in done.stderr, done.stderr


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


# --- the geography redrawn: a grid taken out of the file under its residents and members ---
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


@SQLITE
async def test_an_emergency_chosen_after_the_grid_left_the_file_is_opened_once_an_area_is_chosen(
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
    card = next(r for r in first if r.message is not None and "燃气泄漏" in str(buttons(r)))
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


@SQLITE
async def test_a_new_member_choosing_a_grid_that_left_the_file_keeps_his_registration(
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
    assert "幸福里第一网格" in str(buttons(grids))
    with db.transaction(world.engine) as s:  # the restart with the redrawn geography file
        sync_geography(s, load_geography(_geography_without(G11, tmp_path)))
    told = await chat.press(new, grids.button("幸福里第一网格"), grids.message)
    seen = "\n".join(r.text for r in told)
    assert G11 not in seen, seen
    choices = [r for r in told if r.message is not None and r.message.inline_keyboard]
    assert choices, seen  # the grids to choose from again
    again = choices[-1]
    button = "幸福里第二网格" if "幸福里第二网格" in str(buttons(again)) else "幸福里社区"
    await chat.press(new, again.button(button), again.message)
    if button == "幸福里社区":
        last = chat.replies(new)[-1]
        await chat.press(new, last.button("幸福里第二网格"), last.message)
    with db.transaction(world.engine) as s:
        member = members.find_member(s, new)
        assert member is not None and member.display_name == "王师傅"


@SQLITE
def test_a_residents_area_survives_a_start_with_the_wrong_geography_file(
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


# --- a coordinator taken away: COORDINATOR_IDS, `jiedan coordinator remove` ---
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


@SQLITE
async def test_a_removed_coordinator_is_no_longer_told_about_the_tickets_he_assigned(
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
    await assign_through_bot(chat, GRID_COORD, "王师傅")
    offer = next(r for r in chat.replies(wang) if "指派给您" in r.text)
    with db.transaction(world.engine) as s:  # jiedan coordinator remove 9011
        assert members.drop_coordinator(s, GRID_COORD) == 1
    mark = len(chat.events)
    await chat.press(wang, offer.button("不方便"), offer.message)
    assert chat.ticket(ticket_id).assignee_id is None
    told = [r.text for r in chat.replies(GRID_COORD, mark)]
    assert told == [], told


# --- the README's commands ---
def test_every_module_the_readme_runs_exists() -> None:
    """Each `python -m …` the README names can be run (it once named a classifier.calibrate that never existed)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"python -m ([A-Za-z_][\w.]*)", readme))
    assert {"classifier.evaluate", "classifier.bench", "bot"} <= named
    assert [m for m in sorted(named) if importlib.util.find_spec(m) is None] == []
