"""Background jobs: the quarterly 评星 runs on the first day of a quarter only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

import bot.app
from routing import db
from routing.models import MemberStar
from tests.bot.test_delivery import FakeBot, make_context


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_quarter_stars_on_the_first_day_of_a_quarter(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.member("王师傅", ["水暖"])
    context = make_context(world.engine, FakeBot())
    monkeypatch.setattr(
        bot.app, "now", lambda: datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    )  # Oct 1, 00:30 local
    await bot.app.rate_quarter(context)
    with db.transaction(world.engine) as session:
        assert [s.quarter for s in session.exec(select(MemberStar))] == ["2026Q3"]
    monkeypatch.setattr(bot.app, "now", lambda: datetime(2026, 10, 14, 16, 30, tzinfo=UTC))
    await bot.app.rate_quarter(context)  # not a quarter's first day: nothing new
    with db.transaction(world.engine) as session:
        assert len(session.exec(select(MemberStar)).all()) == 1
