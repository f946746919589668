"""Rolling deploys: an expand migration keeps the previous release's workers ready, a contract
migration takes them out, and a schema behind the code is never ready (health/compatibility.py).

The scene runs real migrations: the repository's, then two of a future release (an expand
that adds a table, a contract that drops it) from a copy of migrations/, on a fresh database.
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, select

from perfbudget.config import PROJECT_ROOT
from perfbudget.db import make_engine
from perfbudget.health import service
from perfbudget.health.compatibility import (
    SchemaFacts,
    SchemaState,
    oldest_code_served,
    schema_state,
)
from perfbudget.health.models import SchemaCompatibility
from tests.conftest import alembic_config
from tests.isolated import fresh_database_url

FUTURE = '''"""{name}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None
expand_only = {expand}


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    {downgrade}
'''
CREATE = 'op.create_table("future_notes", sa.Column("id", sa.Integer(), primary_key=True))'
DROP = 'op.drop_table("future_notes")'


def test_the_state_of_the_schema_decides_readiness():
    known = {"a1", "b2", "c3"}
    state = lambda revision, oldest=None: schema_state(SchemaFacts(revision, oldest), "c3", known)  # noqa: E731
    assert state(None) is SchemaState.missing
    assert state("c3") is SchemaState.current
    assert state("b2", "b2") is SchemaState.behind  # the code's own migrations have not run
    assert state("d4", "c3") is SchemaState.ahead_compatible
    assert state("d4", "a1") is SchemaState.ahead_compatible
    assert state("e5", "e5") is SchemaState.ahead_incompatible
    assert state("d4", None) is SchemaState.ahead_incompatible  # nothing says it serves us


def test_the_oldest_code_served_is_found_below_the_expand_migrations():
    chain = {"e5": "d4", "d4": "c3", "c3": "b2", "b2": "a1", "a1": None}
    expand = {"e5": True, "d4": True, "c3": False, "b2": True, "a1": True}
    oldest = lambda revision: oldest_code_served(revision, chain.__getitem__, expand.__getitem__)  # noqa: E731
    assert oldest("e5") == "c3"  # two expands on top of c3: c3's code still runs
    assert oldest("c3") == "c3"  # a contract: only its own code
    assert oldest("b2") == "a1"
    assert oldest("a1") == "a1"  # the base stops the walk
    assert oldest(None) is None


@pytest.fixture
def scripts(tmp_path) -> Path:
    """migrations/ and a future release's two migrations on top of the current head."""
    copy = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "migrations", copy, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    for name, revision, down, expand, upgrade, downgrade in (
        ("future expand", "f0000000e001", head, True, CREATE, DROP),
        ("future contract", "f0000000c002", "f0000000e001", False, DROP, CREATE),
    ):
        text = FUTURE.format(
            name=name,
            revision=revision,
            down=down,
            expand=expand,
            upgrade=upgrade,
            downgrade=downgrade,
        )
        (copy / "versions" / f"2099-01-01-000{len(name)}_{revision}.py").write_text(text)
    return copy


@pytest.fixture
def database(tmp_path) -> Iterator[tuple[str, Engine]]:
    with fresh_database_url(tmp_path, "rolling") as url:
        engine = make_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


def _future_config(url: str, scripts: Path) -> Config:
    config = alembic_config(url)
    config.set_main_option("script_location", str(scripts))
    return config


def _code_of(config: Config) -> service.CodeRevisions:
    script = ScriptDirectory.from_config(config)
    return service.CodeRevisions(
        script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())
    )


def _oldest_served(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.scalar(select(SchemaCompatibility.oldest_code_revision))


def test_an_expand_keeps_the_old_workers_ready_and_a_contract_takes_them_out(
    client, monkeypatch, scripts, database
):
    url, engine = database
    monkeypatch.setattr(service, "get_engine", lambda: engine)
    current = alembic_config(url)
    future = _future_config(url, scripts)
    this_release = _code_of(current)
    release_after_next = _code_of(future)  # its contract migration comes a release later
    next_release = service.CodeRevisions(
        "f0000000e001", release_after_next.known - {"f0000000c002"}
    )

    def readyz(code: service.CodeRevisions) -> tuple[int, dict[str, object]]:
        monkeypatch.setattr(service, "code_revisions", lambda: code)
        response = client.get("/readyz")
        return response.status_code, response.json()

    status, body = readyz(this_release)
    assert (status, body["schema_state"], body["database"]) == (503, "missing", True)

    command.upgrade(current, f"{this_release.head}-1")  # the schema behind this code
    status, body = readyz(this_release)
    assert (status, body["schema_state"], body["migrations_current"]) == (503, "behind", False)

    command.upgrade(current, "head")
    assert readyz(this_release)[0] == 200
    # the next release is deployed before its migrations run: it waits, the old ones serve
    status, body = readyz(next_release)
    assert (status, body["schema_state"]) == (503, "behind")

    command.upgrade(future, "f0000000e001")  # the next release's expand migration
    oldest = _oldest_served(engine)
    assert oldest is not None and oldest in this_release.known
    status, body = readyz(this_release)
    assert (status, body["schema_state"], body["status"]) == (200, "ahead_compatible", "ready")
    assert (body["revision"], body["head"]) == ("f0000000e001", this_release.head)
    assert body["oldest_code_revision"] == oldest
    assert readyz(next_release)[1]["schema_state"] == "current"

    command.upgrade(future, "f0000000c002")  # its contract, once the old workers are gone
    assert _oldest_served(engine) == "f0000000c002"
    status, body = readyz(this_release)
    assert (status, body["schema_state"], body["status"]) == (
        503,
        "ahead_incompatible",
        "not_ready",
    )
    assert readyz(next_release)[1]["schema_state"] == "ahead_incompatible"
    assert readyz(release_after_next)[0] == 200

    command.downgrade(future, "f0000000e001")  # a rollback recomputes it too
    assert _oldest_served(engine) == oldest
    assert readyz(this_release)[0] == 200


def test_every_upgrade_records_what_its_schema_serves(engine):
    config = alembic_config(str(engine.url))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()

    def down_revision_of(name: str) -> str | None:
        down = script.get_revision(name).down_revision
        return down if isinstance(down, str) else None

    def expand_only(name: str) -> bool:
        return getattr(script.get_revision(name).module, "expand_only", False) is True

    with engine.connect() as connection:
        row = connection.execute(
            select(SchemaCompatibility.revision, SchemaCompatibility.oldest_code_revision)
        ).one()
    assert row.revision == head
    assert row.oldest_code_revision == oldest_code_served(head, down_revision_of, expand_only)
