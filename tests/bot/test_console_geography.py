"""`make run` without TELEGRAM_BOT_TOKEN: the offline console with demo people (README, "Without a token").
Found by a review of a new user's first run in the thirty-fourth session (each test failed before; its docstring tells the bug as it was found)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.__main__ as bot_main
import bot.console
from bot.config import BotSettings
from routing.errors import DomainError

OWN_GEOGRAPHY = """
[[street]]
code = "JD01"
name = "东城街道"

[[street.community]]
code = "JD01-SQ01"
name = "和谐社区"

[[street.community.grid]]
code = "JD01-SQ01-WG01"
name = "和谐第一网格"
"""


def test_console_starts_when_the_deployment_has_its_own_geography_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator has put the deployment's own street → community → grid tree in `.env`
    (`GEOGRAPHY_FILE=geo.toml`, README's configuration table; `jiedan geography check geo.toml` says ok) and, before
    getting a token from @BotFather, types `make run` to try the bot in the offline console, as the README's first
    command invites. Instead of the console they get a Python traceback ending in
    `routing.errors.NotFound: 未知的区域编码 'S01-C01-G01'`: `bot/__main__.py` run_console seeds the demo people
    (`routing/demo.py` seed_demo) with the shipped demo geography's codes (S01-C01-G01 …) into a database synced from
    the configured file, outside start_domain's one-line error handling. (With a geography of several streets it
    fails the same way, in ensure_coordinators.)"""
    geography = tmp_path / "geo.toml"
    geography.write_text(OWN_GEOGRAPHY, encoding="utf-8")
    settings = BotSettings(_env_file=None, DATA_DIR=tmp_path / "data", GEOGRAPHY_FILE=geography)
    chatted = []

    async def console(build, people, **_kwargs) -> None:  # (the chat itself is not under test)
        chatted.append(people)

    monkeypatch.setattr(bot.console, "run_console", console)
    monkeypatch.setattr(bot_main, "make_deps", lambda settings, engine: None)
    try:
        bot_main.run_console(settings)
    except SystemExit as stopped:  # a clear one-line refusal would be acceptable too
        assert isinstance(stopped.code, str) and "\n" not in stopped.code
        return
    except DomainError as error:
        pytest.fail(f"the console crashed with a traceback: {type(error).__name__}: {error}")
    assert chatted, "the console did not start"
