"""Routing simulation: our matcher against two baselines on the same members and tickets.

    python -m routing.simulate [--members 300] [--tickets 3000] [--seed 1] [--json]

N members with random skills (drawn in proportion to how often the taxonomy's items need them,
as a community recruits for its needs), home grids, duty and capacities; a stream of M tickets
over the taxonomy's items and grids. Every strategy offers in the same waves (WAVE_SIZE members,
WAVE_TIMEOUT, MAX_WAVES, then dispatch); a member answers each offer after a random delay,
accepting with a higher probability when the ticket matches their skills. A member's answer to a
given ticket is the same whichever strategy asked them, so strategies differ only in whom they
ask. Our matcher ranks with `routing.matching.score`, the same formula the database ranks with.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from classifier.taxonomy import Taxonomy
from routing.config import Settings, get_taxonomy
from routing.matching import (
    PROXIMITY_COMMUNITY,
    PROXIMITY_GRID,
    PROXIMITY_STREET,
    Candidate,
    score,
)

RESOLVE_HOURS = {"urgent": 1.0, "fast": 4.0, "normal": 12.0, "slow": 48.0}


@dataclass(frozen=True, slots=True)
class SimConfig:
    members: int = 300
    tickets: int = 3000
    days: float = 14.0
    communities: int = 4
    grids_per_community: int = 4
    on_duty: float = 0.85
    accept_skilled: float = 0.7  # P(accept) when the ticket matches the member's skills
    accept_unskilled: float = 0.25
    median_delay_min: float = 4.0
    seed: int = 1


@dataclass(slots=True)
class SimMember:
    index: int
    skills: frozenset[str]
    grid: str
    community: str
    on_duty: bool
    capacity: int
    busy_until: list[float] = field(default_factory=list)  # resolution times of held tickets
    last_assigned: float | None = None
    pending: int = 0  # offers waiting for this member's answer
    assigned: int = 0

    def load(self, now: float) -> int:
        """Tickets held at `now`."""
        return sum(1 for t in self.busy_until if t > now)


@dataclass(frozen=True, slots=True)
class SimTicket:
    index: int
    at: float  # seconds since the start
    skills: tuple[str, ...]
    grid: str
    community: str
    time_class: str


def make_world(cfg: SimConfig, taxonomy: Taxonomy) -> tuple[list[SimMember], list[SimTicket]]:
    """Members and the ticket stream, reproducible from the seed."""
    rng = random.Random(cfg.seed)
    grids = [(f"C{c}", f"C{c}-G{g}") for c in range(cfg.communities)
             for g in range(cfg.grids_per_community)]
    items = list(taxonomy.items.values())
    demand: dict[str, float] = {}
    for item in items:
        for skill in item.skills:
            demand[skill] = demand.get(skill, 0.0) + 1.0 / len(item.skills)
    skills, weights = list(demand), list(demand.values())
    members = []
    for i in range(cfg.members):
        held: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            held.add(rng.choices(skills, weights)[0])
        community, grid = rng.choice(grids)
        members.append(SimMember(i, frozenset(held), grid, community, rng.random() < cfg.on_duty,
                                 rng.choice((1, 2, 2, 3, 3, 3))))
    span = cfg.days * 86400
    tickets = []
    for j, at in enumerate(sorted(rng.uniform(0, span) for _ in range(cfg.tickets))):
        item = rng.choice(items)
        community, grid = rng.choice(grids)
        tickets.append(SimTicket(j, at, item.skills, grid, community, item.time_class))
    return members, tickets


def _answer(cfg: SimConfig, ticket: SimTicket, member: SimMember) -> tuple[bool, float]:
    """(accepts?, delay in seconds): fixed per (ticket, member), whoever asks."""
    rng = random.Random(cfg.seed * 1_000_003 + ticket.index * 7919 + member.index)
    skilled = bool(member.skills & set(ticket.skills))
    accepts = rng.random() < (cfg.accept_skilled if skilled else cfg.accept_unskilled)
    delay = rng.lognormvariate(math.log(cfg.median_delay_min * 60), 1.0)
    return accepts, delay


def _resolve_seconds(cfg: SimConfig, ticket: SimTicket) -> float:
    rng = random.Random(cfg.seed * 31 + ticket.index)
    return rng.lognormvariate(math.log(RESOLVE_HOURS[ticket.time_class] * 3600), 0.5)


Chooser = Callable[[SimTicket, list[SimMember], float, int], list[SimMember]]


def matcher_chooser() -> Chooser:
    """Our ranking: skill holders only, best `routing.matching.score` first."""
    def choose(ticket: SimTicket, available: list[SimMember], now: float, k: int
               ) -> list[SimMember]:
        need = set(ticket.skills)
        ranked = []
        for m in available:
            if not m.skills & need:
                continue
            proximity = (PROXIMITY_GRID if m.grid == ticket.grid else PROXIMITY_COMMUNITY
                         if m.community == ticket.community else PROXIMITY_STREET)
            c = Candidate(m.index, 1.0, proximity, m.load(now), m.capacity,
                          None if m.last_assigned is None else now - m.last_assigned,
                          m.pending)
            ranked.append((-score(c), m.index, m))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [m for _, _, m in ranked[:k]]
    return choose


def random_chooser(seed: int) -> Chooser:
    """Baseline: any available members, at random."""
    rng = random.Random(seed + 99)

    def choose(ticket: SimTicket, available: list[SimMember], now: float, k: int
               ) -> list[SimMember]:
        return rng.sample(available, min(k, len(available)))
    return choose


def round_robin_chooser(n_members: int) -> Chooser:
    """Baseline: the next available members in a fixed rotation."""
    state = {"next": 0}

    def choose(ticket: SimTicket, available: list[SimMember], now: float, k: int
               ) -> list[SimMember]:
        if not available:
            return []
        ordered = sorted(available, key=lambda m: (m.index - state["next"]) % n_members)
        chosen = ordered[:k]
        state["next"] = (chosen[-1].index + 1) % n_members
        return chosen
    return choose


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (0: all equal)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


def run(cfg: SimConfig, taxonomy: Taxonomy, settings: Settings, strategy: str
        ) -> dict[str, float]:
    """Simulate one strategy; returns the figures of the issue."""
    members, tickets = make_world(cfg, taxonomy)
    choose = {"matcher": matcher_chooser(), "random": random_chooser(cfg.seed),
              "round_robin": round_robin_chooser(len(members))}[strategy]
    wave_timeout = settings.wave_timeout.total_seconds()
    # Events: (time, order, kind, ticket index, member index or wave number)
    events: list[tuple[float, int, str, int, int]] = []
    seq = 0

    def push(at: float, kind: str, ticket: int, arg: int) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, ticket, arg))

    for t in tickets:
        push(t.at, "arrive", t.index, 0)
    offered: dict[int, set[int]] = {}
    pending: dict[int, set[int]] = {}
    waves: dict[int, int] = {}
    done: dict[int, tuple[str, float, int | None]] = {}  # ticket → (outcome, seconds, member)

    def finish(t: SimTicket, outcome: str, now: float, member: int | None) -> None:
        done[t.index] = (outcome, now - t.at, member)
        for mi in pending[t.index]:  # the other offers are withdrawn
            members[mi].pending -= 1
        pending[t.index].clear()

    def send_wave(t: SimTicket, now: float) -> None:
        timeout = min(wave_timeout, settings.scaled(
            taxonomy.classes[t.time_class].respond).total_seconds() / (settings.MAX_WAVES + 1))
        if waves[t.index] >= settings.MAX_WAVES:
            finish(t, "dispatch", now, None)
            return
        available = [m for m in members if m.on_duty and m.load(now) < m.capacity
                     and m.index not in offered[t.index]]
        chosen = choose(t, available, now, settings.WAVE_SIZE)
        if not chosen and not pending[t.index]:
            finish(t, "dispatch", now, None)
            return
        waves[t.index] += 1
        for m in chosen:
            offered[t.index].add(m.index)
            pending[t.index].add(m.index)
            m.pending += 1
            _, delay = _answer(cfg, t, m)
            push(now + delay, "answer", t.index, m.index)
        push(now + timeout, "timeout", t.index, waves[t.index])

    while events:
        now, _, kind, ti, arg = heapq.heappop(events)
        t = tickets[ti]
        if kind == "arrive":
            offered[ti], pending[ti], waves[ti] = set(), set(), 0
            send_wave(t, now)
            continue
        if ti in done:
            continue
        if kind == "timeout":
            if arg == waves[ti]:
                send_wave(t, now)
            continue
        m = members[arg]
        pending[ti].discard(arg)
        m.pending -= 1
        accepts, _ = _answer(cfg, t, m)
        if accepts and m.load(now) < m.capacity:
            finish(t, "accepted", now, m.index)
            m.busy_until.append(now + _resolve_seconds(cfg, t))
            m.last_assigned = now
            m.assigned += 1
        elif not pending[ti]:
            send_wave(t, now)  # everyone asked so far said no: next wave at once

    accepted = [(secs, mi) for outcome, secs, mi in done.values() if outcome == "accepted"]
    skilled = sum(1 for ti, (outcome, _, mi) in done.items() if outcome == "accepted"
                  and members[mi].skills & set(tickets[ti].skills))
    times = sorted(secs for secs, _ in accepted)
    return {
        "skill_match": round(skilled / len(tickets), 4),
        "p50_accept_s": round(statistics.median(times), 1) if times else None,
        "p90_accept_s": round(times[int(0.9 * (len(times) - 1))], 1) if times else None,
        "to_dispatch": round(sum(1 for o, _, _ in done.values() if o == "dispatch")
                             / len(tickets), 4),
        "gini": round(gini([m.assigned for m in members]), 4),
    }


def simulate(cfg: SimConfig, settings: Settings | None = None,
             taxonomy: Taxonomy | None = None) -> dict[str, dict[str, float]]:
    """All three strategies on the same world."""
    settings = settings or Settings(_env_file=None)
    taxonomy = taxonomy or get_taxonomy(settings)
    return {s: run(cfg, taxonomy, settings, s) for s in ("matcher", "random", "round_robin")}


def format_table(result: dict[str, dict[str, float]], cfg: SimConfig) -> str:
    """The figures as a text table."""
    lines = [f"routing simulation: {cfg.members} members, {cfg.tickets} tickets over "
             f"{cfg.days:g} days, seed {cfg.seed}",
             f"{'strategy':<12} {'skill_match':>11} {'p50_accept':>11} {'p90_accept':>11} "
             f"{'to_dispatch':>11} {'gini':>6}"]
    for name, r in result.items():
        def fmt(s: float | None) -> str:
            return "-" if s is None else str(timedelta(seconds=round(s)))
        lines.append(f"{name:<12} {r['skill_match']:>11.1%} {fmt(r['p50_accept_s']):>11} "
                     f"{fmt(r['p90_accept_s']):>11} {r['to_dispatch']:>11.1%} {r['gini']:>6.3f}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m routing.simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = SimConfig()
    parser.add_argument("--members", type=int, default=default.members)
    parser.add_argument("--tickets", type=int, default=default.tickets)
    parser.add_argument("--days", type=float, default=default.days)
    parser.add_argument("--seed", type=int, default=default.seed)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    cfg = SimConfig(members=args.members, tickets=args.tickets, days=args.days, seed=args.seed)
    result = simulate(cfg)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_table(result, cfg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
