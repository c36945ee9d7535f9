"""People, coordinators and their scopes, member invites, registration and duty."""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from routing.config import Settings, get_settings, get_taxonomy
from routing.db import core
from routing.errors import InvalidInput, NotAllowed, NotFound
from routing.geography import ancestry, area_choices, get_grid, get_node
from routing.matching import match_skills, normalize_tag
from routing.models import Coordinator, GeoLevel, GeoNode, Invite, Member, MemberSkill, Person
from routing.states import sync

INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or retyped
INVITE_LENGTH = 8
MAX_TAGS = 12
MAX_NAME = 20  # (what the bot asks for: 1–20 个字)


# People ---------------------------------------------------------------------------------------

def ensure_person(session: Session, telegram_id: int, now: datetime, *, name: str | None = None
                  ) -> Person:
    """The person for a Telegram user, created on first contact; writing to us clears 'blocked'."""
    person = session.get(Person, telegram_id)
    if person is None:
        person = Person(telegram_id=telegram_id, name=(name or "")[:200], created_at=now)
        session.add(person)
        session.flush()
        return person
    if name and person.name != name[:200]:
        person.name = name[:200]
    if person.unreachable_at is not None:
        person.unreachable_at = None
    return person


def back_in_touch(session: Session, telegram_id: int) -> bool:
    """Someone marked unreachable wrote, pressed or unblocked the bot: cards reach them again. A read when they
    were never marked (every update calls it). Whether they were."""
    person = session.get(Person, telegram_id)
    if person is None or person.unreachable_at is None:
        return False
    person.unreachable_at = None
    return True


@lru_cache(maxsize=4)
def touch_statement(dialect: str, with_name: bool) -> Any:
    """ensure_person as one upsert (bound parameters: `touch_values`); also a CTE of the
    PostgreSQL submit statement."""
    table = Person.__table__
    insert = (sqlite_insert if dialect == "sqlite" else pg_insert)(table).values(
        {**{name: bindparam(name, type_=table.c[name].type)
            for name in ("telegram_id", "name", "created_at")},
         "grid_code": None, "unreachable_at": None})
    person = table.c
    changes: dict[str, Any] = {"unreachable_at": None}
    changed = person.unreachable_at.is_not(None)
    if with_name:
        changes["name"] = insert.excluded.name
        changed = or_(changed, person.name != insert.excluded.name)
    # Only a row that changes is rewritten: the usual known person costs no new row version.
    return insert.on_conflict_do_update(index_elements=["telegram_id"], set_=changes,
                                        where=changed)


def touch_values(telegram_id: int, now: datetime, name: str | None) -> dict[str, Any]:
    """The parameters of `touch_statement`."""
    return {"telegram_id": telegram_id, "name": (name or "")[:200], "created_at": now}


def touch_person(session: Session, telegram_id: int, now: datetime, *,
                 name: str | None = None) -> None:
    """ensure_person in one statement (an upsert), for hot paths such as submitting a ticket."""
    statement = touch_statement(session.get_bind().dialect.name, bool(name))
    core(session, statement, touch_values(telegram_id, now, name))


def home_grid(session: Session, person: Person) -> str | None:
    """The resident's grid, or None when they chose none or it left the geography file. The column is kept: a grid
    that comes back (a wrong file synced once, then put right) is their area again without asking."""
    if person.grid_code is None:
        return None
    try:
        return person.grid_code if get_node(session, person.grid_code).active else None
    except NotFound:
        return None


def set_home_grid(session: Session, telegram_id: int, grid_code: str, now: datetime) -> Person:
    """Remember a resident's community/grid (chosen once at /start)."""
    get_grid(session, grid_code)
    person = ensure_person(session, telegram_id, now)
    person.grid_code = grid_code
    return person


def roles(session: Session, telegram_id: int) -> dict[str, object]:
    """What this user is: {'member': Member | None, 'coordinator_scopes': [codes]}."""
    scopes = list(session.exec(select(Coordinator.scope_code)
                               .where(Coordinator.telegram_id == telegram_id)))
    return {"member": find_member(session, telegram_id), "coordinator_scopes": scopes}


# Coordinators ---------------------------------------------------------------------------------

def coordinator_scopes(session: Session, telegram_id: int) -> list[str]:
    """The scope codes of a coordinator (empty if not a coordinator), in code order."""
    return list(session.exec(select(Coordinator.scope_code)
                             .where(Coordinator.telegram_id == telegram_id)
                             .order_by(Coordinator.scope_code)))


def widest_scopes(session: Session, telegram_id: int) -> list[str]:
    """A coordinator's scopes less those inside another of them (a street's grid is in the street's figures)."""
    scopes = coordinator_scopes(session, telegram_id)
    return [scope for scope in scopes
            if not covers(session, [other for other in scopes if other != scope], scope)]


def is_coordinator(session: Session, telegram_id: int) -> bool:
    """Whether the user coordinates anything."""
    return bool(coordinator_scopes(session, telegram_id))


def any_coordinator(session: Session) -> bool:
    """Whether anyone at all is a coordinator (without one, no alert, 派单 card or invite has anyone to come from)."""
    return session.exec(select(Coordinator.id).limit(1)).first() is not None


def top_coordinators(session: Session) -> list[int]:
    """The coordinators of the top of the geography (the streets; everyone, where no street has one): those who hear of
    an emergency from someone who has not chosen their grid yet."""
    rows = session.exec(select(Coordinator.telegram_id, GeoNode.parent_code)
                        .join(GeoNode, GeoNode.code == Coordinator.scope_code)
                        .order_by(Coordinator.telegram_id)).all()
    top = [telegram_id for telegram_id, parent in rows if parent is None]
    return list(dict.fromkeys(top or [telegram_id for telegram_id, _ in rows]))


def covers(session: Session, scopes: Iterable[str], node_code: str) -> bool:
    """Whether any of `scopes` is the node or one of its ancestors."""
    return bool(set(scopes) & set(ancestry(get_node(session, node_code))))


def home_grid_choices(session: Session, code: str, parent: str | None = None) -> list[tuple[str, str]]:
    """Where a member invited with `code` chooses their home grid, under `parent` (None: the top), as (code, name):
    within what who invited them coordinates (a 网格员's invite is for their grid), anywhere if they coordinate
    nothing now."""
    invite = find_invite(session, code)
    scopes = widest_scopes(session, invite.created_by) if invite is not None else []
    if parent is not None or not scopes:
        return area_choices(session, parent)
    top = area_choices(session)
    if all(covers(session, scopes, node) for node, _ in top):
        return top
    if len(scopes) == 1 and get_node(session, scopes[0]).level != GeoLevel.grid:
        return area_choices(session, scopes[0])
    return [(scope, get_node(session, scope).name) for scope in scopes]


def require_coordinator(session: Session, telegram_id: int, node_code: str | None = None
                        ) -> list[str]:
    """The coordinator's scopes; NotAllowed if not a coordinator (of `node_code`, if given)."""
    scopes = coordinator_scopes(session, telegram_id)
    if not scopes:
        raise NotAllowed("只有协调员（网格员/社区/街道）可以这样做")
    if node_code is not None and not covers(session, scopes, node_code):
        raise NotAllowed(f"{get_node(session, node_code).name} 不在您的管辖范围内")
    return scopes


def _default_street(session: Session) -> str:
    streets = list(session.exec(select(GeoNode.code).where(
        GeoNode.level == GeoLevel.street, GeoNode.active).order_by(GeoNode.position)))
    if len(streets) != 1:
        raise InvalidInput("geography has several streets: give the coordinators' scope")
    return streets[0]


def configured_scope(session: Session, scope: str | None) -> str:
    """The configured coordinators' scope (default: the only street), which must be in the geography file."""
    scope = scope or _default_street(session)
    node = get_node(session, scope)
    if not node.active:  # (gone from the file: no grids to place anyone in)
        raise InvalidInput(f"区域 {node.name}（{scope}）已停用：它不在当前的地理文件（GEOGRAPHY_FILE）中")
    return scope


def ensure_coordinators(session: Session, telegram_ids: Iterable[int], now: datetime, *,
                        scope: str | None = None, exclusive: bool = False) -> list[Coordinator]:
    """Make the configured users coordinators of `scope` (default: the only street); idempotent. `exclusive`
    (COORDINATOR_IDS at start): the other configured coordinators lose the role; those a coordinator added keep it."""
    scope = configured_scope(session, scope)
    result = []
    for telegram_id in dict.fromkeys(telegram_ids):
        ensure_person(session, telegram_id, now)
        row = session.exec(select(Coordinator).where(
            Coordinator.telegram_id == telegram_id, Coordinator.scope_code == scope)).first()
        if row is None:
            row = Coordinator(telegram_id=telegram_id, scope_code=scope, created_at=now)
            session.add(row)
        result.append(row)
    session.flush()
    if exclusive:  # (an id corrected, a 网格员 who left, a scope changed: cards with personal data stop reaching them)
        session.exec(delete(Coordinator).where(Coordinator.added_by.is_(None),
                                               Coordinator.id.not_in([row.id for row in result])))
    return result


def add_coordinator(session: Session, by_telegram_id: int, telegram_id: int, scope: str,
                    now: datetime) -> Coordinator:
    """A coordinator makes someone a coordinator of a node within their own scope."""
    require_coordinator(session, by_telegram_id, scope)
    node = get_node(session, scope)
    if not node.active:
        raise InvalidInput(f"{node.name} 已停用")
    ensure_person(session, telegram_id, now)
    row = session.exec(select(Coordinator).where(
        Coordinator.telegram_id == telegram_id, Coordinator.scope_code == scope)).first()
    if row is None:
        row = Coordinator(telegram_id=telegram_id, scope_code=scope, added_by=by_telegram_id,
                          created_at=now)
        session.add(row)
        session.flush()
    return row


def remove_coordinator(session: Session, by_telegram_id: int, telegram_id: int, scope: str) -> None:
    """Remove a coordinator scope (by a coordinator over that scope)."""
    require_coordinator(session, by_telegram_id, scope)
    drop_coordinator(session, telegram_id, scope)


def drop_coordinator(session: Session, telegram_id: int, scope: str | None = None) -> int:
    """Take a user's coordinator role away, of one scope or of all (`jiedan coordinator remove`); rows removed."""
    query = delete(Coordinator).where(Coordinator.telegram_id == telegram_id)
    if scope is not None:
        query = query.where(Coordinator.scope_code == scope)
    return session.exec(query).rowcount


def coordinators_for(session: Session, grid_code: str, *, level: int = 0,
                     all_levels: bool = False) -> list[int]:
    """Telegram ids of the coordinators for a grid at escalation `level` (0 grid, 1 community,
    2 street), falling back upwards when a level has nobody; `all_levels`: everyone above."""
    path, by_scope, away = _coordinators_on_path(session, grid_code)
    if all_levels:
        everyone = list(dict.fromkeys(t for code in path for t in sorted(by_scope.get(code, []))))
        return [t for t in everyone if t not in away] or everyone
    return coordinators_at_level(path, level, by_scope, away)


def answering_scope(session: Session, grid_code: str, level: int) -> str | None:
    """The node (code) whose coordinators coordinators_for tells at `level`: a level with nobody passes it on."""
    path, by_scope, away = _coordinators_on_path(session, grid_code)
    return _answering(path, level, by_scope, away)[0]


def _coordinators_on_path(session: Session, grid_code: str) -> tuple[list[str], dict[str, list[int]], frozenset[int]]:
    """A grid's path (grid, community, street), the coordinators of each of its nodes, and those unreachable."""
    path = ancestry(get_node(session, grid_code))
    rows = session.exec(select(Coordinator.telegram_id, Coordinator.scope_code, Person.unreachable_at)
                        .join(Person, Person.telegram_id == Coordinator.telegram_id, isouter=True)
                        .where(Coordinator.scope_code.in_(path))).all()
    by_scope: dict[str, list[int]] = {}
    for telegram_id, scope, _ in rows:
        by_scope.setdefault(scope, []).append(telegram_id)
    return path, by_scope, frozenset(telegram_id for telegram_id, _, gone in rows if gone is not None)


def coordinators_at_level(path: list[str], level: int, by_scope: dict[str, list[int]],
                          away: frozenset[int] = frozenset()) -> list[int]:
    """The coordinators of the first node of `path` (grid, community, street) from `level` upwards
    that has any: a level with nobody falls back to the one above; with nobody above either, to the nearest level
    below (a red card to the street where only grids have coordinators still reaches someone who can act). Those
    `away` (they blocked the bot, or never opened it: Person.unreachable_at) count as nobody while anyone else can
    be told."""
    return _answering(path, level, by_scope, away)[1]


def _answering(path: list[str], level: int, by_scope: dict[str, list[int]],
               away: frozenset[int]) -> tuple[str | None, list[int]]:
    """The node that answers at `level` (see coordinators_at_level) and its coordinators told."""
    start = min(level, len(path) - 1)
    for skipped in (away, frozenset()):
        for code in [*path[start:], *reversed(path[:start])]:
            if reachable := [t for t in by_scope.get(code, []) if t not in skipped]:
                return code, sorted(reachable)
    return None, []


# Invites and registration ---------------------------------------------------------------------

def create_invite(session: Session, coordinator_id: int, now: datetime, *,
                  settings: Settings | None = None, scope: str | None = None) -> Invite:
    """A one-time invite code for a new member, or with `scope` (a node within the coordinator's own) for a new
    coordinator of it (valid INVITE_TTL_DAYS, scaled)."""
    settings = settings or get_settings()
    require_coordinator(session, coordinator_id, scope)
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if session.get(Invite, code) is None:
            break
    invite = Invite(code=code, created_by=coordinator_id, created_at=now,
                    expires_at=now + settings.invite_ttl, scope_code=scope)
    session.add(invite)
    session.flush()
    return invite


def find_invite(session: Session, code: str) -> Invite | None:
    """The invite for a code as typed, used or not, or None."""
    return session.get(Invite, normalize_code(code))


def check_invite(session: Session, code: str, now: datetime) -> Invite:
    """The invite for a code if it can still be used, else a clear error."""
    invite = find_invite(session, code)
    if invite is None:
        raise NotFound("邀请码不存在，请向协调员确认")
    if invite.used_at is not None:
        raise NotAllowed("邀请码已被使用")
    if invite.expires_at <= now:
        raise NotAllowed("邀请码已过期，请向协调员重新申请")
    if not coordinator_scopes(session, invite.created_by):  # (who made it coordinates nothing now: nowhere to join)
        raise NotAllowed("邀请码已失效，请向协调员重新申请")
    return invite


def join_as_coordinator(session: Session, telegram_id: int, code: str, now: datetime) -> Coordinator:
    """A coordinator's invite used: the person becomes a coordinator of its scope (added by who invited them, who
    must still coordinate it)."""
    used = find_invite(session, code)
    if (used is not None and used.scope_code is not None
            and covers(session, coordinator_scopes(session, telegram_id), used.scope_code)):
        # (their own code sent again, used or not: not 「已被使用」, as if someone had taken it)
        raise NotAllowed("您已经是这里的协调员了；邀请码请留给要邀请的人")  # (not used up)
    invite = check_invite(session, code, now)
    if invite.scope_code is None:
        raise InvalidInput("这是党员邀请码，请按提示注册为党员")
    if not covers(session, coordinator_scopes(session, invite.created_by), invite.scope_code):
        raise NotAllowed("邀请码已失效，请向协调员重新申请")  # (who invited no longer coordinates it)
    _claim(session, invite, telegram_id, now)
    return add_coordinator(session, invite.created_by, telegram_id, invite.scope_code, now)


def _claim(session: Session, invite: Invite, telegram_id: int, now: datetime) -> None:
    """Use an invite, by a conditional UPDATE: two people sending the same code at once (two processes) cannot
    both pass the check and both join with it."""
    claimed = session.exec(update(Invite).where(Invite.code == invite.code, Invite.used_at.is_(None))
                           .values(used_at=now, used_by=telegram_id))
    if claimed.rowcount != 1:
        raise NotAllowed("邀请码已被使用")
    sync(invite, used_at=now, used_by=telegram_id)


def normalize_code(code: str) -> str:
    """Invite codes are case-, space- and width-insensitive, and what a Chinese keyboard adds (ＡＢＣＤ２３４５, a 。 at
    the end) is not part of them: only letters and digits count."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", code).upper() if ch.isascii() and ch.isalnum())


_BLANK_LOOKING = frozenset("\u3164\u2800\u115f\u1160\uffa0")  # (letters that show as nothing: Hangul fillers, a blank braille cell)


_JOINER = "\u200d"  # (joins emoji into one: 👨‍🔧, 👨‍👩‍👧)


def visible_text(text: str) -> str:
    """Text without invisible or direction characters (zero-width spaces a chat app pastes; U+202E, which turns
    the rest of a line around — a phone number after an address so told reads backwards); line breaks kept, and
    the joiner between two characters of an emoji (characters newer than this Python's Unicode are kept: 🩷)."""
    kept = []
    for i, ch in enumerate(text):
        if ch == _JOINER:
            if 0 < i < len(text) - 1 and _in_emoji(text[i - 1]) and _in_emoji(text[i + 1]):
                kept.append(ch)
        elif ch in "\n\t" or _shows(ch):
            kept.append(ch)
    return "".join(kept)


def _in_emoji(ch: str) -> bool:
    """A character an emoji sequence joins (👨‍🔧; 🏳️‍🌈 has a variation selector, 👩🏽‍💻 a skin tone), not a digit or a
    letter: 139‍1234‍5678 is a phone number, its joiners taken out."""
    return unicodedata.category(ch) in ("So", "Sk", "Mn", "Cn") or ord(ch) >= 0x1F000


def _shows(ch: str) -> bool:
    return unicodedata.category(ch) not in ("Cf", "Cc", "Co", "Zl", "Zp") and ch not in _BLANK_LOOKING


def clean_name(display_name: str) -> str:
    """A member's name as shown to others: without invisible or direction characters (a name of zero-width
    spaces shows as nothing), spaces collapsed; InvalidInput when empty or too long."""
    name = " ".join(visible_text(display_name).split())
    if not any(unicodedata.category(ch)[0] in "LNS" for ch in name):  # (a name of dots or dashes is none either)
        raise InvalidInput("请填写称呼")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"称呼太长（最多 {MAX_NAME} 个字）")
    return name


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t for t in (normalize_tag(t) for t in tags) if t))
    if not cleaned:
        raise InvalidInput("请至少选择或填写一项技能")
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"技能最多 {MAX_TAGS} 项")
    if any(len(t) > 50 for t in cleaned):
        raise InvalidInput("单项技能太长（最多 50 个字）")
    return cleaned


def _set_skills(session: Session, member: Member, tags: list[str]) -> None:
    taxonomy = get_taxonomy()
    skills = match_skills(tags, taxonomy.skills, {item.name: item.skills for item in taxonomy.items.values()})
    session.exec(delete(MemberSkill).where(MemberSkill.member_id == member.id))
    for skill, (score, tag) in skills.items():
        session.add(MemberSkill(member_id=member.id, skill=skill, street_code=member.street_code,
                                score=score, tag=tag))


def register_member(session: Session, telegram_id: int, code: str, display_name: str,
                    skill_tags: Sequence[str], grid_code: str, now: datetime, *,
                    settings: Settings | None = None) -> Member:
    """Register a member with an invite code; they are on duty at once. A member once removed joins again as the
    same member (their points and history stay theirs)."""
    settings = settings or get_settings()
    invite = check_invite(session, code, now)
    name = clean_name(display_name)
    tags = _clean_tags(skill_tags)
    grid = get_grid(session, grid_code)
    inviters_scopes = widest_scopes(session, invite.created_by)
    if inviters_scopes and not covers(session, inviters_scopes, grid.code):
        raise NotAllowed("这个邀请码只能在邀请您的协调员负责的网格登记")
    person = ensure_person(session, telegram_id, now, name=name)
    person.grid_code = home_grid(session, person) or grid.code  # (their area as a resident too: not asked again)
    member = session.exec(select(Member).where(Member.telegram_id == telegram_id)).first()
    if member is not None and member.left_at is None:
        raise NotAllowed("您已经是注册成员了")
    profile = dict(display_name=name, skill_tags=tags, grid_code=grid.code,
                   community_code=grid.community_code or grid.code, street_code=grid.street_code, on_duty=True,
                   capacity=settings.MEMBER_CAPACITY, joined_at=now, invite_code=invite.code, left_at=None)
    if member is None:
        member = Member(telegram_id=telegram_id, **profile)
    else:
        for key, value in profile.items():
            setattr(member, key, value)
    if invite.scope_code is not None:
        raise InvalidInput("这是协调员邀请码，不能用来注册党员")
    _claim(session, invite, telegram_id, now)
    session.add(member)
    session.flush()
    _set_skills(session, member, tags)
    session.flush()
    return member


def update_member(session: Session, telegram_id: int, *, display_name: str | None = None,
                  skill_tags: Sequence[str] | None = None, grid_code: str | None = None,
                  capacity: int | None = None) -> Member:
    """Change a member's own profile."""
    member = get_member(session, telegram_id)
    if display_name is not None:
        member.display_name = clean_name(display_name)
    if skill_tags is not None:
        member.skill_tags = _clean_tags(skill_tags)
        _set_skills(session, member, member.skill_tags)
    if grid_code is not None:
        grid = get_grid(session, grid_code)
        member.grid_code, member.street_code = grid.code, grid.street_code
        member.community_code = grid.community_code or grid.code
        session.exec(update(MemberSkill).where(MemberSkill.member_id == member.id)
                     .values(street_code=grid.street_code))
    if capacity is not None:
        if not 1 <= capacity <= 20:
            raise InvalidInput("同时办理的工单数应在 1–20 之间")
        member.capacity = capacity
    session.flush()
    return member


def get_member(session: Session, telegram_id: int) -> Member:
    """The member profile of a Telegram user, or NotFound (also for a member removed: see Member.left_at)."""
    member = find_member(session, telegram_id)
    if member is None:
        raise NotFound("您还不是注册成员，请用邀请码 /join 加入")
    return member


def find_member(session: Session, telegram_id: int) -> Member | None:
    """The member profile of a Telegram user, or None (also for a member removed)."""
    return session.exec(select(Member).where(Member.telegram_id == telegram_id, Member.left_at.is_(None))).first()


def set_duty(session: Session, telegram_id: int, on_duty: bool | None = None) -> Member:
    """Put a member on or off duty (None toggles); their pending offers are left as they are (see dispatch.go_off_duty)."""
    member = get_member(session, telegram_id)
    member.on_duty = (not member.on_duty) if on_duty is None else on_duty
    return member


def member_skills(session: Session, member_id: int) -> list[MemberSkill]:
    """The taxonomy skills a member covers, best match first."""
    return list(session.exec(select(MemberSkill).where(MemberSkill.member_id == member_id)
                             .order_by(MemberSkill.score.desc(), MemberSkill.skill)))


def members_in_scope(session: Session, scope: str, *, on_duty: bool | None = None) -> list[Member]:
    """Members whose home grid is under a scope node."""
    query = select(Member).where(or_(Member.grid_code == scope, Member.community_code == scope,
                                     Member.street_code == scope), Member.left_at.is_(None))
    if on_duty is not None:
        query = query.where(Member.on_duty == on_duty)
    return list(session.exec(query.order_by(Member.display_name, Member.id)))
