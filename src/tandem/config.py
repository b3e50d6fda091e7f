"""Settings read from the environment (prefix ``TANDEM_``); never read at import time."""

from __future__ import annotations

from datetime import UTC, tzinfo
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "demo-only-secret-change-me"
# The embedded database's file in the data directory.
DATABASE_FILE = "tandem.sqlite3"


def zone_named(name: str) -> tzinfo:
    """The IANA time zone ``name`` ("UTC", "America/Los_Angeles"); a clear ValueError for a
    name the system's time-zone database does not know."""
    if name in ("UTC", "Etc/UTC"):
        return UTC
    wrong = f"{name!r} is not a time zone; use an IANA name such as America/Los_Angeles or UTC"
    # Only the database's own names: a directory ("America"), a path or a name too long for a
    # file would otherwise fail as an OSError, not as a wrong value.
    if name not in _known_zones():
        raise ValueError(wrong)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(wrong) from exc


@cache
def _known_zones() -> frozenset[str]:
    """The zone names of the system's (or the tzdata package's) database, read once."""
    return frozenset(available_timezones())


class Environment(StrEnum):
    demo = "demo"
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Everything an operator can configure; see the table in README.md."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    environment: Environment = Environment.demo
    data_dir: Path = Field(default=Path(".tandem"), validate_default=True)
    database_url: str = ""
    secret_key: str = DEMO_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    # Cookies get the Secure flag, and responses Strict-Transport-Security, when it is https.
    public_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = Field(default=30, ge=1)
    session_max_hours: int = Field(default=12, ge=1)
    login_slowdown_after: int = Field(default=3, ge=1)
    login_lockout_after: int = Field(default=8, ge=2)
    login_lockout_minutes: int = Field(default=15, ge=1)
    break_glass_minutes: int = Field(default=60, ge=5, le=24 * 60)
    token_days: int = Field(default=90, ge=1)
    page_size: int = Field(default=25, ge=5, le=200)
    # Measurement-based care: "not improving" after this many weeks from the baseline PHQ-9
    # (psychiatric consultation at weeks 8-12: Bao et al., Psychiatr Serv 2016).
    not_improving_weeks: int = Field(default=10, ge=4, le=52)
    # A measurement this many days before enrolment still counts as the episode's baseline.
    baseline_lookback_days: int = Field(default=14, ge=0, le=90)
    # The largest request body read (JSON or form). The largest a person can send, a comprehensive
    # assessment with every text at its limit (28,000 characters), is under 200 kB as JSON.
    max_body_bytes: int = Field(default=1_048_576, ge=16_384)
    # The audit chain (tandem.audit): the sealing key (HMAC), earlier sealing keys still to be
    # verified, and the key that signs checkpoints. Outside the database on purpose; the demo
    # and development keep them in the data directory when they are not set.
    audit_key: str = Field(default="", repr=False)
    audit_previous_keys: str = Field(default="", repr=False)
    audit_signing_key: str = Field(default="", repr=False)
    # Where the signed checkpoints are appended (production: storage the database
    # administrators cannot write); by default the data directory's audit/checkpoints.
    audit_checkpoint_dir: Path | None = None
    # How often the sealer looks for committed, unsealed events: the bound on seal lag.
    audit_seal_seconds: float = Field(default=1.0, ge=0.05, le=60)
    # A checkpoint after this many newly sealed events, or this many minutes with any.
    audit_checkpoint_events: int = Field(default=10_000, ge=1)
    audit_checkpoint_minutes: int = Field(default=15, ge=1)
    # Whole months of audit events older than this are removed by `tandem audit retention`.
    # HIPAA keeps its required documentation six years (45 CFR 164.316(b)(2)(i)): never less.
    audit_retention_years: int = Field(default=6, ge=6, le=100)
    # Seal inside `tandem serve` (the demo, a single server); production may run `tandem worker`.
    sealer_in_server: bool = True
    sql_echo: bool = False
    # The clinic's time zone (an IANA name, e.g. America/Los_Angeles): what "today" is in every
    # date rule and how every time is shown. Instants are stored in UTC whatever it says; an
    # organisation may set its own zone (Organisation.timezone) for its staff.
    timezone: str = "UTC"
    # The level of the JSON log lines `tandem serve` writes to standard error (one per request
    # at info).
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # /metrics answers this machine only, unless a token is set: then whoever sends it
    # (Authorization: Bearer ...), and nobody without it.
    metrics_token: str = Field(default="", repr=False)

    @field_validator("data_dir")
    @classmethod
    def _resolve_data_dir(cls, value: Path) -> Path:
        # Resolved once, against the folder Tandem was started in: every later use (the
        # database file, the audit keys, backups) names the same absolute folder.
        return value.expanduser().resolve()

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        name = value.strip()
        zone_named(name)  # refused here, at start-up, rather than on the first page drawn
        return name

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.environment == Environment.production and self.secret_key == DEMO_SECRET:
            raise ValueError(
                "Set TANDEM_SECRET_KEY to a private value when TANDEM_ENVIRONMENT=production"
            )
        if self.environment == Environment.production and not self.database_url:
            raise ValueError("TANDEM_DATABASE_URL must be set when TANDEM_ENVIRONMENT=production")
        if self.environment == Environment.production and not (
            self.audit_key and self.audit_signing_key
        ):
            raise ValueError(
                "Set TANDEM_AUDIT_KEY and TANDEM_AUDIT_SIGNING_KEY when TANDEM_ENVIRONMENT="
                "production (`tandem audit new-keys` makes a pair)"
            )
        return self

    @property
    def zone(self) -> tzinfo:
        """The deployment's time zone (ZoneInfo keeps one instance per name)."""
        return zone_named(self.timezone)

    @property
    def audit_dir(self) -> Path:
        """Where the demo keeps its audit keys, and checkpoints go unless configured."""
        return self.data_dir / "audit"

    @property
    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.audit_dir / "checkpoints"

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / DATABASE_FILE}"

    @property
    def serves_https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def secure_cookies(self) -> bool:
        return self.serves_https

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
