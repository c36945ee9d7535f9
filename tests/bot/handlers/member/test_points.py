"""积分 / 评星 as members read them: the quarter's stars told in the morning after it is rated, and /points."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

import bot.app
import bot.delivery
from bot import texts
from bot.config import BotSettings
from routing import db
from routing.models import Member, Notification
from tests.bot.test_delivery import FakeBot, make_context

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

QUARTER_RATED = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)  # 1 October, 00:30 in Shanghai: the 评星 job
MORNING = datetime(2026, 9, 30, 23, 1, tzinfo=UTC)  # 07:01 in Shanghai, the quiet hours over


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(bot.app, "now", lambda: moment)
    monkeypatch.setattr(bot.delivery, "now", lambda: moment)


@BOTH
async def test_each_member_is_told_the_quarters_stars_in_the_morning(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """product.md: each quarter members get 1–5 stars. The 评星 job rated the quarter at 00:30 and told nobody: a
    member learnt of their stars only by sending /points, and there read 「（2026Q3）」. Now each member still serving
    is told, once, after the quiet hours, with the record behind the stars; a member removed is not."""
    plumber = world.member("王师傅", ["水暖"])
    gone = world.member("李阿姨", ["保洁"])
    with db.transaction(world.engine) as session:
        session.exec(select(Member).where(Member.telegram_id == gone)).one().left_at = datetime(2026, 9, 1, tzinfo=UTC)
    fake = FakeBot()
    context = make_context(world.engine, fake)
    deps = context.bot_data["deps"]
    context.bot_data["deps"] = dataclasses.replace(
        deps, settings=BotSettings(_env_file=None, QUIET_HOURS="22:00-07:00"))

    _at(monkeypatch, QUARTER_RATED)
    await bot.app.rate_quarter(context)
    assert fake.sent == [], "the stars were sent at 00:30"

    _at(monkeypatch, MORNING)
    await bot.delivery.deliver_outbox(context)
    told = [(m["chat_id"], m["text"]) for m in fake.sent]
    assert [chat for chat, _ in told] == [plumber], told
    text = told[0][1]
    assert "2026 年第三季度评星" in text and "⭐（1 星）" in text, text
    assert "办结 0 件" in text and texts.STAR_RULE in text, text

    _at(monkeypatch, datetime(2026, 10, 1, 16, 30, tzinfo=UTC))  # the job's next night: the quarter is rated
    await bot.app.rate_quarter(context)
    assert len(fake.sent) == 1, fake.sent
    with db.transaction(world.engine) as session:
        kinds = [n.kind for n in session.exec(select(Notification))]
    assert kinds == ["quarter_stars"], kinds


def test_the_stars_told_name_the_record_and_the_rule_only_when_short_of_five() -> None:
    """Five stars need no rule; a reopened ticket is named apart from the work that counted."""
    record = {"quarter": "2026Q4", "stars": 5, "points": 75, "resolved": 6, "on_time": 6, "rated": 4,
              "rating_avg": 4.75, "reopened": 0}
    five = texts.quarter_stars(record)
    assert "2026 年第四季度评星" in five and "⭐⭐⭐⭐⭐（5 星）" in five, five
    assert "平均 4.8 星" in five and "季度积分 75" in five and texts.STAR_RULE not in five, five
    three = texts.quarter_stars({**record, "stars": 3, "reopened": 1, "rated": 0, "rating_avg": None})
    assert "另有 1 件因差评重新办理" in three and "还没有收到评价" in three and texts.STAR_RULE in three, three


@pytest.mark.parametrize(("stars", "quarter", "shown"), [
    (4, "2026Q3", "星级：⭐⭐⭐⭐（2026 年第三季度）"),
    (None, None, "星级：尚未评星（每季度结束后评定）"),
], ids=["rated", "not_yet_rated"])
def test_points_names_the_quarter_of_the_stars_as_people_say_it(stars: int | None, quarter: str | None,
                                                                 shown: str) -> None:
    """/points showed 「⭐⭐⭐⭐（2026Q3）」, and before any rating 「本季度尚未评星」 although a quarter is rated
    only after it ends."""
    summary = {"name": "王师傅", "points": 30, "stars": stars, "stars_quarter": quarter, "rank_in_grid": 1,
               "members_in_grid": 3, "resolved": 2, "open_tickets": 0}
    assert shown in texts.points(summary)


@pytest.mark.parametrize(("points", "shown"), [(0, "网格排名：—（有了积分才排名）"), (30, "网格排名：第 1 名（共 3 人）")])
def test_a_new_member_with_no_points_is_not_told_he_ranks_first(points: int, shown: str) -> None:
    """/points of a member who has done nothing yet read 「第 1 名」 (every member tied at 0; a console review)."""
    summary = {"name": "王师傅", "points": points, "stars": None, "stars_quarter": None, "rank_in_grid": 1,
               "members_in_grid": 3, "resolved": 0, "open_tickets": 0}
    assert shown in texts.points(summary)
