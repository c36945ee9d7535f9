"""Benchmarks of the routing domain, printed with the machine they ran on.

    python -m routing.bench [--backend sqlite|postgres|both] [--quick] [--json]

1. Routing throughput: submit → first wave of offers, one transaction per ticket, for 10,000
   tickets with 5,000 members; and the candidate query alone at 500 / 5,000 / 50,000 members.
2. Statistics (the four rates, whole street and by category) over 100,000 tickets.
3. The accept race on PostgreSQL: 50 concurrent accepts of one ticket, repeated 100 times.

Each run uses its own SQLite file / PostgreSQL database (created and dropped; the server is
BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/test). Members and the 100,000
statistics tickets are bulk-inserted; the throughput tickets go through `submit_ticket`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, insert, text

from classifier.taxonomy import Taxonomy
from routing import config, db
from routing.config import Settings
from routing.geography import Geography, Node, sync_geography
from routing.matching import find_candidates
from routing.models import (
    Alert,
    GeoLevel,
    Member,
    MemberSkill,
    Person,
    Ticket,
)
from routing.race import race_accept
from routing.stats import compute_stats, stats_by
from routing.tickets import submit_ticket

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)


# The machine --------------------------------------------------------------------------------

def machine(pg_url: str | None) -> dict[str, Any]:
    """CPU, cores, memory, Python and database versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}", "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gb"] = round(pages / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if pg_url:
        try:
            engine = db.make_engine(pg_url)
            with engine.connect() as conn:
                info["postgresql"] = conn.exec_driver_sql("SHOW server_version").scalar()
            engine.dispose()
        except Exception as exc:  # report, do not fail the figures that can run
            info["postgresql"] = f"unreachable ({type(exc).__name__})"
    return info


# Databases ---------------------------------------------------------------------------------

@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A migrated, empty database of the backend, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="jiedan-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            db.upgrade(url)
            yield url
        return
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"jiedan_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        db.upgrade(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_geography(communities: int = 10, grids: int = 10, streets: int = 1) -> Geography:
    """Streets of 10 communities × 10 grids; one street by default, so that every member is a
    possible candidate of every ticket (the worst case for matching)."""
    geo = Geography(Path("<bench>"))
    for st in range(1, streets + 1):
        sc = f"S{st:02d}"
        geo.nodes[sc] = Node(sc, f"基准街道{st}", GeoLevel.street, None, sc, None, len(geo.nodes))
        for c in range(1, communities + 1):
            cc = f"{sc}-C{c:02d}"
            geo.nodes[cc] = Node(cc, f"第{c}社区", GeoLevel.community, sc, sc, cc, len(geo.nodes))
            for g in range(1, grids + 1):
                gc = f"{cc}-G{g:02d}"
                geo.nodes[gc] = Node(gc, f"第{c}社区第{g}网格", GeoLevel.grid, cc, sc, cc,
                                     len(geo.nodes))
    return geo


def populate(engine: Engine, geo: Geography, taxonomy: Taxonomy, n_members: int,
             n_residents: int, seed: int = 1, *, first_member_id: int = 1) -> None:
    """Bulk-insert residents and members with 1–3 skills each (weighted by demand)."""
    rng = random.Random(seed)
    demand: dict[str, float] = {}
    for item in taxonomy.items.values():
        for s in item.skills:
            demand[s] = demand.get(s, 0.0) + 1 / len(item.skills)
    skills, weights = list(demand), list(demand.values())
    grids = geo.grids
    people = [{"telegram_id": 10_000_000 + i, "name": f"居民{i}", "created_at": T0}
              for i in range(n_residents)]
    members, member_skills = [], []
    for i in range(first_member_id, first_member_id + n_members):
        tid = 20_000_000 + i
        grid = rng.choice(grids)
        people.append({"telegram_id": tid, "name": f"成员{i}", "created_at": T0})
        members.append({"id": i, "telegram_id": tid, "display_name": f"成员{i}", "skill_tags": [],
                        "grid_code": grid.code, "community_code": grid.community,
                        "street_code": grid.street, "on_duty": rng.random() < 0.85,
                        "capacity": rng.choice((1, 2, 3)), "active_count": 0, "points": 0,
                        "rating_sum": 0, "rating_count": 0, "joined_at": T0})
        held = {rng.choices(skills, weights)[0] for _ in range(rng.choice((1, 2, 2, 3)))}
        member_skills += [{"member_id": i, "skill": s, "street_code": grid.street, "score": 1.0,
                           "tag": s} for s in held]
    with engine.begin() as conn:
        for table, rows in ((Person, people), (Member, members), (MemberSkill, member_skills)):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[k:k + 5000])
    _analyze(engine)


def _analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


# 1. Routing throughput ---------------------------------------------------------------------------

def bench_throughput(backend: str, taxonomy: Taxonomy, settings: Settings, *, tickets: int,
                     members: int, workers: int = 1) -> dict[str, Any]:
    """submit → offers, one transaction per ticket as the bot does it, from `workers` threads."""
    geo = bench_geography()
    residents = 10_000
    items = list(taxonomy.items)
    grids = [g.code for g in geo.grids]
    with fresh_database(backend) as url:
        engine = db.make_engine(url, **({"pool_size": workers} if backend == "postgres" else {}))
        with db.transaction(engine) as s:
            sync_geography(s, geo)
        populate(engine, geo, taxonomy, members, residents)
        latencies: list[float] = []
        offered = [0]
        lock = threading.Lock()

        def work(w: int) -> None:
            rng = random.Random(w)
            mine = []
            count = 0
            for i in range(w, tickets, workers):
                now = T0 + timedelta(seconds=i * 3)
                t0 = time.perf_counter()
                with db.transaction(engine) as s:
                    t = submit_ticket(s, 10_000_000 + rng.randrange(residents), "基准测试工单",
                                      now, label=rng.choice(items), grid_code=rng.choice(grids),
                                      address="1号楼", settings=settings)
                    count += t.wave > 0
                mine.append(time.perf_counter() - t0)
            with lock:
                latencies.extend(mine)
                offered[0] += count

        threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        engine.dispose()
    latencies.sort()
    return {"backend": backend, "workers": workers, "tickets": tickets, "members": members,
            "seconds": round(elapsed, 2), "tickets_per_s": round(tickets / elapsed, 1),
            "offered_share": round(offered[0] / tickets, 3),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2)}


def bench_candidates(backend: str, taxonomy: Taxonomy, sizes: Sequence[int], *,
                     per_street: int | None = None, queries: int = 300) -> list[dict[str, Any]]:
    """The candidate query alone as the membership grows. `per_street`: members are spread
    over as many streets as needed to keep about that many per street (None: one street)."""
    rng = random.Random(3)
    items = list(taxonomy.items.values())
    results = []
    for size in sizes:
        streets = max(1, size // per_street) if per_street else 1
        geo = bench_geography(streets=streets)
        with fresh_database(backend) as url:
            engine = db.make_engine(url)
            with db.transaction(engine) as s:
                sync_geography(s, geo)
            populate(engine, geo, taxonomy, size, 0, seed=size)
            latencies, found = [], 0
            for q in range(queries + 20):
                item, grid = rng.choice(items), rng.choice(geo.grids)
                t0 = time.perf_counter()
                with db.transaction(engine) as s:
                    ranked = find_candidates(s, ticket_id=None, skills=item.skills,
                                             grid=grid.code, community=grid.community,
                                             street=grid.street, now=T0 + timedelta(seconds=q),
                                             limit=3)
                if q >= 20:  # the first few warm the caches and prepared statements
                    latencies.append(time.perf_counter() - t0)
                    found += len(ranked)
            engine.dispose()
        latencies.sort()
        results.append({"backend": backend, "members": size, "streets": streets,
                        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
                        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
                        "avg_found": round(found / queries, 2)})
    return results


# 2. Statistics ---------------------------------------------------------------------------------

def bench_stats(backend: str, taxonomy: Taxonomy, n_tickets: int) -> dict[str, Any]:
    """The four rates over `n_tickets` bulk-inserted tickets spread over a year."""
    geo = bench_geography()
    rng = random.Random(4)
    items = list(taxonomy.items.values())
    with fresh_database(backend) as url:
        engine = db.make_engine(url)
        with db.transaction(engine) as s:
            sync_geography(s, geo)
        populate(engine, geo, taxonomy, 1000, 5000)
        rows, alerts = [], []
        for i in range(1, n_tickets + 1):
            item = rng.choice(items + [None] * 3)
            grid = rng.choice(geo.grids)
            created = T0 + timedelta(seconds=rng.uniform(0, 365 * 86400))
            cls = taxonomy.classes[item.time_class if item else "normal"]
            respond_due, resolve_due = created + cls.respond, created + cls.resolve
            fate = rng.random()
            accepted = created + cls.respond * rng.uniform(0.1, 1.4) if fate < 0.9 else None
            resolved = (accepted + (cls.resolve - cls.respond) * rng.uniform(0.1, 1.3)
                        if accepted and fate < 0.8 else None)
            status = ("cancelled" if fate > 0.97 else "closed" if resolved else
                      "in_progress" if accepted else "dispatch")
            rows.append({
                "id": i, "number": f"B{i:07d}", "resident_id": 10_000_000 + rng.randrange(5000),
                "text": "统计基准", "normalized_text": "", "label": item.label if item else None,
                "category": item.category if item else None, "urgent": False,
                "time_class": cls.code, "status": status, "grid_code": grid.code,
                "community_code": grid.community, "street_code": grid.street, "address": "",
                "attachments": [], "resolution_attachments": [], "resolution_note": "",
                "wave": 1, "escalation_level": 0, "reopen_count": 0,
                "rating": rng.choice((1, 2, 3, 4, 5, 5, 5)) if resolved and rng.random() < 0.6
                else None,
                "created_at": created, "accepted_at": accepted, "resolved_at": resolved,
                "respond_due_at": respond_due, "resolve_due_at": resolve_due,
                "updated_at": created, "version": 1})
            if rng.random() < 0.03:
                alerts.append({"ticket_id": i, "limit_kind": "resolve", "level": "red",
                               "escalation_level": 1, "created_at": resolve_due})
        load_started = time.perf_counter()
        with engine.begin() as conn:
            for k in range(0, len(rows), 5000):
                conn.execute(insert(Ticket), rows[k:k + 5000])
            if alerts:
                conn.execute(insert(Alert), alerts)
        load_s = time.perf_counter() - load_started
        _analyze(engine)
        now = T0 + timedelta(days=400)
        year = (T0, T0 + timedelta(days=366))
        timings: dict[str, list[float]] = {"street_year": [], "by_category": [],
                                           "by_community": [], "grid_quarter": []}
        result = None
        for _ in range(5):
            with db.transaction(engine) as s:
                t0 = time.perf_counter()
                result = compute_stats(s, "S01", *year, now)
                timings["street_year"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                stats_by(s, "S01", *year, now, by="category")
                timings["by_category"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                stats_by(s, "S01", *year, now, by="child")
                timings["by_community"].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                compute_stats(s, "S01-C01-G01", T0, T0 + timedelta(days=91), now)
                timings["grid_quarter"].append(time.perf_counter() - t0)
        engine.dispose()
    assert result is not None
    return {"backend": backend, "tickets": n_tickets, "bulk_load_s": round(load_s, 2),
            **{f"{k}_ms": round(statistics.median(v) * 1000, 1) for k, v in timings.items()},
            "rates": {k: v for k, v in result.as_dict().items() if k.endswith("_rate")}}


# 3. The accept race ------------------------------------------------------------------------------

def bench_race(taxonomy: Taxonomy, settings: Settings, *, rounds: int, racers: int = 50
               ) -> dict[str, Any]:
    """`racers` members accept one ticket at the same instant, `rounds` times, on PostgreSQL."""
    settings = settings.model_copy(update={"WAVE_SIZE": racers})
    geo = bench_geography(1, 1)
    with fresh_database("postgres") as url:
        engine = db.make_engine(url, pool_size=racers, max_overflow=5)
        with db.transaction(engine) as s:
            sync_geography(s, geo)
        populate(engine, geo, taxonomy, 0, 1)
        rows = [{"telegram_id": 30_000_000 + i, "name": f"抢单{i}", "created_at": T0}
                for i in range(racers)]
        members = [{"id": i + 1, "telegram_id": 30_000_000 + i, "display_name": f"抢单{i}",
                    "skill_tags": ["水暖"], "grid_code": "S01-C01-G01",
                    "community_code": "S01-C01", "street_code": "S01", "on_duty": True,
                    "capacity": rounds + 1, "active_count": 0, "points": 0, "rating_sum": 0,
                    "rating_count": 0, "joined_at": T0} for i in range(racers)]
        skills = [{"member_id": i + 1, "skill": "水暖", "street_code": "S01", "score": 1.0,
                   "tag": "水暖"} for i in range(racers)]
        with engine.begin() as conn:
            conn.execute(insert(Person), rows)
            conn.execute(insert(Member), members)
            conn.execute(insert(MemberSkill), skills)
        telegram_ids = [r["telegram_id"] for r in rows]
        exactly_one = ties = 0
        anomalies: list[str] = []
        durations = []
        for r in range(rounds):
            now = T0 + timedelta(minutes=r)
            with db.transaction(engine) as s:
                tid = submit_ticket(s, 10_000_000, "水管爆了", now, label="repair.plumbing",
                                    grid_code="S01-C01-G01", settings=settings).id
            t0 = time.perf_counter()
            res = race_accept(engine, tid, telegram_ids, now + timedelta(seconds=30))
            durations.append(time.perf_counter() - t0)
            ok = len(res.winners) == 1 and res.taken == racers - 1 and not res.other
            exactly_one += ok
            ties += res.taken_at_update
            if not ok:
                anomalies.append(f"round {r}: winners={res.winners} other={dict(res.other)}")
        engine.dispose()
    return {"rounds": rounds, "racers": racers, "exactly_one_winner": exactly_one,
            "losers_at_update": ties, "losers_total": rounds * (racers - 1),
            "median_race_ms": round(statistics.median(durations) * 1000, 1),
            "anomalies": anomalies[:5]}


# Main --------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m routing.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--only", choices=("throughput", "candidates", "stats", "race"),
                        action="append", help="run only these parts (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    parts = set(args.only or ("throughput", "candidates", "stats", "race"))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    settings = Settings(_env_file=None)
    taxonomy = config.get_taxonomy(settings)
    q = args.quick
    report: dict[str, Any] = {"machine": machine(PG_URL if "postgres" in backends else None)}
    if not args.json:
        print("machine: " + ", ".join(f"{k}={v}" for k, v in report["machine"].items()),
              flush=True)

    def emit(key: str, value: Any) -> None:
        report.setdefault(key, []).append(value)
        if not args.json:
            print(f"{key}: {json.dumps(value, ensure_ascii=False)}", flush=True)

    for backend in backends:
        if "throughput" in parts:
            for workers in (1, 8) if backend == "postgres" else (1,):
                emit("throughput", bench_throughput(backend, taxonomy, settings,
                                                    tickets=1000 if q else 10_000,
                                                    members=5000, workers=workers))
        if "candidates" in parts:
            sizes = (500, 5000) if q else (500, 5000, 50_000)
            for row in bench_candidates(backend, taxonomy, sizes):  # one street: worst case
                emit("candidate_query", row)
            # As deployed: streets of ~5,000 members (the query reads the ticket's street only).
            for row in bench_candidates(backend, taxonomy, [n for n in sizes if n > 5000],
                                        per_street=5000):
                emit("candidate_query", row)
        if "stats" in parts:
            emit("stats", bench_stats(backend, taxonomy, 10_000 if q else 100_000))
    if "race" in parts and "postgres" in backends:
        emit("race", bench_race(taxonomy, settings, rounds=10 if q else 100))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
