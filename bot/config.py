"""The bot's settings: the routing settings plus what only Telegram needs (environment or `.env`)."""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import NoDecode

from routing.config import Settings, SettingsFileError, explain, read_settings

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_QUIET = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret_token
TELEGRAM_API = "https://api.telegram.org"


class BotSettings(Settings):
    """Everything the bot reads at start; a bad value stops it with one line naming the setting."""

    TELEGRAM_BOT_TOKEN: SecretStr | None = None  # none: the offline console chat
    TELEGRAM_BASE_URL: str = TELEGRAM_API
    COORDINATOR_IDS: Annotated[list[int], NoDecode] = Field(default_factory=list)
    COORDINATOR_SCOPE: str | None = None  # their scope (a street, community or grid code); none: the only street
    DELIVERY_INTERVAL_SECONDS: float = Field(default=2.0, gt=0, le=3600)  # (past an hour: a typo)
    QUIET_HOURS: str = "22:00-07:00"  # non-urgent member reminders wait until the end; 00:00-00:00 for none
    LOG_LEVEL: str = "INFO"
    # Webhook mode (`python -m bot --webhook`): this process listens on WEBHOOK_LISTEN:WEBHOOK_PORT at
    # WEBHOOK_PATH, behind a reverse proxy that terminates HTTPS; Telegram must send the secret token.
    # WEBHOOK_URL is the public address Telegram calls; a process that has it registers it with
    # setWebhook at start (give it to one worker, or to none when it is set elsewhere).
    WEBHOOK_LISTEN: str = "127.0.0.1"
    WEBHOOK_PORT: int = Field(default=8443, ge=1, le=65535)
    WEBHOOK_PATH: str = "/telegram"
    WEBHOOK_SECRET_TOKEN: SecretStr | None = None
    WEBHOOK_URL: str = ""
    # Telegram allows a bot about 30 messages a second in all, and each process paces itself: with
    # N workers give each 30/N. 0: no pacing (a test Bot API).
    TELEGRAM_MESSAGES_PER_SECOND: float = Field(default=30, ge=0)

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
        # (python-telegram-bot's documentation writes a local server's base_url with /bot; api_base_url adds it)
        return value.rstrip("/").removesuffix("/bot").rstrip("/")

    @field_validator("COORDINATOR_IDS", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            if not all(p.isascii() and p.isdigit() and 0 < int(p) < 2**63 for p in parts):
                raise ValueError("must be Telegram user ids separated by commas, e.g. 12345,67890")
            return [int(p) for p in parts]
        return value

    @field_validator("WEBHOOK_SECRET_TOKEN", mode="before")
    @classmethod
    def _secret_shape(cls, value: object) -> object:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or not _SECRET.match(value.strip()):
            raise ValueError("must be 1-256 characters A-Z, a-z, 0-9, _ or - (e.g. `openssl rand -hex 32`)")
        return value.strip()

    @field_validator("WEBHOOK_PATH")
    @classmethod
    def _path(cls, value: str) -> str:
        value = value.strip()
        if not value or any(c in value for c in " ?#"):
            raise ValueError("must be a URL path such as /telegram")
        return "/" + value.strip("/")

    @field_validator("WEBHOOK_URL")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (Telegram calls only HTTPS addresses)")
        return value.strip()

    @field_validator("QUIET_HOURS")
    @classmethod
    def _quiet(cls, value: str) -> str:
        match = _QUIET.match(value.replace(" ", ""))
        if not match or int(match[1]) > 23 or int(match[3]) > 23 or int(match[2]) > 59 or int(match[4]) > 59:
            raise ValueError("must look like 22:00-07:00")
        return value.replace(" ", "")

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

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


@cache
def get_bot_settings() -> BotSettings:
    """The process-wide bot settings, read once; raises SettingsError with a readable message."""
    try:
        return read_settings(BotSettings)
    except ValidationError as error:
        raise SettingsError(explain(error)) from None
    except SettingsFileError as error:
        raise SettingsError(str(error)) from None
