"""Settings read from the environment or a `.env` file (the bot subclasses `Settings`)."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.taxonomy import NOT_UTF8, Taxonomy, load_taxonomy


class Settings(BaseSettings):
    """Routing settings; every duration is multiplied by TIME_LIMIT_SCALE."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    DATA_DIR: Path = Path("data")
    DATABASE_URL: str = ""  # empty: sqlite:///<DATA_DIR>/jiedan.db
    # (the upper bounds: a value past them is a typo, and would overflow the date arithmetic or a database integer)
    TIME_LIMIT_SCALE: float = Field(default=1.0, gt=0, le=1000)
    TIMEZONE: str = "Asia/Shanghai"
    TAXONOMY_FILE: Path | None = None
    GEOGRAPHY_FILE: Path | None = None
    WAVE_SIZE: int = Field(default=3, ge=1, le=1000)
    WAVE_TIMEOUT_MINUTES: float = Field(default=10, gt=0, le=7 * 24 * 60)
    MAX_WAVES: int = Field(default=3, ge=1, le=100)
    MEMBER_CAPACITY: int = Field(default=3, ge=1, le=1_000_000)
    INVITE_TTL_DAYS: float = Field(default=7, gt=0, le=3650)
    OUTBOX_LEASE_SECONDS: int = Field(default=120, ge=1, le=24 * 60 * 60)
    OUTBOX_MAX_ATTEMPTS: int = Field(default=10, ge=1, le=1000)
    # Abuse (routing.abuse, routing.duplicates). A resident who has opened TICKETS_PER_HOUR tickets
    # in the last hour, or sent MESSAGES_PER_MINUTE free-text/photo messages in the current minute,
    # is asked to wait (urgent requests never are). The same resident's open ticket for the same
    # item and words, created within DUPLICATE_WINDOW_HOURS, is offered instead of a new one;
    # neighbours' near-identical requests within LINK_WINDOW_HOURS are linked for the member.
    TICKETS_PER_HOUR: int = Field(default=5, ge=1, le=10_000)
    MESSAGES_PER_MINUTE: int = Field(default=20, ge=1, le=10_000)
    DUPLICATE_WINDOW_HOURS: float = Field(default=6, gt=0, le=24 * 365)
    LINK_WINDOW_HOURS: float = Field(default=72, gt=0, le=24 * 365)

    @field_validator("TAXONOMY_FILE", "GEOGRAPHY_FILE", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("DATA_DIR", "TAXONOMY_FILE", "GEOGRAPHY_FILE")
    @classmethod
    def _home(cls, value: Path | None) -> Path | None:
        # `.env` is no shell: `~/jiedan-data` would otherwise be a directory named `~` in the working directory
        return value.expanduser() if value is not None else None

    @field_validator("TIMEZONE")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _default_database_url(self) -> Settings:
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{self.DATA_DIR / 'jiedan.db'}"
        return self

    @property
    def tz(self) -> ZoneInfo:
        """The deployment's time zone (for periods, quarters and quiet hours)."""
        return ZoneInfo(self.TIMEZONE)

    def scaled(self, duration: timedelta) -> timedelta:
        """A duration multiplied by TIME_LIMIT_SCALE."""
        return duration * self.TIME_LIMIT_SCALE

    @property
    def wave_timeout(self) -> timedelta:
        """How long one wave of offers waits before the next wave."""
        return self.scaled(timedelta(minutes=self.WAVE_TIMEOUT_MINUTES))

    @property
    def invite_ttl(self) -> timedelta:
        """How long a member invite code stays valid."""
        return self.scaled(timedelta(days=self.INVITE_TTL_DAYS))

    @property
    def duplicate_window(self) -> timedelta:
        """How far back a resident's own open ticket counts as the same request."""
        return self.scaled(timedelta(hours=self.DUPLICATE_WINDOW_HOURS))

    @property
    def link_window(self) -> timedelta:
        """How far back a neighbour's open ticket can be linked to a new one."""
        return self.scaled(timedelta(hours=self.LINK_WINDOW_HOURS))


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


class SettingsFileError(ValueError):
    """The .env file cannot be read as settings (not UTF-8); the message is one line naming it."""


def read_settings(cls: type[SettingsT]) -> SettingsT:
    """Settings of `cls` from the environment and .env; a .env saved in another encoding (GBK, from Windows Notepad
    on a Chinese system) is a SettingsFileError, not a traceback."""
    try:
        return cls()
    except UnicodeDecodeError:
        raise SettingsFileError(f".env is {NOT_UTF8}") from None


@cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return read_settings(Settings)


def get_taxonomy(settings: Settings | None = None) -> Taxonomy:
    """The taxonomy named by the settings (the shipped one by default), loaded once per path."""
    settings = settings or get_settings()
    return load_taxonomy(settings.TAXONOMY_FILE)


def explain(error: ValidationError) -> str:
    """One line per bad setting, naming it."""
    lines = []
    for problem in error.errors():
        name = ".".join(str(part) for part in problem["loc"]) or "settings"
        lines.append(f"setting {name}: {problem['msg']} — fix it in the environment or in .env")
    return "; ".join(lines)
