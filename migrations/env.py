from collections.abc import Collection

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, delete, insert, inspect

from perfbudget.clock import utcnow
from perfbudget.config import get_settings
from perfbudget.db import make_engine
from perfbudget.health.compatibility import oldest_code_served
from perfbudget.models import Base, SchemaCompatibility

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=lambda ctx, step, heads, run_args: _record_compatibility(ctx, heads),
    )


def _record_compatibility(context_: MigrationContext, heads: Collection[str]) -> None:
    """After each step, in the migrations' transaction: the oldest code the schema serves."""
    connection = context_.connection
    assert connection is not None
    if not inspect(connection).has_table(SchemaCompatibility.__tablename__):
        return  # downgraded below the table, or not there yet
    script = context.script
    revision = next(iter(heads)) if len(heads) == 1 else None

    def down_revision_of(name: str) -> str | None:
        down = script.get_revision(name).down_revision
        return down if isinstance(down, str) else None  # a merge point stops the walk

    def expand_only(name: str) -> bool:
        return getattr(script.get_revision(name).module, "expand_only", False) is True

    oldest = oldest_code_served(revision, down_revision_of, expand_only)
    connection.execute(delete(SchemaCompatibility))
    connection.execute(
        insert(SchemaCompatibility).values(
            id=1, oldest_code_revision=oldest, revision=revision, written_at=utcnow()
        )
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, compare_type=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
