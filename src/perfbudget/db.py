"""Engine, declarative base, session per request."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from perfbudget.config import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; timestamptz on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; perfbudget stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# How long a writer waits for a lock before the request answers 503 (errors.py): SQLite's
# one write lock, or a PostgreSQL row lock (an item being paid, the audit chain's head at a
# commit). Writes hold them for milliseconds, a batch upload's write for about a second.
LOCK_TIMEOUT_MS = 10_000


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN: SAVEPOINT and transactional DDL work.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return pragmas


# A connection option: begin a deferred (reading) transaction on SQLite. See request_session.
SQLITE_READING = "perfbudget_sqlite_reading"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that read first and
    # then writes fails outright (SQLITE_BUSY_SNAPSHOT) when another writer got in between.
    # Requests that only read begin deferred, so that they do not queue behind each other.
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql("BEGIN" if options.get(SQLITE_READING) else "BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Pool:
    """A process's connection pool (``Settings.db_pool_*``)."""

    size: int = 10
    max_overflow: int = 10
    timeout_seconds: float = 10
    recycle_seconds: int = 1800

    @classmethod
    def of(cls, settings: Settings) -> "Pool":
        return cls(
            settings.db_pool_size,
            settings.db_max_overflow,
            settings.db_pool_timeout_seconds,
            settings.db_pool_recycle_seconds,
        )


def make_engine(url: str, *, lock_timeout_ms: int = LOCK_TIMEOUT_MS, pool: Pool = Pool()) -> Engine:
    options: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": pool.max_overflow,
        "pool_timeout": pool.timeout_seconds,
        "pool_recycle": pool.recycle_seconds,
    }
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite+pysqlite:"):
            options = {}  # one connection per thread: no pool to size
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_pragmas(lock_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}"},
        **options,
    )


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, pool=Pool.of(settings))


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


SessionScope = Callable[[Request], Iterator[Session]]


def get_session(request: Request) -> Iterator[Session]:
    """The request's session: from the process's engine, or from ``app.state.session_scope``
    when an embedding sets one (the test suite does, per test). FastAPI's
    ``dependency_overrides`` would do as much, but while any is set it rebuilds every route's
    dependency tree on every request, and that was a sixth of the suite's time."""
    scope: SessionScope | None = getattr(request.app.state, "session_scope", None)
    if scope is not None:
        yield from scope(request)
        return
    yield from request_session(request, get_sessionmaker())


def request_session(request: Request, sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent.

    A refusal that must leave a trace (a failed login, a permission denial) raises an
    error with ``persist=True``: what the request wrote so far — bookkeeping and audit
    events only — is committed before the error reaches the client.

    On SQLite every transaction takes the write lock when it begins, except a GET's (and a
    route marked ``reads_first``): it reads from its own snapshot alongside the others,
    until ``prepare_to_write`` or ``writing``.
    """
    session = sessions()
    if _begins_reading(request) and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={SQLITE_READING: True})
    try:
        yield from transaction_scope(session, request)
    finally:
        session.close()


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_READS_FIRST = "perfbudget_reads_first"


def reads_first(endpoint: Endpoint) -> Endpoint:
    """Mark a writing route that checks at length before it writes (a batch upload): its
    request begins reading, and it writes in a short ``writing`` transaction of its own."""
    setattr(endpoint, _READS_FIRST, True)
    return endpoint


def _begins_reading(request: Request) -> bool:
    return request.method in READING_METHODS or getattr(
        request.scope.get("endpoint"), _READS_FIRST, False
    )


@contextmanager
def reading(session: Session) -> Iterator[Session]:
    """Work that only reads, in a transaction of its own that ends with it: on SQLite a
    deferred one, which takes no write lock and waits for no writer. What came before in
    the session is committed first."""
    if session.in_transaction():
        session.commit()
    if session.get_bind().dialect.name == "sqlite" and isinstance(session.bind, Engine):
        # (a session joined to a test's outer transaction cannot change how it began)
        session.connection(execution_options={SQLITE_READING: True})
    try:
        yield session
    finally:
        session.rollback()


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """A short transaction that writes, committed at its end (rolled back on an error): on
    SQLite it takes the write lock as it begins, so what it reads is the latest state. What
    came before in the session is committed first."""
    if session.in_transaction():
        session.commit()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def prepare_to_write(session: Session) -> None:
    """Before a request that began reading writes (an audited refusal of a GET): end its
    SQLite read transaction, which has written nothing, so that the write begins a
    transaction holding the lock instead of upgrading a snapshot another writer may have
    overtaken. Elsewhere, and on PostgreSQL, nothing to do."""
    if (
        session.in_transaction()
        and session.connection().get_execution_options().get(SQLITE_READING)
        and not (session.new or session.dirty or session.deleted)
    ):
        session.rollback()


def transaction_scope(session: Session, request: Request | None = None) -> Iterator[Session]:
    """The request's transaction; a refused write (``request`` given) leaves its record."""
    from perfbudget.errors import DomainError

    try:
        try:
            yield session
            session.commit()
        except DomainError as exc:
            if exc.persist:
                session.commit()
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
    except Exception as exc:
        if request is not None and request.method not in READING_METHODS:
            _record_refusal(session, request, exc)
        raise


def _record_refusal(session: Session, request: Request, exc: Exception) -> None:
    """Leave the refused write's record, by what the app was given to record it with
    (``api.refusals``: the core does not import the audit stage)."""
    app = request.scope.get("app")
    record = getattr(getattr(app, "state", None), "record_refusal", None)
    if record is not None:
        record(session, request, exc)


def insert_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into the model's table by one executemany, each with an id of its
    own, given in the order of ``rows``. For a write transaction only: on PostgreSQL the ids
    come from the table's sequence in one statement; SQLite's writer holds the database's
    write lock, so the ids after the largest are its own."""
    if not rows:
        return []
    table = model.__table__
    assert isinstance(table, Table)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": table.name, "count": len(rows)},
            )
        )
    else:
        last = session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0
        ids = list(range(last + 1, last + 1 + len(rows)))
    rows = [{**row, "id": id_} for id_, row in zip(ids, rows, strict=True)]
    session.execute(table.insert(), rows)
    return ids


# Items a transaction changed in a way its session cannot see (a delete by criteria): read
# models kept up to date before the commit (overview.month_figures) refresh them too.
TOUCHED_ITEMS = "touched_items"


def touch_items(session: Session, item_ids: Sequence[int]) -> None:
    session.info.setdefault(TOUCHED_ITEMS, set()).update(item_ids)


def replace_children(
    session: Session,
    model: type[Base],
    parent: ColumnElement[int] | InstrumentedAttribute[int],
    parent_ids: Sequence[int],
    rows: list[dict[str, Any]],
) -> None:
    """The child rows of these parents (by their ``parent`` column) become ``rows``, and no
    others: one delete and one executemany."""
    if parent_ids:
        session.execute(delete(model).where(parent.in_(parent_ids)))
    insert_many(session, model, rows)


def update_many(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Each row's record (its ``id``, at the ``version`` read) set to the row's other values
    and its version counted up, by one executemany. A record changed meanwhile raises
    StaleDataError (409 VERSION_CONFLICT), where the driver counts rows per executemany."""
    if not rows:
        return
    table = model.__table__
    assert isinstance(table, Table)
    statement = (
        table.update()
        .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))
        .values(version=table.c.version + 1)
    )
    result = session.execute(
        statement,
        [
            {
                "_id": row["id"],
                "_version": row["version"],
                **{name: value for name, value in row.items() if name not in ("id", "version")},
            }
            for row in rows
        ],
    )
    counted = session.get_bind().dialect.supports_sane_multi_rowcount
    if counted and getattr(result, "rowcount", len(rows)) != len(rows):
        raise StaleDataError(f"{table.name}: a record changed since it was read")


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
