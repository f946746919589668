"""Rolling deploys: which code a database schema still serves (expand, then contract).

A migration that only adds (a table, a nullable column, an index) declares
``expand_only = True``: the previous release's code keeps running on the schema it leaves.
After every upgrade or downgrade ``migrations/env.py`` writes into ``schema_compatibility`` the
oldest code revision the schema serves, found by ``oldest_code_served``. A worker is ready
while the database is at its own head, or ahead of it with that oldest revision one it
knows: so an expand migration run before the new release keeps the old workers in the
load balancer, and a contract migration (dropping what the old code reads) takes them out.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass

from perfbudget.enums import LabeledEnum


class SchemaState(LabeledEnum):
    current = "current"
    missing = "missing"
    behind = "behind"
    ahead_compatible = "ahead_compatible"
    ahead_incompatible = "ahead_incompatible"

    __labels__ = {
        "current": ("数据库结构与本版本一致", "schema at this code's head"),
        "missing": ("数据库尚未迁移", "database not migrated"),
        "behind": ("数据库结构落后于本版本", "schema behind this code"),
        "ahead_compatible": (
            "数据库结构较新，仍兼容本版本",
            "newer schema, still serving this code",
        ),
        "ahead_incompatible": (
            "数据库结构较新，已不兼容本版本",
            "newer schema, no longer serving this code",
        ),
    }


READY_STATES = frozenset({SchemaState.current, SchemaState.ahead_compatible})


@dataclass(frozen=True)
class SchemaFacts:
    revision: str | None  # the database's migration revision
    oldest_code_revision: str | None  # what schema_compatibility says it still serves


def schema_state(facts: SchemaFacts, head: str | None, known: Collection[str]) -> SchemaState:
    """The database's schema as this code sees it; ``known`` is every revision up to ``head``."""
    if facts.revision is None:
        return SchemaState.missing
    if facts.revision == head:
        return SchemaState.current
    if facts.revision in known:
        return SchemaState.behind  # this code needs its own migrations: db upgrade first
    if facts.oldest_code_revision is not None and facts.oldest_code_revision in known:
        return SchemaState.ahead_compatible
    return SchemaState.ahead_incompatible


def oldest_code_served(
    revision: str | None,
    down_revision_of: Callable[[str], str | None],
    expand_only: Callable[[str], bool],
) -> str | None:
    """Walk down from ``revision`` over expand-only migrations: the code of the revision where
    the walk stops still runs on this schema (``revision`` itself after a contract)."""
    oldest = revision
    while oldest is not None and expand_only(oldest):
        below = down_revision_of(oldest)
        if below is None:
            break
        oldest = below
    return oldest
