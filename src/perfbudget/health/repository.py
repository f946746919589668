from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select

from perfbudget.health.compatibility import SchemaFacts
from perfbudget.health.models import SchemaCompatibility


def schema_facts(connection: Connection) -> SchemaFacts:
    """The database's revision and the oldest code it serves (none before that table)."""
    revision = MigrationContext.configure(connection).get_current_revision()
    oldest = None
    if inspect(connection).has_table(SchemaCompatibility.__tablename__):
        oldest = connection.scalar(select(SchemaCompatibility.oldest_code_revision))
    return SchemaFacts(revision, oldest)
