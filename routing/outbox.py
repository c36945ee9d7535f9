"""The notification outbox: rows written with each state change, delivered by the bot's worker.

Worker loop (each step in its own `db.transaction`):
    batch = claim_notifications(session, worker_id, now)   # committed before sending
    ... send each; then mark_delivered / mark_failed / mark_unreachable.
A crashed worker's claims come back after OUTBOX_LEASE_SECONDS. Delivery is at-least-once;
the bot makes a resend harmless by checking `status` again before sending.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, exists, insert, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from routing.config import Settings, get_settings
from routing.db import bulk_insert, core, is_postgres, rows_json
from routing.errors import NotFound
from routing.models import Member, Notification, NotificationKind, NotificationStatus, Ticket, TicketStatus
from routing.subscriptions import group_gone, is_group_chat, queue_group_alerts

_DONE = (NotificationStatus.sent, NotificationStatus.dead, NotificationStatus.unreachable,
         NotificationStatus.cancelled)
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600
TRANSIENT_BACKOFF_MAX_SECONDS = 300  # (an urgent alert is at most five minutes late after an outage ends)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed notification, detached from the session, with what the bot needs to send it."""

    id: int
    recipient_id: int
    kind: str
    ticket_id: int | None
    payload: dict[str, Any]
    attempts: int
    edit_chat_id: int | None  # set when this notification asks to edit an earlier message
    edit_message_id: int | None


_TABLE = Notification.__table__
QUEUED = "jiedan.notifications_queued"  # session.info key: this transaction queued notifications
# Not `sort_by_parameter_order`: on SQLite that makes one INSERT per row. The returned keys
# give each id its row instead (see notify_rows).
_INSERT_NOTIFICATIONS = insert(_TABLE).returning(
    _TABLE.c.id, _TABLE.c.recipient_id, _TABLE.c.kind, _TABLE.c.ticket_id)


def notify_photos(session: Session, recipient_id: int, ticket_id: int, number: str, photos: Sequence[str],
                  now: datetime) -> None:
    """A ticket's photos, each a message of its own after the one that announces them (📷 N 张): retried like
    any other, without sending that message again."""
    notify_rows(session, [notification_row(recipient_id, NotificationKind.ticket_photo, now, ticket_id,
                                           {"file_id": file_id, "number": number}) for file_id in photos])


def unsent_photos(session: Session, recipient_id: int, ticket_id: int, photos: Sequence[str]) -> list[str]:
    """Those of a ticket's `photos` not yet queued to the recipient (a coordinator gets a resident's photos once, with
    the first card that counts them)."""
    if not photos:
        return []
    queued = {payload.get("file_id") for payload in session.exec(select(Notification.payload).where(
        Notification.recipient_id == recipient_id, Notification.ticket_id == ticket_id,
        Notification.kind == NotificationKind.ticket_photo))}
    return [file_id for file_id in photos if file_id not in queued]


def notify(session: Session, recipient_id: int, kind: NotificationKind | str, now: datetime, *,
           ticket_id: int | None = None, payload: dict[str, Any] | None = None,
           refers_to_id: int | None = None) -> int:
    """Queue one notification in the caller's transaction; returns its id."""
    return notify_rows(session, [notification_row(recipient_id, kind, now, ticket_id, payload,
                                                  refers_to_id)])[0]


def notify_many(session: Session, recipient_ids: list[int], kind: NotificationKind | str,
                now: datetime, *, ticket_id: int | None = None,
                payload: dict[str, Any] | None = None) -> list[int]:
    """Queue the same notification for several recipients (each once)."""
    return notify_rows(session, [notification_row(rid, kind, now, ticket_id, payload, None)
                                 for rid in dict.fromkeys(recipient_ids)])


def notification_row(recipient_id: int, kind: NotificationKind | str, now: datetime,
                     ticket_id: int | None, payload: dict[str, Any] | None,
                     refers_to_id: int | None = None) -> dict[str, Any]:
    """The column values of one new notification (for `notify_rows`)."""
    return {"recipient_id": recipient_id, "kind": str(kind), "ticket_id": ticket_id,
            "payload": dict(payload or {}), "refers_to_id": refers_to_id,
            "status": NotificationStatus.pending, "attempts": 0, "created_at": now,
            "next_attempt_at": now}


def notify_rows(session: Session, rows: list[dict[str, Any]], *, ids: bool = True) -> list[int]:
    """Insert prepared notification rows in one statement; their ids, in order. `ids=False`, for
    bulk writers that need none (the alert scan): on PostgreSQL one `bulk_insert` (1,366 rows:
    45 → 12 ms, measured), on SQLite an executemany."""
    if not rows:
        return []
    before_insert(session, rows)
    if not ids:
        if is_postgres(session):
            core(session, _bulk_insert_statement(tuple(rows[0])), {"_rows": rows_json(rows)})
        else:
            core(session, insert(_TABLE), rows)
        return []
    ids: dict[tuple[int, str, int | None], list[int]] = {}
    for note_id, *key in sorted(core(session, _INSERT_NOTIFICATIONS, rows)):
        ids.setdefault(tuple(key), []).append(note_id)
    # Rows with the same key are alike for every caller; ascending ids keep them in order.
    return [ids[(r["recipient_id"], str(r["kind"]), r["ticket_id"])].pop(0) for r in rows]


def before_insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """What comes with every write of notification rows (`notify_rows`, or a caller's own
    statement that inserts them, such as the offers' on PostgreSQL)."""
    session.info[QUEUED] = True  # the caller may deliver right after the commit (bot: `act`)
    queue_group_alerts(session, rows)  # groups subscribed to the ticket's scope get a copy


@lru_cache(maxsize=4)
def _bulk_insert_statement(columns: tuple[str, ...]) -> Any:
    """The `bulk_insert` of notifications with the columns `notification_row` fills."""
    return bulk_insert(_TABLE, columns)


def record_shown(session: Session, recipient_id: int, ticket_id: int, now: datetime, *, chat_id: int,
                 message_id: int, payload: dict[str, Any]) -> None:
    """A message the bot sent at once in answer to a command (/tasks, /dispatch), not through the outbox, that shows
    a ticket's contact: recorded as sent, so that it is taken back as the outbox's cards are (a resident's /forget)."""
    session.add(Notification(**notification_row(recipient_id, NotificationKind.shown, now, ticket_id, payload)
                             | {"status": NotificationStatus.sent, "sent_at": now, "telegram_chat_id": chat_id,
                                "telegram_message_id": message_id}))


def withdraw_message(session: Session, notification_id: int | None, recipient_id: int,
                     now: datetime, *, ticket_id: int | None, payload: dict[str, Any]) -> None:
    """Take back an earlier message: cancel it if not yet handed to a worker, else ask to edit it."""
    if notification_id is None:
        return
    cancelled = session.exec(
        update(Notification)
        .where(Notification.id == notification_id,
               Notification.status == NotificationStatus.pending)
        .values(status=NotificationStatus.cancelled)
    ).rowcount
    if not cancelled:
        notify(session, recipient_id, NotificationKind.offer_withdrawn, now, ticket_id=ticket_id,
               payload=payload, refers_to_id=notification_id)


def _due(row: Any, now: datetime) -> Any:
    """Whether a notification (or an alias of the table) is due to be claimed: pending and due, or claimed by a worker
    whose lease ran out (it died)."""
    return or_(and_(row.status == NotificationStatus.pending, row.next_attempt_at <= now),
               and_(row.status == NotificationStatus.claimed, row.lease_until < now))


def claim_notifications(session: Session, worker: str, now: datetime, *, limit: int = 50,
                        settings: Settings | None = None, kinds: Collection[str] | None = None,
                        skip: Collection[str] = ()) -> list[Outgoing]:
    """Claim up to `limit` due notifications for this worker (safe with several processes);
    only of `kinds` if given, none of `skip` (a slow kind gets a delivery lane of its own).

    A notification that edits an earlier one waits until that one is delivered (or given up); one to a person
    waits behind their earlier ones of the same lane that another pass or worker is sending, or whose send failed for
    a while (`holds_chat`): each chat keeps its order.
    """
    settings = settings or get_settings()
    referent = aliased(Notification)
    due = _due(Notification, now)
    referent_done = or_(
        Notification.refers_to_id.is_(None),
        exists().where(referent.id == Notification.refers_to_id, referent.status.in_(_DONE)),
    )
    earlier = aliased(Notification)
    same_lane = [*([earlier.kind.in_(kinds)] if kinds is not None else []),
                 *([earlier.kind.not_in(skip)] if skip else [])]
    in_the_way = exists().where(
        earlier.recipient_id == Notification.recipient_id,
        earlier.status.in_([NotificationStatus.pending, NotificationStatus.claimed]),  # (ix_notification_recipient_status)
        earlier.id < Notification.id,
        or_(and_(earlier.status == NotificationStatus.pending, earlier.holds_chat, earlier.next_attempt_at > now),
            and_(earlier.status == NotificationStatus.claimed, earlier.lease_until >= now)),
        *same_lane,
    )
    query = (select(Notification.id).where(due, referent_done, ~in_the_way)
             .order_by(Notification.id).limit(limit))
    if kinds is not None:
        query = query.where(Notification.kind.in_(kinds))
    if skip:
        query = query.where(Notification.kind.not_in(skip))
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Rows another worker is claiming right now are skipped, not waited for.
        query = query.with_for_update(skip_locked=True, of=Notification)
    ids = list(session.exec(query))
    if postgres and ids:
        # A person's earlier one this claim skipped, claimable (due, its original sent if it edits one) yet not taken:
        # another worker is claiming it (SKIP LOCKED), or has just claimed it. Their later ones wait for the next
        # pass, behind it.
        original = aliased(Notification)
        claimable = and_(_due(earlier, now), or_(
            earlier.refers_to_id.is_(None),
            exists().where(original.id == earlier.refers_to_id, original.status.in_(_DONE))))
        claimed_elsewhere = and_(earlier.status == NotificationStatus.claimed, earlier.lease_until >= now,
                                 earlier.claimed_by != worker)
        behind = set(session.exec(select(Notification.id).where(Notification.id.in_(ids), exists().where(
            earlier.recipient_id == Notification.recipient_id, earlier.id < Notification.id,
            earlier.id.not_in(ids), or_(claimable, claimed_elsewhere), *same_lane))))
        ids = [i for i in ids if i not in behind]
    if not ids:
        return []
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    session.exec(
        update(Notification).where(Notification.id.in_(ids))
        .values(status=NotificationStatus.claimed, lease_until=lease, claimed_by=worker,
                attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.exec(
        select(Notification, referent.telegram_chat_id, referent.telegram_message_id)
        .outerjoin(referent, referent.id == Notification.refers_to_id)
        .where(Notification.id.in_(ids), Notification.claimed_by == worker)
        .order_by(Notification.id)
        .execution_options(populate_existing=True)
    ).all()
    return [Outgoing(n.id, n.recipient_id, n.kind, n.ticket_id, dict(n.payload), n.attempts,
                     chat_id, message_id) for n, chat_id, message_id in rows]


def _get(session: Session, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFound(f"notification {notification_id} not found")
    return row


def mark_delivered(session: Session, notification_id: int, now: datetime, *,
                   chat_id: int | None = None, message_id: int | None = None) -> None:
    """Record a successful send (and the Telegram message, so that later edits can find it)."""
    row = _get(session, notification_id)
    row.status = NotificationStatus.sent
    row.sent_at = now
    row.lease_until = None
    row.last_error = None
    row.telegram_chat_id = chat_id if chat_id is not None else row.recipient_id
    row.telegram_message_id = message_id


def mark_failed(session: Session, notification_id: int, now: datetime, error: str, *,
                retry_after: float | None = None, transient: bool = False, holds_chat: bool = False,
                settings: Settings | None = None) -> datetime | None:
    """Schedule a retry with exponential backoff (or Telegram's retry_after); None if given up.

    A `transient` failure (429, the network, Telegram down) is retried for as long as it lasts, at most
    TRANSIENT_BACKOFF_MAX_SECONDS apart: an outage loses no notification. Any other failure (Telegram
    rejects the message, it cannot be rendered) is given up after OUTBOX_MAX_ATTEMPTS. `holds_chat`: the person's
    later notifications wait behind this one (see claim_notifications)."""
    settings = settings or get_settings()
    row = _get(session, notification_id)
    row.last_error = error[:500]
    row.lease_until = None
    if not transient and row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        row.status = NotificationStatus.dead
        return None
    cap = TRANSIENT_BACKOFF_MAX_SECONDS if transient else BACKOFF_MAX_SECONDS
    delay = retry_after if retry_after is not None else min(
        BACKOFF_BASE_SECONDS * 2 ** max(row.attempts - 1, 0), cap)
    row.status = NotificationStatus.pending
    row.next_attempt_at = now + timedelta(seconds=delay)
    row.holds_chat = holds_chat
    return row.next_attempt_at


def reminder_moot(session: Session, notification_id: int) -> bool:
    """Whether a reminder (held for the quiet hours, say) has nothing left to remind of: a rating reminder for a
    ticket no longer waiting for its rating, a member's card for a ticket no longer theirs to finish. Such a one is
    cancelled (True)."""
    row = _get(session, notification_id)
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if ticket is None:
        return False
    if row.kind == NotificationKind.rate_reminder:
        moot = ticket.status != TicketStatus.resolved
    elif row.kind == NotificationKind.yellow_card:
        member = session.get(Member, ticket.assignee_id) if ticket.assignee_id else None
        moot = (ticket.status not in (TicketStatus.accepted, TicketStatus.in_progress)
                or member is None or member.telegram_id != row.recipient_id)
    else:
        return False
    if moot:
        row.status, row.lease_until = NotificationStatus.cancelled, None
    return moot


def postpone(session: Session, notification_id: int, until: datetime) -> None:
    """Hold a claimed notification until `until` (quiet hours); not a failed attempt."""
    row = _get(session, notification_id)
    row.status = NotificationStatus.pending
    row.next_attempt_at = until
    row.lease_until = None
    row.holds_chat = False
    row.attempts = max(row.attempts - 1, 0)


def mark_unreachable(session: Session, notification_id: int, now: datetime, *,
                     settings: Settings | None = None) -> None:
    """The recipient blocked the bot (403): stop writing to them; a member goes off duty and
    their pending offers are re-routed; a coordinator's cards to act on go to another coordinator."""
    # dispatch imports outbox, so the member side is imported here.
    from routing.dispatch import member_unreachable

    row = _get(session, notification_id)
    row.status = NotificationStatus.unreachable
    row.lease_until = None
    bounced = [row, *session.exec(select(Notification).where(
        Notification.recipient_id == row.recipient_id, Notification.status == NotificationStatus.pending)).all()]
    session.exec(
        update(Notification)
        .where(Notification.recipient_id == row.recipient_id,
               Notification.status == NotificationStatus.pending)
        .values(status=NotificationStatus.unreachable, last_error="recipient blocked the bot")
        .execution_options(synchronize_session=False)
    )
    if is_group_chat(row.recipient_id):  # a group that removed the bot: no member to take off duty
        group_gone(session, row.recipient_id)
        return
    member_unreachable(session, row.recipient_id, now, settings=settings, bounced=bounced)


def pending_count(session: Session) -> int:
    """How many notifications wait for delivery (for monitoring)."""
    from sqlalchemy import func

    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.status.in_([NotificationStatus.pending, NotificationStatus.claimed]))).one()
