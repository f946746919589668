"""Readiness: the database answers and its schema is at the migrations' head."""

import logging
from dataclasses import dataclass
from functools import lru_cache

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from perfbudget.config import get_settings
from perfbudget.db import get_engine

logger = logging.getLogger("perfbudget.health")


@dataclass(frozen=True)
class ReadinessResult:
    database: bool
    migrations_current: bool
    revision: str | None
    head: str | None

    @property
    def ready(self) -> bool:
        return self.database and self.migrations_current


@lru_cache
def migration_head() -> str | None:
    config = Config(str(get_settings().alembic_ini))
    return ScriptDirectory.from_config(config).get_current_head()


def readiness() -> ReadinessResult:
    head = migration_head()
    try:
        with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SELECT 1"))
            revision = MigrationContext.configure(connection).get_current_revision()
    except Exception:  # any failure to reach the database means not ready
        logger.warning("readiness check: database unreachable", exc_info=True)
        return ReadinessResult(False, False, None, head)
    return ReadinessResult(True, revision == head, revision, head)
