"""Run the bot: `python -m bot` (long polling), or an offline console chat when no token is set."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot import demo
from bot.app import build_application, make_deps
from bot.config import BotSettings, SettingsError, get_bot_settings
from classifier.taxonomy import TaxonomyError
from routing import bootstrap, db
from routing.demo import seed_demo
from routing.geography import GeographyError

log = logging.getLogger("bot")


def configure_logging(level: str) -> None:
    """Plain logs; httpx's request lines are silenced because their URLs contain the bot token."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def start_domain(settings: BotSettings) -> Engine:
    """Migrations, geography and the configured coordinators; a clear line and exit on failure."""
    try:
        return bootstrap.start(settings, coordinator_ids=settings.COORDINATOR_IDS)
    except (TaxonomyError, GeographyError) as error:
        sys.exit(f"jiedan: {error}")
    except SQLAlchemyError as error:
        reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
        sys.exit(f"jiedan: database unavailable ({settings.DATABASE_URL.split('@')[-1]}): {reason}")


def run_console(settings: BotSettings) -> None:
    """No token: the same Application on an in-process Bot API, with demo people at the keyboard."""
    from bot.console import run_console as console

    engine = start_domain(settings)
    with db.transaction(engine) as session:
        seed_demo(session, datetime.now(UTC), settings=settings)
    app_deps = make_deps(settings, engine)
    print("未设置 TELEGRAM_BOT_TOKEN：启动离线演示对话（SQLite 演示数据）。输入 :help 查看用法，:quit 退出。")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(console(lambda request: build_application(settings, app_deps, request), demo.people()))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.parse_args(argv)
    try:
        settings = get_bot_settings()
    except SettingsError as error:
        print(f"jiedan: {error}", file=sys.stderr)
        return 2
    if settings.TELEGRAM_BOT_TOKEN is None:
        configure_logging("WARNING")  # the console shows the chat; only problems are logged
        run_console(settings)
        return 0
    configure_logging(settings.LOG_LEVEL)
    engine = start_domain(settings)
    app = build_application(settings, make_deps(settings, engine))
    log.info("bot starting (long polling, Bot API at %s)", settings.TELEGRAM_BASE_URL)
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
