"""Statistics and reports (/stats, the daily digest, the weekly /report): the same 近 30 天 in both, one digest for a
coordinator of a street and of its grid, a street's grids, an empty period said so, rates not rounded to 0 %, /help.
Found by a review of statistics in the thirty-sixth session (each test failed before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import texts
from classifier import Classifier
from routing import db, dispatch, members, reports, stats, tickets
from routing.models import Notification, NotificationKind
from tests.bot.chat_harness import bot_chat
from tests.conftest import COORD, G11, G12, GRID_COORD, RESIDENT, World, minutes

SHANGHAI = ZoneInfo("Asia/Shanghai")
SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _submit(world: World, at: datetime, *, grid: str = G11, label: str | None = "repair.plumbing",
            resident: int = RESIDENT) -> int:
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
        tickets.rate_ticket(s, tid, RESIDENT, stars, at + minutes(40))
    return tid


# ── the digest's 近 30 天 is not /stats's 近 30 天 ───────────────────────────────────────────────────

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


# ── a street coordinator cannot see any grid's figures ─────────────────────────────────────────────

@SQLITE
async def test_a_street_coordinator_can_see_the_figures_of_each_grid(
    engine: Engine, world: World, tmp_path: Path, classifier: Classifier
) -> None:
    """Spec: the four rates "by grid, community, street…". The street coordinator (who sees all) sends /stats: the
    reply breaks the street down by community only, and neither /stats, /report nor the digest ever shows a grid's
    figures to them — which 网格 of 幸福里社区 is late (第一 or 第二) cannot be told from the street."""
    now_ = datetime.now(UTC) - timedelta(hours=1)
    _submit(world, now_, grid=G11)
    _submit(world, now_, grid=G12, resident=RESIDENT + 1)
    async with bot_chat(engine, tmp_path, classifier) as chat:
        (shown,) = [r.text for r in await chat.say(COORD, "/stats") if "服务效能" in r.text]
    assert "幸福里第一网格" in shown and "幸福里第二网格" in shown, shown


# ── a coordinator of the street and of one of its grids gets every push twice ──────────────────────

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


# ── no tickets: four bare dashes ──────────────────────────────────────────────────────────────────

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


# ── rates rounded before they are shown ───────────────────────────────────────────────────────────

def test_one_overdue_ticket_in_a_large_quarter_is_not_shown_as_zero() -> None:
    """A big street's 本季度: 1 ticket overdue of 25 000, and 24 999 of 25 000 rated tickets satisfied. /stats shows
    「超期率：0%」 and 「满意率：100%」 — texts.percent would print <0.1% and >99.9%, but Stats._rate has already
    rounded the rate to 4 decimals (0.00004 → 0.0, 0.99996 → 1.0), so the one breach and the one unhappy resident
    disappear from the figures."""
    figures = stats.Stats(None, total=25000, cancelled=0, open=0, responded_on_time=0, response_due=0,
                          resolved_on_time=0, resolution_due=0, rated=25000, satisfied=24999, overdue=1)
    shown = texts.stats([{"name": "示范街道", "figures": figures.as_dict()}], "本季度")
    assert "超期率：<0.1%" in shown and "满意率：>99.9%" in shown, shown


# ── /help tells a coordinator two different things about /stats ────────────────────────────────────

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
