"""Run the bot: `python -m bot` (long polling), `python -m bot --webhook` (a webhook worker; several
may share one PostgreSQL database), or an offline console chat when no token is set."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import demo, serving
from bot.app import ALLOWED_UPDATES, build_application, make_deps
from bot.config import BotSettings, SettingsError, get_bot_settings
from bot.delivery import delivering
from classifier.taxonomy import TaxonomyError
from routing import bootstrap, db, members
from routing.demo import seed_demo
from routing.errors import DomainError
from routing.geography import GeographyError

log = logging.getLogger("bot")
CONSOLE_DATABASE = "console.db"  # (in DATA_DIR)


def configure_logging(level: str) -> None:
    """Plain logs; httpx's request lines are silenced because their URLs contain the bot token."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # PTB's debug lines carry request parameters and updates: people's messages, the webhook secret.
    telegram = logging.getLogger("telegram")
    telegram.setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))


def start_domain(settings: BotSettings) -> Engine:
    """Migrations, geography and the configured coordinators; a clear line and exit on failure."""
    try:  # (workers started together take turns: see db.one_at_a_time)
        return bootstrap.start(settings, coordinator_ids=settings.COORDINATOR_IDS,
                               coordinator_scope=settings.COORDINATOR_SCOPE)
    except (TaxonomyError, GeographyError) as error:
        sys.exit(f"jiedan: {error}")
    except DomainError as error:  # (COORDINATOR_IDS with several streets and no COORDINATOR_SCOPE)
        sys.exit(f"jiedan: setting COORDINATOR_IDS / COORDINATOR_SCOPE: {error}")
    except (SQLAlchemyError, CommandError, ValueError, ImportError) as error:  # (a port typo, no driver, a newer schema)
        sys.exit(f"jiedan: {db.database_problem(error, settings.DATABASE_URL)}")
    except OSError as error:  # (the SQLite file's directory cannot be made: DATABASE_URL's, by default in DATA_DIR)
        failed = Path(error.filename).resolve() if error.filename else None
        if failed is None or failed.is_relative_to(settings.DATA_DIR.resolve()):
            sys.exit(f"jiedan: setting DATA_DIR ({settings.DATA_DIR}): {error.strerror or error}")
        sys.exit(f"jiedan: setting DATABASE_URL ({failed}): {error.strerror or error}")


def run_console(settings: BotSettings) -> None:
    """No token: the same Application on an in-process Bot API, with demo people at the keyboard, on its own SQLite
    database (DATA_DIR/console.db): the demo people never go into the configured one, which the real bot uses."""
    from bot.console import run_console as console

    settings = settings.model_copy(update={"DATABASE_URL": f"sqlite:///{settings.DATA_DIR / CONSOLE_DATABASE}"})
    engine = start_domain(settings)
    with db.transaction(engine) as session:
        seed_demo(session, datetime.now(UTC), scope=settings.COORDINATOR_SCOPE, settings=settings)
    app_deps = make_deps(settings, engine)
    print("未设置 TELEGRAM_BOT_TOKEN：启动离线演示对话（SQLite 演示数据）。输入 :help 查看用法，:quit 退出。")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(console(lambda request: build_application(settings, app_deps, request), demo.people(),
                            busy=delivering))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--webhook", action="store_true", help="serve Telegram's webhook (WEBHOOK_* settings), not polling"
    )
    args = parser.parse_args(argv)
    try:
        settings = get_bot_settings()
    except SettingsError as error:
        print(f"jiedan: {error}", file=sys.stderr)
        return 2
    if args.webhook and (problem := webhook_problem(settings)):
        print(f"jiedan: {problem}", file=sys.stderr)
        return 2
    if settings.TELEGRAM_BOT_TOKEN is None:
        configure_logging("WARNING")  # the console shows the chat; only problems are logged
        run_console(settings)
        return 0
    configure_logging(settings.LOG_LEVEL)
    engine = start_domain(settings)
    with db.transaction(engine) as session:
        if not members.any_coordinator(session):
            log.warning("no coordinator at all: nobody gets urgent alerts or 派单 and red cards, and nobody can /invite "
                        "members — set COORDINATOR_IDS (Telegram user ids, comma-separated) and restart")
    app = build_application(settings, make_deps(settings, engine))
    if args.webhook:
        log.info(
            "bot starting (webhook on %s:%d%s, %s, Bot API at %s)",
            settings.WEBHOOK_LISTEN,
            settings.WEBHOOK_PORT,
            settings.WEBHOOK_PATH,
            f"registering {settings.WEBHOOK_URL}" if settings.WEBHOOK_URL else "not calling setWebhook",
            settings.TELEGRAM_BASE_URL,
        )
    else:
        log.info("bot starting (long polling, Bot API at %s)", settings.TELEGRAM_BASE_URL)
    try:
        serving.run(app, settings, ALLOWED_UPDATES, webhook=args.webhook)
    except serving.StartError as error:
        print(f"jiedan: {error}", file=sys.stderr)
        return 1
    return 0


def webhook_problem(settings: BotSettings) -> str | None:
    """What is missing for webhook mode, as one line naming the setting; None when ready."""
    if settings.TELEGRAM_BOT_TOKEN is None:
        return "setting TELEGRAM_BOT_TOKEN: required with --webhook — set it in the environment or in .env"
    if settings.WEBHOOK_SECRET_TOKEN is None:
        return (
            "setting WEBHOOK_SECRET_TOKEN: required with --webhook (Telegram sends it with every update; "
            "e.g. `openssl rand -hex 32`) — set it in the environment or in .env"
        )
    return None


if __name__ == "__main__":
    sys.exit(main())
