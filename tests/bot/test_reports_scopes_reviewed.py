"""Review of the statistics fixes (4f23440): digests and reports sent for a coordinator's widest scopes only, the
grids of a street in /stats.

Found by a review of the thirty-sixth session's fixes (each test failed before)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import texts
from bot.delivery import render
from routing import db, members, reports, stats
from routing.models import Notification, NotificationKind
from tests.conftest import COORD, G11, STREET, T0, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
LATE_AFTER = timedelta(minutes=10)


def _pushes(world: World, person: int, kind: NotificationKind) -> list[str]:
    with db.transaction(world.engine) as s:
        notes = list(s.exec(select(Notification).where(Notification.recipient_id == person, Notification.kind == kind)
                            .order_by(Notification.id)))
    return [texts.report_caption(n.payload) if kind == NotificationKind.weekly_report
            else render(n.kind, n.payload, SHANGHAI)[0] for n in notes]


def test_a_coordinator_who_gives_up_the_street_gets_their_grids_digest_marked_as_sent_after_a_breakdown(
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


def test_a_coordinator_who_gives_up_the_street_on_tuesday_gets_the_grids_weekly_report_marked_late(
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
