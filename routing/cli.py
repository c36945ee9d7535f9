"""`jiedan`: database migrations and maintenance for the routing domain.

    jiedan db upgrade [REVISION]             apply migrations (DATABASE_URL or --url)
    jiedan db downgrade REVISION             undo migrations (e.g. base)
    jiedan db current                        show the database's revision
    jiedan geography check [FILE]            validate a geography file
    jiedan geography sync                    upsert GEOGRAPHY_FILE into the database (what every start does)
    jiedan seed-demo [--coordinator ID ...]  migrate, sync, coordinators, demo members
    jiedan invite --coordinator ID           print a one-time member invite code
    jiedan coordinator remove ID [--scope S] take the coordinator role away (of every scope, or of S)
    jiedan advance-waves                     one scheduler step: send due offer waves
    jiedan stats [--scope S01] [--days 30]   the four rates, as JSON
    jiedan simulate ... / jiedan bench ...   see python -m routing.simulate / routing.bench
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from alembic.util.exc import CommandError
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from classifier.taxonomy import TaxonomyError
from routing import db
from routing.config import Settings, SettingsFileError, explain, get_settings
from routing.errors import DomainError
from routing.geography import DEFAULT_GEOGRAPHY_FILE, GeographyError, load_geography, sync_geography


@contextmanager
def _session(settings: Settings, engine: Engine | None = None) -> Iterator[Session]:
    """One transaction on the configured database; the engine is disposed afterwards."""
    engine = engine or db.make_engine(settings.DATABASE_URL)
    try:
        with db.transaction(engine) as session:
            yield session
    finally:
        engine.dispose()


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "url", None):
        settings = settings.model_copy(update={"DATABASE_URL": args.url})
    return settings


def cmd_db(args: argparse.Namespace) -> int:
    """db upgrade / downgrade / current."""
    url = _settings(args).DATABASE_URL
    if args.action == "upgrade":
        with db.one_at_a_time(url):  # (in turn with bot workers starting meanwhile)
            db.upgrade(url, args.revision)
        print(f"database at {db.current_revision(url)}")
    elif args.action == "downgrade":
        if not args.revision or args.revision == "head":
            print("give the revision to go down to, e.g. base", file=sys.stderr)
            return 2
        with db.one_at_a_time(url):
            db.downgrade(url, args.revision)
        print(f"database at {db.current_revision(url) or 'base (empty)'}")
    else:
        print(db.current_revision(url) or "base (empty)")
    return 0


def cmd_geography(args: argparse.Namespace) -> int:
    """geography check / sync."""
    settings = _settings(args)
    geo = load_geography(args.file or settings.GEOGRAPHY_FILE)
    if args.action == "check":
        print(f"{geo.source}: {len(geo.streets)} street(s), {len(geo.grids)} grid(s), ok")
        return 0
    with _session(settings) as session:
        print(f"{sync_geography(session, geo)} node(s) inserted or changed")
    configured = settings.GEOGRAPHY_FILE or DEFAULT_GEOGRAPHY_FILE
    if geo.source.resolve() != configured.resolve():  # (every start syncs GEOGRAPHY_FILE, deactivating the rest)
        print(f"jiedan: note: the bot and seed-demo sync GEOGRAPHY_FILE ({configured}) at every start, which undoes "
              f"this: set GEOGRAPHY_FILE={geo.source.resolve()} in the environment or in .env", file=sys.stderr)
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    """Migrate, sync geography, add coordinators and a few demo members (idempotent)."""
    from routing import bootstrap
    from routing.demo import seed_demo

    settings = _settings(args)
    now = datetime.now(UTC)
    with _session(settings, bootstrap.start(settings, now=now)) as session:
        added = seed_demo(session, now, coordinator_ids=args.coordinator, scope=args.scope, settings=settings)
    print(f"demo data ready; {added} demo member(s) added")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Print a one-time invite code created by a coordinator."""
    from routing import members

    settings = _settings(args)
    with _session(settings) as session:
        invite = members.create_invite(session, args.coordinator, datetime.now(UTC),
                                       settings=settings)
    print(f"{invite.code} (valid until {invite.expires_at.astimezone(settings.tz):%Y-%m-%d %H:%M})")
    return 0


def cmd_coordinator(args: argparse.Namespace) -> int:
    """coordinator remove: the operator takes the role away (a COORDINATOR_IDS typo, someone who left)."""
    from routing import members

    with _session(_settings(args)) as session:
        removed = members.drop_coordinator(session, args.id, args.scope)
    if not removed:
        return _fail(f"user {args.id} is not a coordinator{f' of {args.scope}' if args.scope else ''}")
    print(f"user {args.id}: {removed} coordinator scope(s) removed (if listed in COORDINATOR_IDS, take them out too: "
          "the bot makes those coordinators again at its next start)")
    return 0


def cmd_advance_waves(args: argparse.Namespace) -> int:
    """Send the next wave for tickets whose wave timed out (what the scheduler runs)."""
    from routing.dispatch import advance_waves

    settings = _settings(args)
    with _session(settings) as session:
        print(f"{advance_waves(session, datetime.now(UTC), settings=settings)} ticket(s) advanced")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """The four rates for a scope over the last N days, as JSON."""
    from routing.stats import compute_stats, stats_by

    settings = _settings(args)
    now = datetime.now(UTC)
    start = now - timedelta(days=args.days)
    with _session(settings) as session:
        whole = compute_stats(session, args.scope, start, now, now)
        parts = stats_by(session, args.scope, start, now, now, by="category")
    print(json.dumps({"scope": args.scope, "days": args.days, "total": whole.as_dict(),
                      "by_category": [p.as_dict() for p in parts]}, ensure_ascii=False, indent=1))
    return 0


def _telegram_id(value: str) -> int:
    """A Telegram user id (a positive whole number that fits the database)."""
    number = int(value)
    if not 0 < number < 2**63:
        raise argparse.ArgumentTypeError("not a Telegram user id")
    return number


def _days(value: str) -> int:
    """--days: a whole number of days, 1 to 3650."""
    days = int(value)
    if not 1 <= days <= 3650:
        raise argparse.ArgumentTypeError("must be 1–3650 days")
    return days


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `jiedan`."""
    parser = argparse.ArgumentParser(prog="jiedan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("db", help="migrations")
    p.add_argument("action", choices=("upgrade", "downgrade", "current"))
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--url", help="database URL (default: DATABASE_URL)")
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("geography", help="check or sync the geography file")
    p.add_argument("action", choices=("check", "sync"))
    p.add_argument("file", nargs="?")
    p.add_argument("--url")
    p.set_defaults(func=cmd_geography)

    p = sub.add_parser("seed-demo", help="demo data: coordinators and a few members")
    p.add_argument("--coordinator", type=_telegram_id, action="append")
    p.add_argument("--scope", help="the coordinators' node code (default: the first street)")
    p.add_argument("--url")
    p.set_defaults(func=cmd_seed_demo)

    p = sub.add_parser("invite", help="create a member invite code")
    p.add_argument("--coordinator", type=_telegram_id, required=True)
    p.add_argument("--url")
    p.set_defaults(func=cmd_invite)

    p = sub.add_parser("coordinator", help="take a user's coordinator role away")
    p.add_argument("action", choices=("remove",))
    p.add_argument("id", type=_telegram_id)
    p.add_argument("--scope", help="only this node code (default: every scope)")
    p.add_argument("--url")
    p.set_defaults(func=cmd_coordinator)

    p = sub.add_parser("advance-waves", help="send due offer waves once")
    p.add_argument("--url")
    p.set_defaults(func=cmd_advance_waves)

    p = sub.add_parser("stats", help="the four rates as JSON")
    p.add_argument("--scope", default=None)
    p.add_argument("--days", type=_days, default=30)
    p.add_argument("--url")
    p.set_defaults(func=cmd_stats)

    sub.add_parser("simulate", help="python -m routing.simulate", add_help=False)
    sub.add_parser("bench", help="python -m routing.bench", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `jiedan` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("simulate", "bench"):
        from routing import bench, simulate

        return (simulate.main if argv[0] == "simulate" else bench.main)(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationError as exc:  # (a setting: named, one line)
        return _fail(explain(exc))
    except (DomainError, GeographyError, TaxonomyError, SettingsFileError) as exc:
        return _fail(str(exc))
    except (SQLAlchemyError, CommandError, ImportError, ValueError) as exc:  # (a URL with a typo, no driver, …)
        return _fail(db.database_problem(exc, _settings(args).DATABASE_URL))
    except OSError as exc:  # (the SQLite file's directory cannot be made, a file cannot be read)
        return _fail(f"{exc.strerror or _first_line(exc)}: {exc.filename or ''} — check DATA_DIR and the files named")
    except OverflowError as exc:
        return _fail(_first_line(exc))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _fail(message: str) -> int:
    """An operator's mistake: one line on stderr, exit 1."""
    print(f"jiedan: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
