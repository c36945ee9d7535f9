"""/stats and /report, and the daily digest and weekly report pushed to coordinators: the figures of each scope
(grids, communities, a street; a coordinator of several), the periods, rates near 0 and 100 %, a resident's /stats;
and the quarter's stars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

import bot.app
import bot.handlers.coordinator
from bot import texts
from bot.delivery import render
from classifier import Classifier
from routing import db, dispatch, members, reports, stats, tickets
from routing.models import GeoNode, MemberStar, Notification, NotificationKind
from routing.reports import STATS_PERIODS
from routing.stats import Stats
from tests.bot.chat_harness import bot_chat
from tests.bot.conftest import RESIDENT
from tests.bot.test_delivery import FakeBot, make_context
from tests.conftest import COORD, G11, G12, G21, GRID_COORD, STREET, T0, World, minutes
from tests.conftest import RESIDENT as WORLD_RESIDENT  # (1001: the small world's resident)

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_AFTER = timedelta(minutes=10)


def _ticket_at(world: World, grid: str, at: datetime, resident: int = RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, resident, at, name="居民")
        return tickets.submit_ticket(s, resident, "楼道灯坏了", at, label=None, grid_code=grid, address="3号楼",
                                     settings=world.settings).id


def _ticket(world: World, grid: str, resident: int = RESIDENT) -> int:
    """A ticket created an hour ago (inside /stats's 30 days, by the real clock the handlers use)."""
    return _ticket_at(world, grid, datetime.now(UTC) - timedelta(hours=1), resident)


def _submit(world: World, at: datetime, *, grid: str = G11, label: str | None = "repair.plumbing",
            resident: int = WORLD_RESIDENT) -> int:
    with db.transaction(world.engine) as s:
        members.ensure_person(s, resident, at, name="居民")
        return tickets.submit_ticket(s, resident, "厨房水管漏水了", at, label=label, grid_code=grid,
                                     address="幸福里3号楼502", settings=world.settings).id


def _done_and_rated(world: World, member: int, at: datetime, stars: int) -> int:
    """A plumbing ticket (fast: 1 h / 24 h) accepted after 5 min, resolved after 30 min, rated after 40 min."""
    tid = _submit(world, at)
    with db.transaction(world.engine) as s:
        dispatch.accept_offer(s, tid, member, at + minutes(5))
        tickets.resolve_ticket(s, tid, member, at + minutes(30), note="修好了")
        tickets.rate_ticket(s, tid, WORLD_RESIDENT, stars, at + minutes(40))
    return tid


def _pushes(world: World, person: int, kind: NotificationKind) -> list[str]:
    with db.transaction(world.engine) as s:
        notes = list(s.exec(select(Notification).where(Notification.recipient_id == person, Notification.kind == kind)
                            .order_by(Notification.id)))
    return [texts.report_caption(n.payload) if kind == NotificationKind.weekly_report
            else render(n.kind, n.payload, SHANGHAI)[0] for n in notes]


# --- /stats: a coordinator's scopes ---

@SQLITE
async def test_a_coordinator_of_two_grids_sees_both_in_stats(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A 网格员 who coordinates 幸福里第一网格 and, later, also 幸福里第二网格 (the street coordinator added the
    scope: add_coordinator allows several) asks /stats: the reply is 幸福里第一网格 with 0 tickets, and the
    ticket of the second grid is nowhere — the second scope cannot be seen at all (/report: the same)."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, GRID_COORD, G12, datetime.now(UTC))
    _ticket(world, G12)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r.text for r in await chat.say(GRID_COORD, "/stats") if "服务效能" in r.text]
    assert "幸福里第二网格" in shown or "工单：1 件" in shown, shown


@SQLITE
async def test_a_street_coordinators_stats_show_each_community(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Spec: the four rates "by grid, community, street, category and period". The street coordinator's /stats
    is one line per rate for the whole street, and nothing in the bot (/stats, /report, the digest) ever
    shows a community's or grid's figures: which community is late cannot be seen."""
    _ticket(world, G11)
    _ticket(world, G21)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r.text for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
    assert "幸福里社区" in shown and "和平路社区" in shown, shown


@SQLITE
async def test_a_street_coordinator_can_see_the_figures_of_each_grid(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Spec: the four rates "by grid, community, street…". The street coordinator (who sees all) sends /stats: the
    reply breaks the street down by community only, and neither /stats, /report nor the digest ever shows a grid's
    figures to them — which 网格 of 幸福里社区 is late (第一 or 第二) cannot be told from the street."""
    now_ = datetime.now(UTC) - timedelta(hours=1)
    _submit(world, now_, grid=G11)
    _submit(world, now_, grid=G12, resident=WORLD_RESIDENT + 1)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r.text for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
    assert "幸福里第一网格" in shown and "幸福里第二网格" in shown, shown


def test_a_streets_grids_with_the_same_name_in_two_communities_can_be_told_apart(world: World) -> None:
    """A real street names its grids per community: 幸福里社区 and 和平路社区 each have a 「第一网格」 (geography.toml
    allows it: only codes must be unique). The street coordinator sends /stats to see which grid is late and reads two
    lines 「· 第一网格：1 件 …」 under 网格 — which community each belongs to is not said, so the new block cannot
    tell them which grid is late, its very purpose."""
    with db.transaction(world.engine) as s:
        for code in (G11, G21):
            s.exec(select(GeoNode).where(GeoNode.code == code)).one().name = "第一网格"
    now = datetime.now(UTC) - timedelta(minutes=10)
    for i, grid in enumerate((G11, G21)):
        with db.transaction(world.engine) as s:
            members.ensure_person(s, WORLD_RESIDENT + i, now, name="居民")
            tickets.submit_ticket(s, WORLD_RESIDENT + i, "厨房水管漏水了", now, label="repair.plumbing", grid_code=grid,
                                  address="3号楼502", settings=world.settings)
    with db.transaction(world.engine) as s:
        start, _end = reports.stats_period("30d", now, world.settings.tz)
        section = reports.scope_figures(s, STREET, start, now + timedelta(minutes=10), now + timedelta(minutes=10))
    shown = texts.stats([section], "近 30 天")
    grid_lines = shown.split("<b>网格</b>")[1].split("<b>分类</b>")[0].strip().splitlines()[1:]
    names = [line.split("：")[0] for line in grid_lines]
    assert len(set(names)) == len(names) == 2, shown


def test_a_big_streets_stats_still_shows_its_categories() -> None:
    """A street coordinator sends /stats for 近 30 天. Their street has 12 communities of 8 grids each, all with
    tickets: the new 「网格」 block (96 lines) comes before 「分类」 and fit() cuts the message at Telegram's limit, so the
    分类 block — shown before the fix — is gone (and, for a coordinator of two streets, the whole second street)."""
    figures = stats.Stats(None, total=30, cancelled=0, open=2, responded_on_time=27, response_due=30,
                          resolved_on_time=25, resolution_due=28, rated=20, satisfied=18, overdue=3).as_dict()
    communities = [f"第{i + 1}社区" for i in range(12)]
    grids = [(f"{c}第{j + 1}网格", figures) for c in communities for j in range(8)]
    section = {"name": "示范街道", "figures": figures, "children": [(c, figures) for c in communities],
               "grids": grids, "categories": [("房屋维修", figures), ("环境卫生", figures)]}
    shown = texts.stats([section], "近 30 天")
    assert "房屋维修" in shown, shown[-300:]


@SQLITE
async def test_a_grid_coordinators_help_does_not_promise_the_communitys_figures(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """The 网格员 of 幸福里第一网格 sends /help and reads, in the resident part, 「/stats 查看本社区的服务效能」, then in the
    coordinator part 「/stats 响应率、解决率、满意率、超期率」. They send /stats for 幸福里社区's figures and get
    幸福里第一网格's only (a coordinator's /stats is their scope, never their community): the help promises what the
    command does not do for them."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        help_text = "\n".join(r.text for r in await chat.say(GRID_COORD, "/help"))
        (shown,) = [r.text for r in await chat.say(GRID_COORD, "/stats") if "服务效能" in r.text]
    promises_community = "/stats 查看本社区" in help_text
    shows_community = shown.startswith("幸福里社区") or "\n幸福里社区 服务效能" in shown
    assert not promises_community or shows_community, (help_text, shown)


# --- /stats: the periods ---

def test_every_stats_period_has_a_button() -> None:
    """The periods routing can compute and the buttons' names are the same list, in the same order."""
    assert tuple(texts.STATS_PERIOD_NAMES) == STATS_PERIODS


@SQLITE
async def test_stats_can_show_last_month_and_this_month(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Spec: the four rates "by … period". /stats shows the last 30 days with buttons for 近 7 天, 本月, 上月 and
    本季度; 上月 counts the tickets of last month only (in the deployment's time zone), 本月 those of this month."""
    tz = world.settings.tz
    now_ = datetime.now(UTC)
    month_start = datetime(now_.astimezone(tz).year, now_.astimezone(tz).month, 1, tzinfo=tz)
    _ticket_at(world, G11, month_start - timedelta(days=3))  # last month
    _ticket_at(world, G11, month_start - timedelta(days=2))  # last month
    _ticket_at(world, G11, month_start + (now_ - month_start) / 2)  # this month
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
        assert "近 30 天" in shown.text, shown.text
        last = await chat.press(COORD, shown.button("上月"), shown.message)
        this = await chat.press(COORD, shown.button("本月"), shown.message)
        week = await chat.press(COORD, shown.button("近 7 天"), shown.message)
        stale = await chat.press(COORD, "st:year", shown.message)
    (last_text,) = [r.text for r in last if "服务效能" in r.text]
    (this_text,) = [r.text for r in this if "服务效能" in r.text]
    last_month = (month_start - timedelta(days=1)).date()
    assert f"上月 · {last_month.month}月1日–{last_month.month}月{last_month.day}日" in last_text, last_text
    assert "工单：2 件" in last_text, last_text
    assert "本月" in this_text and "工单：1 件" in this_text, this_text
    assert any("近 7 天" in r.text for r in week), [r.text for r in week]
    assert any("失效" in r.text for r in stale), [r.text for r in stale]


@SQLITE
async def test_the_first_day_a_7_day_period_names_is_counted_whole(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sunday 6 December, 14:00 in Shanghai. A ticket came in on Sunday 29 November at 09:00. The street
    coordinator presses 近 7 天 and reads 「近 7 天（11月29日–12月6日）… 工单：0 件」: the message names 29 November
    as its first day (eight dates in all), yet that morning's ticket is not counted — the window is the 168 hours
    before the press (now − 7 days, routing/reports.py `stats_period`), while the label
    (bot/handlers/coordinator.py `_show_stats`) prints the local date of its start as if the whole day were in it.
    Anyone checking the figure against the tickets of those dates finds it short; 近 30 天 likewise."""
    pressed_at = datetime(2026, 12, 6, 14, 0, tzinfo=SHANGHAI)
    monkeypatch.setattr(bot.handlers.coordinator, "now", lambda: pressed_at)
    _ticket_at(world, G11, datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI))
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
        week = await chat.press(COORD, shown.button("近 7 天"), shown.message)
    (text,) = [r.text for r in week if "服务效能" in r.text]
    head = text.splitlines()[0]
    names_the_29th = "11月29日–" in head
    counted = "工单：1 件" in text
    assert counted or not names_the_29th, text


@SQLITE
async def test_stats_of_a_period_without_tickets_says_so(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A grid coordinator of a new deployment sends /stats: 「工单：0 件 / 响应率：— / 解决率：— / 满意率：— / 超期率：—」,
    with nothing saying what "—" means (the chart and the text report say 「暂无工单」). An elderly 网格员 reads four
    dashes as a broken bot; the message should say there were no tickets in the period."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r.text for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
    assert "无工单" in shown or "没有工单" in shown, shown


# --- the rates as shown ---

def test_one_overdue_ticket_in_250_is_not_shown_as_zero() -> None:
    """A street with 250 tickets in 30 days, one of them past its limit (red card) and 249 answered in time:
    /stats says 「超期率：0%」 and 「响应率：100%」 — a coordinator (and residents, who see the same figures)
    read that nothing was late. Hand count: 1/250 = 0.4 %, 249/250 = 99.6 %."""
    figures = Stats(None, total=250, cancelled=0, open=0, responded_on_time=249, response_due=250,
                    resolved_on_time=249, resolution_due=250, rated=0, satisfied=0, overdue=1)
    shown = texts.stats([{"name": "示范街道", "figures": figures.as_dict()}], "近 30 天")
    assert "超期率：0%" not in shown and "响应率：100%" not in shown, shown


def test_one_overdue_ticket_in_a_large_quarter_is_not_shown_as_zero() -> None:
    """A big street's 本季度: 1 ticket overdue of 25 000, and 24 999 of 25 000 rated tickets satisfied. /stats shows
    「超期率：0%」 and 「满意率：100%」 — texts.percent would print <0.1% and >99.9%, but Stats._rate has already
    rounded the rate to 4 decimals (0.00004 → 0.0, 0.99996 → 1.0), so the one breach and the one unhappy resident
    disappear from the figures."""
    figures = stats.Stats(None, total=25000, cancelled=0, open=0, responded_on_time=0, response_due=0,
                          resolved_on_time=0, resolution_due=0, rated=25000, satisfied=24999, overdue=1)
    shown = texts.stats([{"name": "示范街道", "figures": figures.as_dict()}], "本季度")
    assert "超期率：<0.1%" in shown and "满意率：>99.9%" in shown, shown


# --- a resident's /stats ---

@SQLITE
async def test_a_resident_asking_for_stats_before_choosing_an_area_gets_them_after(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Spec: residents can see their community's figures. A new resident sends /stats, is asked to choose
    the community and grid, chooses them — and is told 「现在请直接告诉我您需要什么帮助」: the figures they
    asked for never come (they must guess to send /stats again)."""
    _ticket(world, G11, resident=7)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        asked = await chat.say(RESIDENT, "/stats")
        assert any("选择" in r.text for r in asked), [r.text for r in asked]
        grids = await chat.press(RESIDENT, asked[-1].button("幸福里社区"), asked[-1].message)
        picked = await chat.press(RESIDENT, grids[-1].button("幸福里第一网格"), grids[-1].message)
        shown = "\n".join(r.text for r in picked)
    assert "服务效能" in shown, shown


@SQLITE
async def test_choosing_the_area_for_stats_does_not_drop_the_need_told_before(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A new resident writes 「楼道灯坏了好几天了，晚上很黑」 and is asked to choose their community and grid. Before
    choosing, they tap /stats in the menu (or type it) and are asked again; they choose 幸福里社区 · 幸福里第一网格
    on that second keyboard and get the figures, with 「现在请直接告诉我您需要什么帮助」 — but the need they already
    told is never taken up: no 「我理解您反映的是…」 card, no ticket, and their next words (好的) get the
    introduction. The request sits forgotten in its draft at the area step (bot/handlers/resident.py `area_chosen`
    returns after the figures when the keyboard was /stats's, skipping the pending intake it continues
    otherwise)."""
    async with bot_chat(engine, tmp_path, classifier) as chat:
        await chat.say(RESIDENT, "楼道灯坏了好几天了，晚上很黑")
        asked = await chat.say(RESIDENT, "/stats")
        grids = await chat.press(RESIDENT, asked[-1].button("幸福里社区"), asked[-1].message)
        picked = await chat.press(RESIDENT, grids[-1].button("幸福里第一网格"), grids[-1].message)
    shown = "\n".join(r.text for r in picked)
    assert "服务效能" in shown and "我理解您反映的是" in shown, shown


@SQLITE
async def test_a_resident_can_choose_the_period_of_their_communitys_stats(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Residents see their community's figures, and may choose the period as coordinators do."""
    _ticket(world, G11, resident=7)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        chat.home(RESIDENT, G11)
        (shown,) = [r for r in await chat.say(RESIDENT, "/stats") if "服务效能" in r.text]
        quarter = await chat.press(RESIDENT, shown.button("本季度"), shown.message)
    assert any("本季度" in r.text and "工单：1 件" in r.text for r in quarter), [r.text for r in quarter]


# --- /report ---

@SQLITE
async def test_report_of_a_coordinator_of_two_grids_covers_the_second_grid(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """A 网格员 coordinates 幸福里第一网格 and also 幸福里第二网格 (a second scope the street coordinator gave). Two
    tickets came in this week in the second grid. /stats shows both grids, but /report — the weekly report the
    coordinator asks for — is only 「幸福里第一网格 服务效能周报 … 工单 0 件」: the second grid's report cannot be
    had on demand at all (bot/report.py `_report_for` takes `scopes[0]` only, while /stats and the Monday push
    cover every scope)."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, GRID_COORD, G12, datetime.now(UTC))
    at = datetime.now(UTC) - timedelta(hours=1)
    with db.transaction(world.engine) as s:
        members.ensure_person(s, 7, at, name="居民")
        for _ in range(2):
            tickets.submit_ticket(s, 7, "楼道灯坏了", at, label=None, grid_code=G12, address="3号楼",
                                  settings=world.settings)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        shown = [r.text for r in await chat.say(GRID_COORD, "/report")]
    weekly = [t for t in shown if "服务效能周报" in t]
    assert weekly, shown
    assert any("幸福里第二网格" in t for t in weekly), weekly


# --- the daily digest and the weekly report pushed ---

def test_digest_satisfaction_of_the_last_30_days_matches_stats_last_30_days(world: World) -> None:
    """At 08:00 on 2 April the coordinator reads 「满意率（近 30 天）：50%」 in the daily digest, then sends /stats and
    reads 近 30 天 (3月4日–4月2日) 「满意率：100%」: the digest's 30 days are the 720 hours before 08:00 (from 3 March
    08:00), /stats's begin at local midnight of 4 March, so a 1★ ticket of 3 March 10:00 is in one and not the other
    — two different figures under the same words on the same morning."""
    member = world.member("王师傅", ["水暖"], G11, now=datetime(2025, 3, 1, tzinfo=SHANGHAI))
    _done_and_rated(world, member, datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI), 1)  # rated 1★, reopened
    _done_and_rated(world, member, datetime(2025, 3, 20, 10, 0, tzinfo=SHANGHAI), 5)
    morning = datetime(2025, 4, 2, 8, 0, tzinfo=SHANGHAI)
    with db.transaction(world.engine) as s:
        digest = reports.daily_digest(s, G11, morning)
        start, end = reports.stats_period("30d", morning, SHANGHAI)
        shown = stats.compute_stats(s, G11, start, end, morning)
    digest_text = texts.daily_digest(digest.as_dict())
    stats_line = f"满意率：{texts.percent(shown.satisfaction_rate)}"
    assert f"满意率（近 30 天）：{texts.percent(shown.satisfaction_rate)}" in digest_text, (digest_text, stats_line)


def test_a_coordinator_of_a_street_and_of_one_of_its_grids_gets_one_digest_and_one_report(world: World) -> None:
    """The street coordinator also made themself 网格员 of 幸福里第一网格 (add_coordinator allows it). /stats and
    /report show them the street only ("a street's grid is in the street's figures", members.widest_scopes), but every
    morning two 每日简报 arrive (示范街道 and 幸福里第一网格) and every Monday two weekly charts: the pushes go to each
    (coordinator, scope) pair, the grid's figures again inside the street's."""
    monday = datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COORD, G11, monday - timedelta(days=30))
    with db.transaction(world.engine) as s:
        reports.queue_due_reports(s, monday, SHANGHAI, late_after=timedelta(minutes=10))
    with db.transaction(world.engine) as s:
        kinds = [n.kind for n in s.exec(select(Notification).where(Notification.recipient_id == COORD))]
    assert sorted(kinds) == [NotificationKind.daily_digest, NotificationKind.weekly_report], kinds


def test_the_grids_digest_after_giving_up_the_street_is_not_marked_as_resent(
        world: World) -> None:
    """The street coordinator is also 网格员 of 幸福里第一网格. At 08:05 they get the street's 每日简报 (the grid's is
    no longer sent: "its figures are in the street's"). At 10:30 they hand the street over and keep their grid: the
    next queueing sends the grid's digest for today, headed 「（补发：系统恢复后发出）」 although the bot never stopped
    — the grid's digest was simply never due to them at 08:00."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COORD, G11, T0 - timedelta(days=30))
    tuesday = datetime(2025, 3, 4, 8, 5, tzinfo=SHANGHAI)
    with db.transaction(world.engine) as s:
        reports.queue_due_reports(s, tuesday, SHANGHAI, late_after=LATE_AFTER)
    assert len(_pushes(world, COORD, NotificationKind.daily_digest)) == 1  # the street's
    with db.transaction(world.engine) as s:
        members.remove_coordinator(s, COORD, COORD, STREET)
    with db.transaction(world.engine) as s:
        reports.queue_due_reports(s, tuesday + timedelta(hours=2, minutes=25), SHANGHAI, late_after=LATE_AFTER)
    digests = _pushes(world, COORD, NotificationKind.daily_digest)
    assert not any("补发" in d for d in digests), digests


def test_the_grids_weekly_report_after_giving_up_the_street_on_tuesday_is_not_marked_as_resent(
        world: World) -> None:
    """Same coordinator (street + 幸福里第一网格): Monday 09:05 the street's weekly chart arrives. On Tuesday they hand
    the street over: on Tuesday the grid's weekly report of the same week arrives, captioned 「（补发：系统恢复后发出）」
    — the bot was never down; the coordinator (and whoever they forward it to) is told a breakdown that did not
    happen."""
    with db.transaction(world.engine) as s:
        members.add_coordinator(s, COORD, COORD, G11, T0 - timedelta(days=30))
    monday = datetime(2025, 3, 3, 9, 5, tzinfo=SHANGHAI)
    with db.transaction(world.engine) as s:
        reports.queue_due_reports(s, monday, SHANGHAI, late_after=LATE_AFTER)
    assert len(_pushes(world, COORD, NotificationKind.weekly_report)) == 1
    with db.transaction(world.engine) as s:
        members.remove_coordinator(s, COORD, COORD, STREET)
    with db.transaction(world.engine) as s:
        reports.queue_due_reports(s, monday + timedelta(days=1), SHANGHAI, late_after=LATE_AFTER)
    captions = _pushes(world, COORD, NotificationKind.weekly_report)
    assert not any("补发" in c for c in captions), captions


# --- the quarter's stars ---

@SQLITE
async def test_quarter_stars_are_given_when_the_bot_was_down_on_the_quarters_first_day(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spec: each quarter members get 1–5 stars. The 评星 job runs daily at 00:30 but acts only on the 1st of
    January/April/July/October: a bot stopped over that night (an upgrade, a crash) and back on the 2nd
    never rates the quarter, and /points goes on showing the quarter before (digests and weekly reports, by
    contrast, are caught up after downtime, marked 补发)."""
    world.member("王师傅", ["水暖"])
    context = make_context(world.engine, FakeBot())
    # Down all of 1 October; the daily job runs again on 2 October, 00:30 local.
    monkeypatch.setattr(bot.app, "now", lambda: datetime(2026, 10, 1, 16, 30, tzinfo=UTC))
    await bot.app.rate_quarter(context)
    with db.transaction(world.engine) as session:
        quarters = [s.quarter for s in session.exec(select(MemberStar))]
    assert quarters == ["2026Q3"], f"stars after the restart: {quarters}"
