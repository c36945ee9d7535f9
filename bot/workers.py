"""What lets several bot processes share one database: per-chat and per-job advisory locks on
PostgreSQL, jobs that run outside any chat, and the webhook worker's bot."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Engine, event, text
from telegram.ext import Job, JobQueue

log = logging.getLogger(__name__)

# The chat whose update this task is handling; database transactions begun meanwhile take its lock.
HANDLING_CHAT: ContextVar[int | None] = ContextVar("handling_chat", default=None)
CHAT_LOCK_SPACE = 0x6A64  # first key of pg_advisory_xact_lock(int, int): our chat locks, nobody else's
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")
JOB_LOCK_SPACE = 0x6A65
T = TypeVar("T")


def _chat_lock_key(chat_id: int) -> int:
    """A Telegram chat id (up to 52 bits, negative for groups) folded into a signed 32-bit key."""
    folded = (chat_id ^ (chat_id >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


def _lock_handling_chat(connection: Any) -> None:
    chat_id = HANDLING_CHAT.get()
    if chat_id is not None:
        connection.execute(_XACT_LOCK, {"space": CHAT_LOCK_SPACE, "key": _chat_lock_key(chat_id)})


def lock_chats_across_processes(engine: Engine) -> None:
    """On PostgreSQL, every transaction begun while handling a chat's update first takes that chat's
    transaction-level advisory lock, so the same chat's transactions in several processes run one
    after another: each handler step reads and changes the chat's draft in one transaction, so two
    workers cannot both turn one draft into a ticket. A waiting transaction holds nothing yet, so
    the lock adds no deadlock. SQLite serves one process (BEGIN IMMEDIATE already serializes)."""
    if engine.dialect.name == "postgresql" and not event.contains(engine, "begin", _lock_handling_chat):
        event.listen(engine, "begin", _lock_handling_chat)


def one_process_at_a_time(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn(session, …)` behind a transaction-level advisory lock named after it (PostgreSQL): when
    every worker runs the same job, they run it one after another, each reading what the previous one
    wrote (e.g. the 回访 reminder it already queued) instead of both reading "not yet" and writing."""
    key = zlib.crc32(f"{fn.__module__}.{fn.__qualname__}".encode()) & 0x7FFFFFFF

    def locked(session: Any, *args: Any, **kwargs: Any) -> T:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_XACT_LOCK, {"space": JOB_LOCK_SPACE, "key": key})
        return fn(session, *args, **kwargs)

    return locked


class ChatlessJobQueue(JobQueue):
    """Jobs run outside any chat: a job scheduled while handling an update (`deliver_soon`) would
    otherwise inherit the update's HANDLING_CHAT, because new tasks copy context variables."""

    @staticmethod
    async def job_callback(job_queue: JobQueue, job: Job) -> None:
        HANDLING_CHAT.set(None)
        await JobQueue.job_callback(job_queue, job)

    async def stop(self, wait: bool = True) -> None:
        """Stop with no job starting meanwhile: APScheduler cancels a job that starts while it shuts down (an
        error logged; the notification it was delivering stays in the outbox), so the scheduler is paused first
        and the running jobs are waited for."""
        if self.scheduler.running:
            self.scheduler.pause()
        await super().stop(wait)
