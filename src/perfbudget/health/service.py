"""Readiness: the database answers and its schema serves this code (health/compatibility.py)."""

import logging
from dataclasses import dataclass
from functools import lru_cache

from alembic.config import Config
from alembic.script import ScriptDirectory

from perfbudget.config import get_settings
from perfbudget.db import get_engine
from perfbudget.health import repository
from perfbudget.health.compatibility import READY_STATES, SchemaFacts, SchemaState, schema_state

logger = logging.getLogger("perfbudget.health")


@dataclass(frozen=True)
class ReadinessResult:
    database: bool
    state: SchemaState
    facts: SchemaFacts
    head: str | None

    @property
    def ready(self) -> bool:
        return self.database and self.state in READY_STATES


@dataclass(frozen=True)
class CodeRevisions:
    head: str | None
    known: frozenset[str]  # every revision from the base up to head


@lru_cache
def code_revisions() -> CodeRevisions:
    script = ScriptDirectory.from_config(Config(str(get_settings().alembic_ini)))
    return CodeRevisions(
        script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())
    )


def readiness() -> ReadinessResult:
    code = code_revisions()
    try:
        with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            facts = repository.schema_facts(connection)
    except Exception:  # any failure to reach the database means not ready
        logger.warning("readiness check: database unreachable", exc_info=True)
        return ReadinessResult(False, SchemaState.missing, SchemaFacts(None, None), code.head)
    return ReadinessResult(True, schema_state(facts, code.head, code.known), facts, code.head)
