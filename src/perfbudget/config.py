"""Settings, read from PERFBUDGET_* environment variables."""

import os
import secrets
import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_HASH_MEMORY_KIB = 19 * 1024
MIN_HASH_TIME_COST = 2
MIN_SECRET_BYTES = 32


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PERFBUDGET_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = "sqlite:///./perfbudget.db"
    # Each process's connection pool (docs/deployment.md has the arithmetic against
    # PostgreSQL's max_connections): connections kept open, extra ones opened under load, how
    # long a request waits for one before 503 DATABASE_BUSY, and the age at which one is
    # replaced (behind a firewall or pgbouncer that drops idle connections).
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout_seconds: float = Field(default=10, gt=0, le=600)
    db_pool_recycle_seconds: int = Field(default=1800, ge=60)
    # Production refuses SQLite unless this is set on purpose (a single-host pilot, say).
    allow_sqlite_in_production: bool = False
    secret_key: str | None = None
    # Development only: where the generated secret is kept between restarts.
    secret_file: Path = Path(".perfbudget-secret")
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    jwt_issuer: str = "perfbudget"
    jwt_audience: str = "perfbudget-api"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    lockout_threshold: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # Failures under one name from all addresses within lockout_minutes that lock it for as
    # long everywhere but at the addresses its account signed in from before.
    account_lockout_threshold: int = Field(default=50, ge=1)
    # Refused writes each leave a record; past this many within the window (per user, and per
    # client address, which a county office's NAT shares) a refused write answers 429
    # TOO_MANY_REFUSALS instead, and is no longer recorded one by one.
    refusal_limit_per_user: int = Field(default=100, ge=1)
    refusal_limit_per_address: int = Field(default=300, ge=1)
    refusal_window_seconds: int = Field(default=600, ge=1)
    max_json_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024
    alembic_ini: Path = PROJECT_ROOT / "alembic.ini"
    # Attachments are stored here by SHA-256 (var/attachments/ab/abcdef…)
    attachments_dir: Path = Path("var/attachments")
    max_attachment_bytes: int = 20 * 1024 * 1024
    # `perfbudget maintenance purge`: delivered events and their delivery log are kept this
    # long; a file no attachment row names is removed only once it is this old (an upload
    # writes its file before its row commits).
    outbox_retention_days: int = Field(default=90, ge=1)
    attachment_grace_hours: int = Field(default=24, ge=1)
    log_level: str = "INFO"
    # Argon2id cost (argon2-cffi's defaults, RFC 9106's second recommendation). Production
    # refuses less than OWASP's floor (19 MiB, 2 passes); a test run lowers it, as Django's
    # suites swap in a fast hasher: the rules around the hash are what the tests are about.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=64 * 1024, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)
    # /metrics answers a scraper sending `Authorization: Bearer <this>`; unset, there is none
    metrics_token: str | None = None
    # Hosts (names or IPs) event subscriptions may target although they are internal.
    event_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in ("cors_origins", "event_allowed_hosts"):
                if isinstance(value := data.get(key), str):
                    data[key] = [part.strip() for part in value.split(",") if part.strip()]
        return data

    @model_validator(mode="after")
    def _guard_production(self) -> "Settings":
        if self.env is Environment.production:
            if not self.secret_key or len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"PERFBUDGET_SECRET_KEY of at least {MIN_SECRET_BYTES} bytes is required "
                    "in production"
                )
            if self.metrics_token and len(self.metrics_token.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"PERFBUDGET_METRICS_TOKEN must be at least {MIN_SECRET_BYTES} bytes in "
                    "production"
                )
            if (
                self.password_hash_memory_kib < MIN_HASH_MEMORY_KIB
                or self.password_hash_time_cost < MIN_HASH_TIME_COST
            ):
                raise ValueError(
                    "PERFBUDGET_PASSWORD_HASH_MEMORY_KIB of at least "
                    f"{MIN_HASH_MEMORY_KIB} and PERFBUDGET_PASSWORD_HASH_TIME_COST of at least "
                    f"{MIN_HASH_TIME_COST} are required in production (OWASP's Argon2id floor)"
                )
            if self.is_sqlite and not self.allow_sqlite_in_production:
                raise ValueError(
                    "SQLite is not allowed in production; set PERFBUDGET_DATABASE_URL to "
                    "PostgreSQL or PERFBUDGET_ALLOW_SQLITE_IN_PRODUCTION=true"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    def signing_key(self) -> str:
        """The JWT secret: configured, or generated once per development checkout."""
        if self.secret_key:
            return self.secret_key
        return _development_secret(self.secret_file)


def _development_secret(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(48)
    try:
        # O_EXCL: of several workers starting together, one writes and the others read.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):  # the writer may not have finished yet
            value = path.read_text().strip()
            if value:
                return value
            time.sleep(0.01)
        raise RuntimeError(f"secret file {path} is empty") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
