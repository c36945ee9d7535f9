"""Benchmark of the time-limit scan (routing.alerts.scan_alerts), printed with the machine.

    python -m routing.alerts_bench [--backend sqlite|postgres|both] [--tickets 100000] [--json]

100,000 open tickets are bulk-inserted (core INSERT); 1 % have a card that fell due in the last
two minutes (half yellow, half red; a quarter of all tickets wait for 接单/派单, so the response
limit runs, the rest are in hand, so the resolution limit runs); the others are younger than
78 % of their limits. Classes are mixed as the shipped taxonomy's items are. Each scan writes
its cards as the bot does: alert rows, notifications (a yellow card of a ticket in hand goes to
its member and the grid's coordinator), escalations and log events. Figures are medians of
scans in rolled-back transactions after one warm-up, the heap frozen before them as the bot
freezes its own at start (gc.freeze). On PostgreSQL a VACUUM follows each scan, outside the
timing, so that the rolled-back rows of one run do not slow the next. The figures:
- scan: one scan as the bot's job runs it (`scan_alerts` with the job's `since`, two minutes
  back, and its cap, SCAN_LIMIT tickets) — the headline: with 1 % of 100,000 due it writes every
  due ticket's card (1,000); committed: the same scan, committed (commit included);
- all_cards: every due ticket's cards in one call, measured apart only when more tickets are due
  than one scan takes (e.g. `--due 0.02`), else the scan's figures;
- sweep: the same, found by a sweep (`since` None: start-up catch-up, every 10th scan);
- candidates: the candidate query alone (all due tickets); idle: later scans, nothing new due.
The load average before and after is printed: the figures mean little on a busy machine.
The PostgreSQL server is BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, text
from sqlmodel import Session, select

from classifier.cli import machine_summary
from classifier.taxonomy import Taxonomy
from routing import config, db
from routing.alerts import SCAN_LIMIT, candidate_query, scan_alerts
from routing.bench import PG_URL, T0, _analyze, bench_geography, fresh_database, machine, populate
from routing.config import Settings
from routing.geography import sync_geography
from routing.models import Alert, Coordinator, Notification, Person, Ticket

MEMBERS = 2000
RESIDENTS = 10_000
WINDOW = timedelta(minutes=2)  # a steady scan looks back two intervals of 60 s
TARGET_MS = 200  # the issue's: one scan over 100,000 open tickets, 1 % due, under 200 ms


def ticket_rows(taxonomy: Taxonomy, geo: Any, n: int, due_share: float, now: datetime,
                window: timedelta, seed: int = 7) -> tuple[list[dict[str, Any]], int]:
    """`n` open tickets; `due_share` of them have a card (half yellow, half red) whose moment
    fell within `window` before `now`; the others are younger than 78 % of their limits."""
    rng = random.Random(seed)
    items = list(taxonomy.items.values())
    grids = geo.grids
    rows = []
    n_due = round(n * due_share)
    for i in range(1, n + 1):
        item = rng.choice(items)
        cls = taxonomy.classes[item.time_class]
        grid = rng.choice(grids)
        waiting = rng.random() < 0.25  # waiting for 接单/派单: the response limit runs
        limit = cls.respond if waiting else cls.resolve
        if i <= n_due:
            moment = now - window * rng.random()
            created = moment - limit * (1.0 if i % 2 else 0.8)  # red / yellow at `moment`
        else:
            created = now - limit * rng.uniform(0.0, 0.78)
        if waiting:
            status, accepted, assignee = rng.choice(("dispatch", "offered")), None, None
        else:
            accepted = created + cls.respond * rng.uniform(0.05, 0.6)
            status, assignee = rng.choice(("accepted", "in_progress")), rng.randint(1, MEMBERS)
        rows.append({
            "id": i, "number": f"Q{i:07d}", "resident_id": 10_000_000 + rng.randrange(RESIDENTS),
            "text": "超期扫描基准", "normalized_text": "", "label": item.label,
            "category": item.category, "urgent": False, "time_class": cls.code, "status": status,
            "grid_code": grid.code, "community_code": grid.community, "street_code": grid.street,
            "address": "1号楼", "attachments": [], "resolution_attachments": [],
            "resolution_note": "", "wave": 1, "escalation_level": 0, "reopen_count": 0,
            "assignee_id": assignee, "created_at": created, "accepted_at": accepted,
            "respond_due_at": created + cls.respond, "resolve_due_at": created + cls.resolve,
            "updated_at": created, "version": 1})
    rng.shuffle(rows)  # due tickets spread over the table, not its first pages
    return rows, n_due


@dataclass(frozen=True, slots=True)
class Run:
    """One timed scan: wall time, cards written, CPU time of this process and of its PostgreSQL
    backend (on this machine) — the work itself, whatever else keeps the cores busy."""

    wall_s: float
    cards: int
    cpu_s: float


def cpu_s(backend_pid: int | None) -> float:
    """CPU seconds used so far by this process and, if given, a local PostgreSQL backend."""
    used = time.process_time()
    if backend_pid is not None:
        # The first field of schedstat: nanoseconds on a CPU (a server on another machine: none).
        with contextlib.suppress(OSError, ValueError, IndexError):
            used += int(Path(f"/proc/{backend_pid}/schedstat").read_text().split()[0]) / 1e9
    return used


def bench_scan(backend: str, taxonomy: Taxonomy, settings: Settings, n_tickets: int,
               due_share: float, repeats: int) -> dict[str, Any]:
    geo = bench_geography()
    now = T0 + timedelta(days=30)
    with fresh_database(backend) as url:
        engine = db.make_engine(url)
        with db.transaction(engine) as s:
            sync_geography(s, geo)
        populate(engine, geo, taxonomy, MEMBERS, RESIDENTS)
        coordinators = [("S01", 9_000_000)] + [
            (node.code, 9_000_001 + k) for k, node in enumerate(
                n for n in geo.nodes.values() if n.level != "street")]
        rows, n_due = ticket_rows(taxonomy, geo, n_tickets, due_share, now, WINDOW)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(Person), [{"telegram_id": t, "name": f"协调员{t}", "created_at": T0}
                                          for _, t in coordinators])
            conn.execute(insert(Coordinator), [{"telegram_id": t, "scope_code": code,
                                                "created_at": T0} for code, t in coordinators])
            for k in range(0, len(rows), 5000):
                conn.execute(insert(Ticket), rows[k:k + 5000])
        load_s = time.perf_counter() - started
        # The bot holds no such list: kept, its 100,000 dicts would make each full collection of
        # the garbage collector during a timed scan ~0.2 s slower (measured).
        del rows
        _analyze(engine)

        since = now - WINDOW  # the steady job: one interval before the previous scan (60 s)
        postgres = backend == "postgres"

        def vacuum() -> None:
            if postgres:
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM"))

        def timed_scan(since: datetime | None, limit: int, commit: bool = False) -> Run:
            with Session(engine, expire_on_commit=False) as s:
                tx = s.begin()
                backend = s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar() \
                    if postgres else None
                t0, cpu0 = time.perf_counter(), cpu_s(backend)
                written = scan_alerts(s, now, settings=settings, limit=limit, since=since)
                tx.commit() if commit else tx.rollback()
                run = Run(time.perf_counter() - t0, written, cpu_s(backend) - cpu0)
            if not commit:
                vacuum()
            return run

        def candidates_ms(since: datetime | None) -> float:
            with db.transaction(engine) as s:
                t0 = time.perf_counter()
                s.exec(candidate_query(now, settings, taxonomy, n_tickets, since=since)).all()
                return (time.perf_counter() - t0) * 1000

        def runs(since: datetime | None, limit: int) -> list[Run]:
            return [timed_scan(since, limit) for _ in range(repeats)]

        def median_ms(runs: list[Run], cpu: bool = False) -> float:
            return round(statistics.median(r.cpu_s if cpu else r.wall_s for r in runs) * 1000, 1)

        everything = 2 * n_due + 10
        one_scan = n_due <= SCAN_LIMIT  # the bot's scan takes every due ticket
        # As the bot at start (bot/app.py, post_init): the heap built so far is frozen, so that
        # the collector's full passes during a scan do not walk it again.
        gc.collect()
        gc.freeze()
        timed_scan(since, SCAN_LIMIT)  # warm the caches, as a running bot has them
        scan = runs(since, SCAN_LIMIT)
        all_cards = scan if one_scan else runs(since, everything)
        sweep = runs(None, SCAN_LIMIT)
        sweep_all = sweep if one_scan else runs(None, everything)
        figures = {
            "steady_candidates_ms": round(statistics.median(
                candidates_ms(since) for _ in range(repeats)), 1),
            "sweep_candidates_ms": round(statistics.median(
                candidates_ms(None) for _ in range(repeats)), 1),
        }
        committed = timed_scan(since, SCAN_LIMIT if one_scan else everything, commit=True)
        idle = [timed_scan(since, SCAN_LIMIT, commit=True) for _ in range(repeats)]
        idle_sweep = [timed_scan(None, SCAN_LIMIT, commit=True) for _ in range(repeats)]
        with db.transaction(engine) as s:
            alerts = s.exec(select(func.count()).select_from(Alert)).one()
            notes = s.exec(select(func.count()).select_from(Notification)).one()
        engine.dispose()
        gc.unfreeze()
    return {
        "backend": backend, "open_tickets": n_tickets, "due_tickets": n_due,
        "bulk_load_s": round(load_s, 2), "scan_limit": SCAN_LIMIT,
        "scan_ms": median_ms(scan), "scan_ms_min": round(min(r.wall_s for r in scan) * 1000, 1),
        "scan_ms_max": round(max(r.wall_s for r in scan) * 1000, 1),
        "scan_cpu_ms": median_ms(scan, cpu=True), "scan_cards": scan[0].cards,
        "scan_takes_all": one_scan,
        "target_met": one_scan and median_ms(scan) < TARGET_MS,
        "all_cards_ms": median_ms(all_cards), "all_cards_cpu_ms": median_ms(all_cards, cpu=True),
        "all_cards": all_cards[0].cards,
        "all_cards_committed_ms": round(committed.wall_s * 1000, 1),
        "committed_cards": committed.cards,
        "sweep_ms": median_ms(sweep), "sweep_cpu_ms": median_ms(sweep, cpu=True),
        "sweep_cards": sweep[0].cards,
        "sweep_all_cards_ms": median_ms(sweep_all), "sweep_all_cards": sweep_all[0].cards,
        **figures,
        "idle_scan_ms": median_ms(idle), "idle_sweep_ms": median_ms(idle_sweep),
        "idle_cards": sum(r.cards for r in idle + idle_sweep),
        "alert_rows": alerts, "notifications": notes,
    }


def summary(r: dict[str, Any]) -> str:
    """The figures in words."""
    if r["scan_takes_all"]:
        whole = (f"every due ticket's card ({r['all_cards']}) in that one scan; committed: "
                 f"{r['all_cards_committed_ms']} ms")
    else:
        whole = (f"all {r['all_cards']} cards in one call: {r['all_cards_ms']} ms (CPU "
                 f"{r['all_cards_cpu_ms']} ms; committed: {r['all_cards_committed_ms']} ms)")
    verdict = "met" if r["target_met"] else "not met"
    return (f"{r['backend']}: {r['open_tickets']} open tickets, {r['due_tickets']} due; one scan "
            f"as the bot runs it (at most {r['scan_limit']} tickets): {r['scan_ms']} ms median "
            f"({r['scan_ms_min']}–{r['scan_ms_max']} ms), {r['scan_cards']} cards (CPU, client + "
            f"server: {r['scan_cpu_ms']} ms); {whole}; sweep {r['sweep_ms']} ms (CPU "
            f"{r['sweep_cpu_ms']} ms) / all {r['sweep_all_cards_ms']} ms; candidates "
            f"{r['steady_candidates_ms']} ms steady, {r['sweep_candidates_ms']} ms sweep; idle "
            f"{r['idle_scan_ms']} ms / sweep {r['idle_sweep_ms']} ms; target: every due card in "
            f"one scan under {TARGET_MS} ms (median): {verdict}")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m routing.alerts_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01, help="share of tickets due")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    settings = Settings(_env_file=None)
    taxonomy = config.get_taxonomy(settings)
    report: dict[str, Any] = {"machine": machine_summary(),
                              "versions": machine(PG_URL if "postgres" in backends else None),
                              "load_before": [round(x, 2) for x in os.getloadavg()], "scans": []}
    if not args.json:
        print(f"machine: {report['machine']}", flush=True)
        print("versions: " + ", ".join(f"{k}={v}" for k, v in report["versions"].items()
                                       if k in ("sqlite", "postgresql", "sqlalchemy")), flush=True)
        print(f"load average before: {report['load_before']}", flush=True)
    for backend in backends:
        result = bench_scan(backend, taxonomy, settings, args.tickets, args.due, args.repeats)
        report["scans"].append(result)
        if not args.json:
            print(summary(result), flush=True)
            print(f"{backend}: " + json.dumps(result, ensure_ascii=False), flush=True)
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if not args.json:
        print(f"load average after: {report['load_after']}", flush=True)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
