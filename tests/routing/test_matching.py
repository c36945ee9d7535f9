"""Matching: free-text skill tags, the ranking terms, and SQL ranking = Python ranking."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import pytest
from sqlalchemy import update

from classifier.taxonomy import Taxonomy
from routing import db, dispatch, matching, tickets
from routing.matching import Candidate, Weights, match_skills, rank, score, tag_score
from routing.models import Member
from tests.conftest import C1, G11, G12, G21, G22, STREET, T0, World


@pytest.mark.parametrize(("tag", "skill"), [
    ("电工", "电工"), ("水电工", "电工"), ("水电工", "水暖"), ("水電工", "电工"),
    ("电工师傅", "电工"), ("养老户理", "养老护理"), ("律师", "法律"), ("物业管理", "物业"),
    ("心理咨询师", "心理咨询"), ("维修工", "维修"), ("老师", "教师"),
])
def test_close_variants_match(tag: str, skill: str) -> None:
    assert tag_score(tag, skill) >= matching.FUZZY_THRESHOLD


@pytest.mark.parametrize(("tag", "skill"), [
    ("电梯", "电工"), ("维修", "燃气维修"), ("维修", "家电维修"), ("医生", "护士"),
    ("教师", "教育咨询"), ("法律", "法律援助"), ("市政", "市场监管"), ("", "电工"),
    ("家电维修", "维修"), ("燃气维修", "维修"),
])
def test_unrelated_or_vaguer_tags_do_not_match(tag: str, skill: str) -> None:
    # A vaguer tag must not qualify someone for a more specific (e.g. gas) skill; nor a trade of its own for the
    # general one (维修 is a skill a member ticks beside 燃气维修 when they do general repairs too).
    assert tag_score(tag, skill) < matching.FUZZY_THRESHOLD


def test_match_skills_keeps_best_tag(taxonomy: Taxonomy) -> None:
    found = match_skills(["水电工", "电工"], taxonomy.skills)
    assert found["电工"] == (1.0, "电工")
    assert found["水暖"][1] == "水电工"
    assert "燃气维修" not in found


def _c(mid: int, **kw) -> Candidate:
    base = dict(fit=1.0, proximity=1.0, active_count=0, capacity=3, idle_s=None, pending=0)
    return Candidate(mid, **{**base, **kw})


def test_each_ranking_term_orders_candidates() -> None:
    assert [c.member_id for c in rank([_c(1, fit=0.8), _c(2)])] == [2, 1]
    assert [c.member_id for c in rank([_c(1, proximity=0.3), _c(2, proximity=0.6)])] == [2, 1]
    assert [c.member_id for c in rank([_c(1, active_count=2), _c(2, active_count=1)])] == [2, 1]
    hour, day = 3600.0, 86400.0
    assert [c.member_id for c in rank([_c(1, idle_s=hour), _c(2, idle_s=day)])] == [2, 1]
    assert [c.member_id for c in rank([_c(1, idle_s=hour), _c(2, idle_s=None)])] == [2, 1]
    assert [c.member_id for c in rank([_c(1, rating_sum=6, rating_count=3),
                                       _c(2, rating_sum=15, rating_count=3)])] == [2, 1]
    assert [c.member_id for c in rank([_c(1, pending=2), _c(2, pending=0)])] == [2, 1]
    # Ties go to the lower member id, as in SQL.
    assert [c.member_id for c in rank([_c(5), _c(3)])] == [3, 5]


def test_balance_of_terms() -> None:
    day = 86400.0
    # Equally rested: the neighbour first.
    assert score(_c(1, idle_s=2 * day)) > score(_c(2, proximity=0.6, idle_s=2 * day))
    # A neighbour who got a ticket ten minutes ago gives way to a rested member of the street.
    assert score(_c(1, idle_s=600, active_count=1)) < score(_c(2, proximity=0.3))
    # A full skill match beats a better location with a weak one.
    assert score(_c(1, fit=1.0, proximity=0.6)) > score(_c(2, fit=0.75, proximity=1.0))


# One skill: one row per member, no grouping; two skills: grouped by member (both query shapes).
@pytest.mark.parametrize("skills", [["水暖", "电工"], ["电工"]])
def test_sql_ranking_equals_python_ranking(world: World, skills: list[str]) -> None:
    rng = random.Random(7)
    grids = [G11, G12, G21, G22]
    for i in range(30):
        world.member(f"m{i}", rng.sample(["水暖", "电工", "水电工", "维修"], k=rng.randint(1, 2)),
                     rng.choice(grids), capacity=rng.randint(1, 4))
    with db.transaction(world.engine) as s:
        for m in s.exec(Member.__table__.select()).all():
            s.exec(update(Member).where(Member.id == m.id).values(
                active_count=rng.randint(0, 1),
                last_assigned_at=T0 - timedelta(hours=rng.randint(0, 100))
                if rng.random() < 0.7 else None,
                rating_sum=rng.randint(0, 20), rating_count=rng.randint(0, 4)))
    with db.transaction(world.engine) as s:
        ranked = matching.find_candidates(s, ticket_id=None, skills=skills, grid=G11,
                                          community=C1, street=STREET, now=T0, limit=100)
        members = {m.id: m for m in s.exec(Member.__table__.select()).all()}
        feats = matching.candidate_features(s, member_ids=[r.member_id for r in ranked],
                                            skills=skills, grid=G11, community=C1, now=T0)
    assert ranked, "expected candidates"
    assert all(members[r.member_id].active_count < members[r.member_id].capacity for r in ranked)
    by_id = {f.member_id: f for f in feats}
    for r in ranked:
        assert r.score == pytest.approx(score(by_id[r.member_id]), abs=1e-6)
    # Same order, up to near-ties (julianday arithmetic is exact to about a millisecond).
    py_scores = [score(by_id[r.member_id]) for r in ranked]
    assert all(a >= b - 1e-6 for a, b in itertools.pairwise(py_scores))
    assert {r.member_id for r in ranked} == {c.member_id for c in rank(feats)}


def test_custom_weights() -> None:
    w = Weights(skill=0, proximity=1, load=0, fairness=0, rating=0, pending=0)
    assert [c.member_id for c in rank([_c(1, fit=0.1), _c(2, fit=1.0, proximity=0.3)], w)] == [1, 2]


def test_a_trade_is_matched_by_what_it_works_on_not_by_its_trade_word(world: World) -> None:
    """电梯维修 (lifts) shares 维修 and 电 with 家电维修 (home appliances) but is not it: a washing machine goes to the
    appliance repairer of the next grid, not to the lift mechanic next door; 电器维修 is."""
    assert tag_score("电梯维修", "家电维修") < matching.FUZZY_THRESHOLD <= tag_score("电器维修", "家电维修")
    assert tag_score("家电修理", "家电维修") >= matching.FUZZY_THRESHOLD
    world.settings = world.settings.model_copy(update={"WAVE_SIZE": 1})
    world.member("电梯师傅", ["电梯维修"], G11)
    repairer = world.member("家电师傅", ["家电维修"], G12)
    with db.transaction(world.engine) as s:
        tid = tickets.submit_ticket(s, 1001, "洗衣机坏了不转", T0, label="repair.appliance", grid_code=G11,
                                    address="幸福里", settings=world.settings).id
    repairer_id = world.member_id(repairer)
    with db.transaction(world.engine) as s:
        assert [o.member_id for o in dispatch.pending_offers(s, tid)] == [repairer_id]
