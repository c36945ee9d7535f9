"""Points (积分) in a ledger, quarterly stars (评星) and leaderboards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from routing.config import Settings, get_settings
from routing.members import get_member
from routing.models import Member, MemberStar, NotificationKind, PointEntry, Rating, Ticket
from routing.outbox import notification_row, notify_rows
from routing.states import sync

POINTS_BY_CLASS = {"urgent": 20, "fast": 15, "normal": 10, "slow": 12}
DEFAULT_POINTS = 10
ON_TIME_BONUS = 5
RATING_BONUS = {5: 5, 4: 3}
STAR_POINTS = 60  # points in a quarter that earn the fifth star


def _add(session: Session, member: Member, ticket: Ticket | None, points: int, reason: str,
         now: datetime) -> PointEntry:
    entry = PointEntry(member_id=member.id, ticket_id=ticket.id if ticket else None, points=points,
                       reason=reason, round=ticket.reopen_count if ticket else 0, created_at=now)
    session.add(entry)
    total = session.exec(update(Member).where(Member.id == member.id)
                         .values(points=Member.points + points).returning(Member.points)
                         .execution_options(synchronize_session=False)).first()
    sync(member, points=total[0])
    return entry


def add_rating(session: Session, member: Member, stars: int, count: int = 1) -> None:
    """Count a rating in the member's totals, in SQL (two ratings at once both count, as points do); a negative one
    takes it out again (a rating the resident corrected)."""
    total, count = session.exec(update(Member).where(Member.id == member.id)
                                .values(rating_sum=Member.rating_sum + stars, rating_count=Member.rating_count + count)
                                .returning(Member.rating_sum, Member.rating_count)
                                .execution_options(synchronize_session=False)).one()
    sync(member, rating_sum=total, rating_count=count)


def award_resolution(session: Session, ticket: Ticket, member: Member, now: datetime) -> int:
    """Points for a resolution: by time class, plus a bonus when within the resolution limit."""
    base = POINTS_BY_CLASS.get(ticket.time_class, DEFAULT_POINTS)
    _add(session, member, ticket, base, "resolved", now)
    total = base
    if now <= ticket.resolve_due_at:
        _add(session, member, ticket, ON_TIME_BONUS, "on_time", now)
        total += ON_TIME_BONUS
    return total


def award_rating(session: Session, ticket: Ticket, member: Member, stars: int, now: datetime
                 ) -> int:
    """A bonus for a 4–5 star rating."""
    bonus = RATING_BONUS.get(stars, 0)
    if bonus:
        _add(session, member, ticket, bonus, "good_rating", now)
    return bonus


def take_back(session: Session, ticket: Ticket, member: Member, now: datetime) -> int:
    """Reopened work earns nothing: reverse what this round of the ticket earned."""
    earned = session.exec(select(func.coalesce(func.sum(PointEntry.points), 0)).where(
        PointEntry.ticket_id == ticket.id, PointEntry.member_id == member.id,
        PointEntry.round == ticket.reopen_count)).one()
    if earned:
        _add(session, member, ticket, -earned, "reopened", now)
    return -earned


def give_back(session: Session, ticket: Ticket, member: Member, round_: int) -> None:
    """Undo `take_back` of a round (a low rating the resident corrected at once): its entry goes, so the round counts
    as resolved work again (see compute_quarter_stars), and its points return to the member."""
    entry = session.exec(select(PointEntry).where(
        PointEntry.ticket_id == ticket.id, PointEntry.member_id == member.id, PointEntry.reason == "reopened",
        PointEntry.round == round_)).first()
    if entry is None:
        return
    session.delete(entry)
    total = session.exec(update(Member).where(Member.id == member.id).values(points=Member.points - entry.points)
                         .returning(Member.points).execution_options(synchronize_session=False)).first()
    sync(member, points=total[0])


# Quarters and stars ---------------------------------------------------------------------------

def quarter_of(moment: datetime, tz: ZoneInfo) -> str:
    """The quarter of a moment in the deployment's time zone, e.g. '2025Q3'."""
    local = moment.astimezone(tz)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def previous_quarter(moment: datetime, tz: ZoneInfo) -> str:
    """The quarter before the one of `moment`, e.g. '2025Q2' for any moment of 2025Q3."""
    start, _ = quarter_bounds(quarter_of(moment, tz), tz)
    return quarter_of(start - timedelta(microseconds=1), tz)


def quarter_rated(session: Session, quarter: str) -> bool:
    """Whether a quarter's stars were computed."""
    return session.exec(select(MemberStar.member_id).where(MemberStar.quarter == quarter).limit(1)).first() is not None


def quarter_bounds(quarter: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a quarter such as '2025Q3', as aware UTC datetimes."""
    year, q = int(quarter[:4]), int(quarter[5])
    start = datetime(year, 3 * q - 2, 1, tzinfo=tz)
    end = datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def stars_for(resolved: int, on_time: int, rated: int, rating_avg: float | None, points: int,
              reopened: int) -> int:
    """1–5 stars from a quarter's record: one each for working at all, punctuality (≥ 80 %
    on time), residents' satisfaction (average ≥ 4), and a strong, clean record (points)."""
    stars = 1
    if resolved >= 1:
        stars += 1
        if on_time / resolved >= 0.8:
            stars += 1
    if rated and rating_avg is not None and rating_avg >= 4.0:
        stars += 1
    if points >= STAR_POINTS and reopened == 0:
        stars += 1
    return stars


def compute_quarter_stars(session: Session, quarter: str, now: datetime, *,
                          settings: Settings | None = None) -> list[MemberStar]:
    """Compute (or recompute) every member's stars for a quarter, in SQL aggregates."""
    settings = settings or get_settings()
    start, end = quarter_bounds(quarter, settings.tz)
    in_period = (PointEntry.created_at >= start) & (PointEntry.created_at < end)
    # A round of work the resident reopened is neither resolved work nor on time (its points were taken back); a
    # reopening counts against the quarter it happened in, but takes nothing from that quarter's other rounds.
    reopening = aliased(PointEntry)
    reopened_round = select(reopening.id).where(  # (reopened before the quarter ended: see below)
        reopening.reason == "reopened", reopening.member_id == PointEntry.member_id,
        reopening.ticket_id == PointEntry.ticket_id, reopening.round == PointEntry.round,
        reopening.created_at < end).exists()
    ledger = {
        r.member_id: r for r in session.exec(
            select(PointEntry.member_id,
                   func.sum(PointEntry.points).label("points"),
                   func.count().filter(PointEntry.reason == "resolved", ~reopened_round).label("resolved"),
                   func.count().filter(PointEntry.reason == "on_time", ~reopened_round).label("on_time"),
                   func.count().filter(PointEntry.reason == "reopened").label("reopened"))
            .where(in_period).group_by(PointEntry.member_id))
    }
    ratings = {
        r.member_id: r for r in session.exec(
            select(Rating.member_id, func.count().label("rated"),
                   func.avg(Rating.stars).label("avg"))
            .where(Rating.created_at >= start, Rating.created_at < end,
                   Rating.member_id.is_not(None))
            .group_by(Rating.member_id))
    }
    result = []
    # (a member who joined after the quarter ended, or was removed before it began, has no record of it to rate)
    serving = and_(Member.joined_at < end, or_(Member.left_at.is_(None), Member.left_at >= start))
    for member_id in session.exec(select(Member.id).where(serving).order_by(Member.id)):
        led, rat = ledger.get(member_id), ratings.get(member_id)
        reopened = led.reopened if led else 0
        values = dict(points=int(led.points) if led else 0, resolved=led.resolved if led else 0,
                      on_time=led.on_time if led else 0, rated=rat.rated if rat else 0,
                      rating_avg=round(float(rat.avg), 2) if rat else None, reopened=reopened)
        stars = stars_for(values["resolved"], min(values["on_time"], values["resolved"]),
                          values["rated"], values["rating_avg"], values["points"], reopened)
        row = session.get(MemberStar, (member_id, quarter))
        if row is None:
            row = MemberStar(member_id=member_id, quarter=quarter, stars=stars, computed_at=now,
                             **values)
            session.add(row)
        else:
            row.stars, row.computed_at = stars, now
            for key, value in values.items():
                setattr(row, key, value)
        result.append(row)
    session.flush()
    return result


def tell_quarter_stars(session: Session, quarter: str, now: datetime) -> int:
    """评星 told: each member still serving gets their stars for `quarter` and the record behind them (in the
    transaction that rated it, so a quarter is told once). Returns how many were told."""
    rows = session.exec(select(MemberStar, Member.telegram_id).join(Member, Member.id == MemberStar.member_id)
                        .where(MemberStar.quarter == quarter, Member.left_at.is_(None)).order_by(Member.id)).all()
    notify_rows(session, [notification_row(
        telegram_id, NotificationKind.quarter_stars, now, None,
        {"quarter": quarter, "stars": star.stars, "points": star.points, "resolved": star.resolved,
         "on_time": star.on_time, "rated": star.rated, "rating_avg": star.rating_avg, "reopened": star.reopened})
        for star, telegram_id in rows], ids=False)
    return len(rows)


# Leaderboards ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    member_id: int
    display_name: str
    points: int


def leaderboard(session: Session, scope: str, *, since: datetime | None = None,
                until: datetime | None = None, limit: int = 10) -> list[Standing]:
    """Members under a scope node by points (in [since, until) if given, else all-time)."""
    in_scope = and_(or_(Member.grid_code == scope, Member.community_code == scope, Member.street_code == scope),
                    Member.left_at.is_(None))
    if since is None and until is None:
        query = select(Member.id, Member.display_name, Member.points.label("pts")).where(in_scope)
        order = Member.points
    else:
        pts = func.coalesce(func.sum(PointEntry.points), 0)
        cond = PointEntry.member_id == Member.id
        if since is not None:
            cond &= PointEntry.created_at >= since
        if until is not None:
            cond &= PointEntry.created_at < until
        query = (select(Member.id, Member.display_name, pts.label("pts"))
                 .outerjoin(PointEntry, cond).where(in_scope).group_by(Member.id))
        order = pts
    rows = session.exec(query.order_by(order.desc(), Member.id).limit(limit)).all()
    return [Standing(i, r.id, r.display_name, int(r.pts)) for i, r in enumerate(rows, start=1)]


@dataclass(frozen=True, slots=True)
class MemberSummary:
    points: int
    rank_in_grid: int
    members_in_grid: int
    stars: int | None
    stars_quarter: str | None
    resolved: int
    open_tickets: int


def member_summary(session: Session, telegram_id: int) -> MemberSummary:
    """For /points: points, rank in the member's grid, latest stars, work done."""
    member = get_member(session, telegram_id)
    serving = and_(Member.grid_code == member.grid_code, Member.left_at.is_(None))
    better = session.exec(select(func.count()).select_from(Member).where(serving, Member.points > member.points)).one()
    in_grid = session.exec(select(func.count()).select_from(Member).where(serving)).one()
    star = session.exec(select(MemberStar).where(MemberStar.member_id == member.id)
                        .order_by(MemberStar.quarter.desc())).first()
    resolved = session.exec(select(func.count()).select_from(PointEntry).where(
        PointEntry.member_id == member.id, PointEntry.reason == "resolved")).one()
    reopened = session.exec(select(func.count()).select_from(PointEntry).where(
        PointEntry.member_id == member.id, PointEntry.reason == "reopened")).one()
    return MemberSummary(points=member.points, rank_in_grid=better + 1, members_in_grid=in_grid,
                         stars=star.stars if star else None,
                         stars_quarter=star.quarter if star else None,
                         resolved=resolved - reopened, open_tickets=member.active_count)
