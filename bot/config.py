"""The bot's settings: the routing settings plus what only Telegram needs (environment or `.env`)."""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import NoDecode

from routing.config import Settings

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_QUIET = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class BotSettings(Settings):
    """Everything the bot reads at start; a bad value stops it with one line naming the setting."""

    TELEGRAM_BOT_TOKEN: SecretStr | None = None  # none: the offline console chat
    TELEGRAM_BASE_URL: str = "https://api.telegram.org"
    COORDINATOR_IDS: Annotated[list[int], NoDecode] = Field(default_factory=list)
    DELIVERY_INTERVAL_SECONDS: float = Field(default=2.0, gt=0)
    QUIET_HOURS: str = "22:00-07:00"  # non-urgent member reminders wait until the end
    LOG_LEVEL: str = "INFO"

    @field_validator("TELEGRAM_BOT_TOKEN", mode="before")
    @classmethod
    def _token_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _TOKEN.match(value.strip()):
            raise ValueError("does not look like a bot token (digits:letters, from @BotFather)")
        return value.strip()

    @field_validator("TELEGRAM_BASE_URL")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("COORDINATOR_IDS", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.isdigit() for p in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 12345,67890")
            return [int(p) for p in parts]
        return value

    @field_validator("QUIET_HOURS")
    @classmethod
    def _quiet(cls, value: str) -> str:
        match = _QUIET.match(value.replace(" ", ""))
        if not match or int(match[1]) > 23 or int(match[3]) > 23:
            raise ValueError("must look like 22:00-07:00")
        return value.replace(" ", "")

    @property
    def quiet_hours(self) -> tuple[time, time]:
        """Start and end of the quiet hours, local time."""
        start, end = self.QUIET_HOURS.split("-")
        return time.fromisoformat(start.zfill(5)), time.fromisoformat(end.zfill(5))

    @property
    def api_base_url(self) -> str:
        """What PTB gets as base_url: requests go to <TELEGRAM_BASE_URL>/bot<token>/<method>."""
        return f"{self.TELEGRAM_BASE_URL}/bot"

    @property
    def api_base_file_url(self) -> str:
        """What PTB gets as base_file_url."""
        return f"{self.TELEGRAM_BASE_URL}/file/bot"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line saying which and how to fix it."""


def explain(error: ValidationError) -> str:
    """One line per bad setting, naming it."""
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        lines.append(f"setting {name}: {problem['msg']} — fix it in the environment or in .env")
    return "; ".join(lines)


@cache
def get_bot_settings() -> BotSettings:
    """The process-wide bot settings, read once; raises SettingsError with a readable message."""
    try:
        return BotSettings()
    except ValidationError as error:
        raise SettingsError(explain(error)) from None
