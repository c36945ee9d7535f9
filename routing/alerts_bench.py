"""Benchmark of the time-limit scan (routing.alerts.scan_alerts), printed with the machine.

    python -m routing.alerts_bench [--backend sqlite|postgres|both] [--tickets 100000] [--json]

100,000 open tickets are bulk-inserted (core INSERT): 1 % have a card due (half waiting for 接单
and near or past the response limit, half in hand and near or past the resolution limit), the
rest are younger than 78 % of their limits. The classes are mixed like the shipped taxonomy's
items (urgent, fast, normal, slow). Figures:
- first scan: the committed scan that writes every due card (alert rows, cards, escalations,
  log events) — `limit` large enough for all of them in one call; repeated in rolled-back
  transactions for a median;
- default scan: the same with the default limit (500 tickets per call);
- idle scan: the next scan, when nothing new is due (what the bot pays every interval).
The PostgreSQL server is BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlmodel import Session, select

from classifier.bench import machine_summary
from classifier.taxonomy import DEFAULT_TAXONOMY_FILE, Taxonomy, load_taxonomy_file
from routing import config, db
from routing.alerts import candidate_query, scan_alerts
from routing.bench import PG_URL, T0, _analyze, bench_geography, fresh_database, machine, populate
from routing.config import Settings
from routing.geography import sync_geography
from routing.models import Alert, Coordinator, Notification, Person, Ticket

MEMBERS = 2000
RESIDENTS = 10_000


def ticket_rows(taxonomy: Taxonomy, geo: Any, n: int, due_share: float, now: Any,
                seed: int = 7) -> tuple[list[dict[str, Any]], int]:
    """`n` open tickets, `due_share` of them with a card due at `now`; and that count."""
    rng = random.Random(seed)
    items = list(taxonomy.items.values())
    grids = geo.grids
    rows = []
    n_due = round(n * due_share)
    for i in range(1, n + 1):
        item = rng.choice(items)
        cls = taxonomy.classes[item.time_class]
        grid = rng.choice(grids)
        waiting = rng.random() < 0.25
        due = i <= n_due
        # Elapsed share of the limit that runs: past 80 % for the due ones, below 78 % otherwise.
        share = rng.uniform(0.8, 1.5) if due else rng.uniform(0.0, 0.78)
        if waiting or (due and i % 2):
            created = now - cls.respond * share
            status, accepted, assignee = rng.choice(("dispatch", "offered")), None, None
        else:
            created = now - cls.resolve * share
            accepted = created + cls.respond * min(share, rng.uniform(0.05, 0.6))
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
        rows, n_due = ticket_rows(taxonomy, geo, n_tickets, due_share, now)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(Person), [{"telegram_id": t, "name": f"协调员{t}", "created_at": T0}
                                          for _, t in coordinators])
            conn.execute(insert(Coordinator), [{"telegram_id": t, "scope_code": code,
                                                "created_at": T0} for code, t in coordinators])
            for k in range(0, len(rows), 5000):
                conn.execute(insert(Ticket), rows[k:k + 5000])
        load_s = time.perf_counter() - started
        _analyze(engine)

        def timed_scan(limit: int, commit: bool) -> tuple[float, int]:
            with Session(engine, expire_on_commit=False) as s:
                t0 = time.perf_counter()
                with s.begin() as tx:
                    written = scan_alerts(s, now, settings=settings, limit=limit)
                    if not commit:
                        tx.rollback()
                return time.perf_counter() - t0, written

        def candidates_ms() -> float:
            with db.transaction(engine) as s:
                t0 = time.perf_counter()
                s.exec(candidate_query(now, settings, taxonomy, n_tickets)).all()
                return (time.perf_counter() - t0) * 1000

        everything = 2 * n_due + 10
        timed_scan(everything, commit=False)  # warm the caches, as a running bot has them
        full = [timed_scan(everything, commit=False) for _ in range(repeats)]
        default = [timed_scan(500, commit=False) for _ in range(repeats)]
        candidates = statistics.median(candidates_ms() for _ in range(repeats))
        first_s, written = timed_scan(everything, commit=True)
        idle = [timed_scan(500, commit=True) for _ in range(repeats)]
        with db.transaction(engine) as s:
            alerts = s.exec(select(func.count()).select_from(Alert)).one()
            notes = s.exec(select(func.count()).select_from(Notification)).one()
        engine.dispose()
    return {
        "backend": backend, "open_tickets": n_tickets, "due_tickets": n_due,
        "bulk_load_s": round(load_s, 2), "cards": written, "alert_rows": alerts,
        "notifications": notes,
        "first_scan_ms": round(first_s * 1000, 1),
        "first_scan_median_ms": round(statistics.median(t for t, _ in full) * 1000, 1),
        "default_limit_scan_ms": round(statistics.median(t for t, _ in default) * 1000, 1),
        "default_limit_cards": default[0][1],
        "candidate_query_ms": round(candidates, 1),
        "idle_scan_ms": round(statistics.median(t for t, _ in idle) * 1000, 1),
        "idle_cards": sum(n for _, n in idle),
    }


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
    try:
        taxonomy = config.get_taxonomy(settings)
    except ValueError:  # the classifier's lexicon is not needed for routing
        taxonomy = load_taxonomy_file(settings.TAXONOMY_FILE or DEFAULT_TAXONOMY_FILE,
                                      require_lexicon=False)
    config.load_taxonomy = lambda path=None: taxonomy  # type: ignore[assignment]
    report: dict[str, Any] = {"machine": machine_summary(),
                              "versions": machine(PG_URL if "postgres" in backends else None),
                              "scans": []}
    if not args.json:
        print(f"machine: {report['machine']}", flush=True)
        print("versions: " + ", ".join(f"{k}={v}" for k, v in report["versions"].items()
                                       if k in ("sqlite", "postgresql", "sqlalchemy")), flush=True)
    for backend in backends:
        result = bench_scan(backend, taxonomy, settings, args.tickets, args.due, args.repeats)
        report["scans"].append(result)
        if not args.json:
            print(f"{backend}: " + json.dumps(result, ensure_ascii=False), flush=True)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
