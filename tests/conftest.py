"""Test harness: one migrated database per run, the demo county loaded once, and each
test inside a transaction that is rolled back (after polar's tests/fixtures).

SQLite by default; PostgreSQL when PERFBUDGET_TEST_DATABASE_URL is set. Under pytest-xdist
each worker has a database of its own: a file in its own directory, or on PostgreSQL the
given database's name with the worker's (``perfbudget_ci_gw0``), created when missing.
"""

import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="perfbudget-tests-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(url: str) -> str:
    if not _WORKER or url.startswith("sqlite"):
        return url
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_{_WORKER}"


TEST_DATABASE_URL = _worker_url(
    os.environ.get("PERFBUDGET_TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
)
TEST_SECRET = secrets.token_urlsafe(48)
os.environ["PERFBUDGET_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["PERFBUDGET_SECRET_KEY"] = TEST_SECRET
os.environ["PERFBUDGET_ENV"] = "development"
os.environ.pop("PERFBUDGET_CORS_ORIGINS", None)
# Argon2id at a test's cost (1 pass over 1 MiB, about 1 ms): a fifth of the suite's CPU went
# to hashing at production's (3 passes over 64 MiB). Production refuses these values.
os.environ["PERFBUDGET_PASSWORD_HASH_TIME_COST"] = "1"
os.environ["PERFBUDGET_PASSWORD_HASH_MEMORY_KIB"] = "1024"
os.environ["PERFBUDGET_PASSWORD_HASH_PARALLELISM"] = "1"
# every test request comes from one address ("testclient"), and some tests commit their
# refusals: the limits are for the tests that set them low
os.environ["PERFBUDGET_REFUSAL_LIMIT_PER_USER"] = "100000"
os.environ["PERFBUDGET_REFUSAL_LIMIT_PER_ADDRESS"] = "100000"

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from perfbudget.config import PROJECT_ROOT, get_settings  # noqa: E402
from perfbudget.db import get_engine, transaction_scope  # noqa: E402
from perfbudget.demo.loader import DEMO_PASSWORD, load_demo  # noqa: E402
from perfbudget.integration import idempotency  # noqa: E402
from perfbudget.main import create_app  # noqa: E402
from perfbudget.overview import month_figures  # noqa: E402
from tests.workflow import flow  # noqa: E402, F401 - the shared workflow fixture

get_settings.cache_clear()
DEMO_USERS = (
    "admin",
    "finance",
    "department",
    "unit",
    "expert",
    "thirdparty",
    "investment",
    "oversight",
    "health",
    "agriculture",
    "transport",
)


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def _create_worker_database(url: str) -> None:
    """The worker's own PostgreSQL database, next to the one the suite was given."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not _WORKER:
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            )
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            # a throw-away database need not wait for the disk at each commit
            connection.execute(
                text(f'ALTER DATABASE "{parsed.database}" SET synchronous_commit = off')
            )
    finally:
        admin.dispose()


TEST_HASH_COSTS = tuple(name for name in os.environ if name.startswith("PERFBUDGET_PASSWORD_HASH_"))


@pytest.fixture
def production_hash_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read in the test see production's Argon2 costs, not the suite's."""
    for name in TEST_HASH_COSTS:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    _create_worker_database(TEST_DATABASE_URL)
    config = alembic_config(TEST_DATABASE_URL)
    command.downgrade(config, "base")  # a reused PostgreSQL database starts clean too
    command.upgrade(config, "head")
    engine = get_engine()
    with Session(engine) as session, session.begin():
        load_demo(session, get_settings(), workflow=False)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(engine: Engine) -> FastAPI:
    return create_app()


@pytest.fixture(scope="session")
def demo_tokens(app: FastAPI) -> dict[str, str]:
    """Sign every demo user in once (committed), so tests need not pay for Argon2 each time."""
    tokens = {}
    with TestClient(app) as client:
        for username in DEMO_USERS:
            response = client.post(
                "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            tokens[username] = response.json()["access_token"]
    return tokens


# Writes to what the overview's read model is computed from (overview.month_figures): a test
# that made any, by any path, ends by checking that the read model equals its recomputation.
_FIGURE_INPUTS = re.compile(
    r"^\s*(INSERT INTO|UPDATE|DELETE FROM) (budget_items|monitoring_reports|"
    r"spending_plan_months|disbursements)\b",
    re.IGNORECASE,
)


def _note_figure_inputs(connection: Connection, _: object, statement: str, *__: object) -> None:
    if _FIGURE_INPUTS.match(statement):
        connection.info["figure_inputs_written"] = True


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    event.listen(connection, "before_cursor_execute", _note_figure_inputs)
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
        if connection.info.pop("figure_inputs_written", False) and transaction.is_active:
            session.rollback()  # what a failed request left pending is not the database's
            drifts = month_figures.check(session)
            assert not drifts, f"the overview's read model drifted from its rule: {drifts}"
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@contextmanager
def client_in_transaction(app: FastAPI, db: Session) -> Iterator[TestClient]:
    """A client of ``app`` whose requests run in the test's transaction (``db``)."""

    def session_scope(request: Request) -> Iterator[Session]:
        yield from transaction_scope(db, request)

    app.state.session_scope = session_scope
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        del app.state.session_scope


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    with client_in_transaction(app, db) as test_client:
        yield test_client


@pytest.fixture
def auth(demo_tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    """``auth("finance")`` → headers carrying that demo user's token."""

    def headers(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {demo_tokens[username]}"}

    return headers


@pytest.fixture
def login(client: TestClient) -> Callable[[str, str], str]:
    def sign_in(username: str, password: str = DEMO_PASSWORD) -> str:
        response = client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return sign_in


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # the per-test savepoints are the harness's, not the request's
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(engine: Engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def idempotency_in_test_transaction(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The middleware's own sessions join the test's connection through savepoints, so its
    records roll back with the test (on SQLite a second writer would wait for the test's lock);
    test_idempotency_commit.py covers the real, separate commit."""
    connection = db.get_bind()

    def new_session() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    monkeypatch.setattr(idempotency, "new_session", new_session)
