"""Duplicate and near-duplicate requests (issue #6).

- The same resident writing the same need again while their ticket is open, not yet done (within
  DUPLICATE_WINDOW_HOURS) is shown that ticket instead of silently getting a second one
  (`find_own_duplicate`; the bot offers 查看原工单 / 仍要新建).
- Neighbours' near-identical requests about a shared place (same grid, same item, within
  LINK_WINDOW_HOURS) are linked: the new ticket points at the group's first open ticket, both logs
  say so, and the member who holds or is offered one of them sees the others' numbers
  (`link_near_duplicate`, `linked_numbers`). Each ticket is still routed and closed on its own.

The matching rule (`same_request`), kept simple on purpose:
1. the item must be the same (the callers' queries filter by label);
2. the words are reduced to what tells two requests apart (`request_core`): normalized as for the
   classifier, Chinese numerals before 号楼/栋/单元… as digits (三号楼 = 3号楼), punctuation and
   filler words (了, 的, 麻烦, 快点…) dropped, common ways of saying "broken", "missing", "blocked"
   and "not cleared" made one word (不亮/故障/坏了 → 坏);
3. when both name a building (3号楼, 5栋: one building however it is said) they must name one in common, and the
   same for compounds (3号院), units (2单元, 2门) and towers (A座): 3号楼 and 7号楼 are two street lamps, 3号楼2单元 and
   5号楼2单元 two lifts, whatever else is said; the places are those of the words, with those of the address (told at
   the address step) where the problem is in the reporter's building: a unit named alone (2单元电梯坏了 from 3号楼
   and from 7号楼 are two lifts), or a lift (BUILDING_ITEMS); garbage at the gate from 3号楼 and 7号楼 is one problem;
4. rapidfuzz `token_set_ratio` over the two texts' character pairs must reach SAME_REQUEST_SCORE:
   roughly, how much of the shorter text's wording the longer one repeats, in order within pairs.
On the pairs in tests/routing/test_duplicates.py the same needs score 73–100 and different needs of
the same item 32–64 (and 93 for 3号楼 vs 7号楼, refused by rule 3), hence 68, halfway.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from classifier.normalize import normalize
from routing.config import Settings, get_settings, get_taxonomy
from routing.db import core
from routing.models import Member, NotificationKind, Ticket
from routing.models import TicketStatus as S
from routing.outbox import notify
from routing.states import OPEN, WITH_ASSIGNEE, record_event, update_ticket
from routing.views import item_names, ticket_payload

SAME_REQUEST_SCORE = 68  # token_set_ratio (0–100) of the character pairs; measured, see above
# Categories whose problems are in a shared place (a street lamp, a lift, uncollected garbage), so
# that two households' reports can be one problem; a leaking tap in two kitchens is two problems.
SHARED_CATEGORIES = frozenset({"property", "environment", "safety"})
MAX_CORE_CHARS = 300  # long messages: the head says what is wrong
MAX_CANDIDATES = 200  # open tickets of one item in one grid looked at, oldest first

_CN_DIGITS = str.maketrans("零〇一二两三四五六七八九", "001223456789")
_UNIT = r"(?:号楼|号院|栋|幢|单元|号|室|层|楼|门|座)"
_CN_NUMBER = re.compile(rf"[零〇一二两三四五六七八九十]+(?={_UNIT})")
# Where in a compound: a building (3号楼, 3栋 and 3幢 are one building), a compound, a unit within a building (2单元,
# said 2门 in the north), a tower (A座). Two requests that both name a building must name one in common, and the same
# for units: 3号楼2单元 and 5号楼2单元 are two lifts, and so are A座 and B座.
_PLACES = (re.compile(r"(\d+)(?:号楼|栋|幢)"), re.compile(r"(\d+)号院"), re.compile(r"(\d+)(?:单元|门)"),
           re.compile(r"([a-z\d]+)座", re.IGNORECASE))
_NOT_WORDS = re.compile(r"[\W_]+")
_FILLER = re.compile(
    r"麻烦|快点|赶紧|尽快|来人|怎么回事|谢谢|你好|您好|请|帮忙|一下|还是|又|好几天|好久|一直|很|太"
    r"|我家|家里|有人|那边|这边|了|的|吗|呢|吧|啊|呀|哦|啦"
)
_SAME_MEANING = [
    (re.compile(r"不亮|不好使|不能用|用不了|失灵|故障|坏掉|损坏|坏"), "坏"),
    (re.compile(r"(?<!看)不见|丢失|被偷|丢"), "丢"),
    (re.compile(r"堵塞|堵住|堵"), "堵"),
    (re.compile(r"没人收|没人清理|没人管|没清理|没人清"), "没人清"),
]


def _cn_number(match: re.Match[str]) -> str:
    """三 → 3, 十二 → 12, 二十 → 20 (building and unit numbers are small)."""
    tens, ten, ones = match.group(0).partition("十")
    if not ten:
        return tens.translate(_CN_DIGITS)
    value = (int(tens.translate(_CN_DIGITS)) if tens else 1) * 10
    return str(value + (int(ones.translate(_CN_DIGITS)) if ones else 0))


def request_core(text: str) -> str:
    """The words of a request that tell it apart from another one (see the module docstring)."""
    core = _CN_NUMBER.sub(_cn_number, normalize(text)[: MAX_CORE_CHARS * 2])
    core = _FILLER.sub("", _NOT_WORDS.sub("", core))
    for pattern, word in _SAME_MEANING:
        core = pattern.sub(word, core)
    return core[:MAX_CORE_CHARS]


def _pairs(core: str) -> str:
    return " ".join(core[i : i + 2] for i in range(len(core) - 1)) or core


def _score(core_a: str, core_b: str) -> float:
    if not core_a or not core_b:
        return 0.0
    return fuzz.token_set_ratio(_pairs(core_a), _pairs(core_b))


_UNIT_KIND = 2  # (of _PLACES: a unit is within a building)
# Items whose problem is in the reporter's own building (a lift): two reports from two buildings are two problems even
# when their words name no place; for the others (garbage at the gate) the reporters' homes say nothing of where.
BUILDING_ITEMS = frozenset({"property.elevator", "safety.gas_leak"})  # (a lift, a home's gas: the reporter's building)


def _places(core: str) -> set[tuple[int, str]]:
    return {(kind, n.lower()) for kind, place in enumerate(_PLACES) for n in place.findall(core)}


def _where(core: str, address: str, in_building: bool) -> set[tuple[int, str]]:
    """The places a request names (the lamp at 7号楼, wherever its reporter lives); those of its address fill in
    what the words leave out when the problem is in the reporter's building: a unit named alone (2单元电梯坏了),
    or an item of BUILDING_ITEMS."""
    places = _places(core)
    kinds = {kind for kind, _ in places}
    if in_building or kinds == {_UNIT_KIND}:
        places |= {(kind, n) for kind, n in _places(address) if kind not in kinds}
    return places


def _same(core_a: str, core_b: str, where_a: str = "", where_b: str = "", *, in_building: bool = False) -> bool:
    """Whether two requests' words (cores) are the same need, the places they name (see `_where`: with their
    addresses) not telling them apart."""
    places_a, places_b = _where(core_a, where_a, in_building), _where(core_b, where_b, in_building)
    if places_a and places_b and not places_a & places_b:
        return False  # (no place in common: 3号院 and 3号楼)
    for kind in range(len(_PLACES)):  # (nor two of one kind: 3号楼2单元 and 5号楼2单元)
        numbers_a, numbers_b = {n for k, n in places_a if k == kind}, {n for k, n in places_b if k == kind}
        if numbers_a and numbers_b and not numbers_a & numbers_b:
            return False
    return _score(core_a, core_b) >= SAME_REQUEST_SCORE


def similarity(a: str, b: str) -> float:
    """0–100: how near-identical two requests' words are (rules 2 and 4; not the building rule)."""
    return _score(request_core(a), request_core(b))


def same_request(a: str, b: str) -> bool:
    """Whether two requests of the same item describe the same need (rules 2–4)."""
    return _same(request_core(a), request_core(b))


def find_own_duplicate(session: Session, resident_id: int, label: str | None, text: str, now: datetime,
                       *, settings: Settings | None = None) -> Ticket | None:
    """The resident's own open ticket for the same item and near-identical words, created within
    DUPLICATE_WINDOW_HOURS (the newest such), or None."""
    if not label:
        return None
    settings = settings or get_settings()
    rows = core(session, _own_statement(), {"resident": resident_id, "label": label,
                                            "since": now - settings.duplicate_window}).all()
    if not rows:
        return None
    core_text = request_core(text)
    match = next((row for row in rows if _same(core_text, request_core(row.text))), None)
    return session.get(Ticket, match.id) if match is not None else None


def own_open_emergency(session: Session, resident_id: int, label: str | None, text: str, now: datetime, *,
                       settings: Settings | None = None) -> Ticket | None:
    """The resident's own urgent ticket of the same item still open from within DUPLICATE_WINDOW_HOURS, whatever its
    words (煤气味越来越大了 after 厨房一股煤气味: the same emergency, told on) unless they name another place (我妈家
    7号楼也有煤气味), or None."""
    if not label:
        return None
    settings = settings or get_settings()
    told = _places(request_core(text))
    for row in core(session, _own_statement(), {"resident": resident_id, "label": label,
                                                 "since": now - settings.duplicate_window}):
        ticket = session.get(Ticket, row.id)
        if ticket is None or not ticket.urgent:
            continue
        where = _where(request_core(ticket.text), request_core(ticket.address or ""), True)
        if any({n for k, n in told if k == kind} and {n for k, n in where if k == kind}
               and not {n for k, n in told if k == kind} & {n for k, n in where if k == kind}
               for kind in range(len(_PLACES))):
            continue  # (another building, unit or room told: another emergency; 2单元 beside 3号楼 says nothing)
        return ticket
    return None


def own_ticket(session: Session, resident_id: int, ticket_id: int) -> dict[str, Any] | None:
    """What the resident is shown about their earlier ticket (查看原工单); None if it is not theirs."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.resident_id != resident_id:
        return None
    return {**ticket_payload(session, ticket), "created_at": ticket.created_at}


@lru_cache(maxsize=1)
def _own_statement() -> Any:
    """A resident's open tickets of one item since a moment, newest first; columns only, built
    once (it runs for every request; index resident_id, created_at)."""
    t = Ticket.__table__.c
    return (select(t.id, t.text)
            .where(t.resident_id == bindparam("resident"),
                   t.created_at > bindparam("since", type_=t.created_at.type),
                   t.label == bindparam("label"), t.status.in_([str(s) for s in OPEN if s != S.resolved]))
            .order_by(t.created_at.desc(), t.id.desc()))


@lru_cache(maxsize=1)
def _candidates_statement() -> Any:
    """Open tickets of one item in one grid since a moment, other residents', oldest first; columns
    only, built once (it runs for every submitted ticket; index grid_code, created_at)."""
    t = Ticket.__table__.c
    return (select(t.id, t.text, t.address, t.linked_to_id)
            .where(t.grid_code == bindparam("grid"),
                   t.created_at > bindparam("since", type_=t.created_at.type),
                   t.label == bindparam("label"), t.id != bindparam("id"),
                   t.resident_id != bindparam("resident"), t.status.in_([str(s) for s in OPEN]))
            .order_by(t.created_at, t.id).limit(MAX_CANDIDATES))


def link_near_duplicate(session: Session, ticket: Ticket, now: datetime, *,
                        settings: Settings | None = None) -> Ticket | None:
    """Link a just-submitted ticket to the earliest open ticket of a neighbour's near-identical
    request (same grid and item, shared-place category, within LINK_WINDOW_HOURS); returns that
    first ticket, or None. The holder of the first ticket is told (numbers only)."""
    if not ticket.label or ticket.category not in SHARED_CATEGORIES:
        return None
    settings = settings or get_settings()
    rows = core(session, _candidates_statement(), {
        "grid": ticket.grid_code, "since": now - settings.link_window, "label": ticket.label,
        "id": ticket.id, "resident": ticket.resident_id})
    core_text, where = request_core(ticket.text), request_core(ticket.address or "")
    # Read as far as the first match only: a problem many neighbours report matches early, and
    # the rest of the (up to MAX_CANDIDATES) rows need not be fetched and compared. (The building is often told at the
    # address step, not in the words: both are read for it.)
    with rows:
        match = next((row for row in rows if _same(core_text, request_core(row.text), where,
                                                   request_core(row.address or ""),
                                                   in_building=ticket.label in BUILDING_ITEMS)), None)
    if match is None:
        return None
    first = session.get(Ticket, match.linked_to_id or match.id)
    if first is None or first.status not in OPEN:
        first = session.get(Ticket, match.id)  # the group's first is done: the earliest open match
    if first is None or first.id == ticket.id:
        return None  # (linked again with its address: it is its group's first already)
    score = round(_score(core_text, request_core(match.text)))
    update_ticket(session, ticket, now, kind="linked", linked_to_id=first.id,
                  data={"to": first.id, "number": f"#{first.number}", "score": score})
    record_event(session, first, "linked", now, from_status=first.status, to_status=first.status,
                 data={"from": ticket.id, "number": f"#{ticket.number}", "score": score})
    member = session.get(Member, first.assignee_id) if first.assignee_id else None
    if member is not None and first.status in WITH_ASSIGNEE:
        notify(session, member.telegram_id, NotificationKind.ticket_linked, now, ticket_id=first.id,
               payload={"ticket_id": first.id, "number": f"#{first.number}",
                        "item_name": item_names(first.label, get_taxonomy(settings))[1],
                        "linked": linked_numbers(session, first.id)})
    return first


def relink(session: Session, ticket: Ticket, now: datetime, *, settings: Settings | None = None) -> Ticket | None:
    """Link again a ticket whose address was told after it was opened (an urgent one: linked, or not, on its words
    alone): out of a group whose place it does not share (the lift of 3号楼 and that of 7号楼), then linked as a new
    ticket would be; the group's first, or None."""
    if ticket.linked_to_id is not None:
        first = session.get(Ticket, ticket.linked_to_id)
        if first is not None and _same(request_core(ticket.text), request_core(first.text),
                                       request_core(ticket.address or ""), request_core(first.address or ""),
                                       in_building=ticket.label in BUILDING_ITEMS):
            return first
        update_ticket(session, ticket, now, kind="unlinked", linked_to_id=None,
                      data={"from": ticket.linked_to_id})
    return link_near_duplicate(session, ticket, now, settings=settings)


def linked_numbers(session: Session, ticket_id: int) -> list[str]:
    """The public numbers of the other open tickets linked with this one (its group), oldest first."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return []
    first_id = ticket.linked_to_id or ticket.id
    rows = session.exec(select(Ticket.number).where(
        or_(Ticket.id == first_id, Ticket.linked_to_id == first_id, Ticket.linked_to_id == ticket.id),
        Ticket.id != ticket.id, col(Ticket.status).in_(list(OPEN)),
    ).order_by(col(Ticket.created_at), col(Ticket.id))).all()
    return [f"#{number}" for number in rows]
