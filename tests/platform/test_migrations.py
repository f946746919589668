"""Migrations and models agree, on an empty database of the suite's own kind."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from perfbudget.db import make_engine
from perfbudget.models import Base
from tests.conftest import TEST_DATABASE_URL, alembic_config
from tests.isolated import fresh_database_url


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    with fresh_database_url(tmp_path, "migrations") as url:
        yield url


def _triggers(engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        return set(connection.execute(text(query)).scalars())


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(config).get_current_head()
            assert context.get_current_revision() == head
        assert {"audit_events_no_update", "audit_events_no_delete"} <= _triggers(engine) or {
            "audit_events_no_change",
            "audit_events_no_truncate",
        } <= _triggers(engine)

        command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert not _triggers(engine)

        command.upgrade(config, "head")  # and back up again, cleanly
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_files_have_dated_names():
    config = alembic_config(TEST_DATABASE_URL)
    script = ScriptDirectory.from_config(config)
    for revision in script.walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert name[:4].isdigit() and name[4] == "-" and name[10] == "-", name


def test_naming_convention_names_every_constraint():
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, (table.name, constraint)
