"""A fresh database of the suite's own kind, for tests that must commit for real
(concurrency, migrations): SQLite in a temp dir, or a throw-away PostgreSQL database."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from perfbudget.config import get_settings
from perfbudget.db import make_engine, request_session
from perfbudget.demo.loader import DEMO_PASSWORD, load_demo
from perfbudget.main import create_app
from tests.conftest import TEST_DATABASE_URL, alembic_config


@contextmanager
def fresh_database_url(tmp_path: Path, suffix: str) -> Iterator[str]:
    url = make_url(TEST_DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / f'{suffix}.db'}"
        return
    name = f"{url.database}_{suffix}"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sign_in(client: TestClient, username: str) -> dict[str, str]:
    """A demo user's bearer header, signed in through the API."""
    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def served_county(
    tmp_path: Path, suffix: str, *, workflow: bool = False, **engine_options: Any
) -> Iterator[tuple[TestClient, Engine]]:
    """The application with its real request sessions (each request commits) on a fresh
    database holding the demo county without its workflow (``workflow``: the whole demo, as
    `make run` loads it), and that database's engine (``engine_options`` for
    ``make_engine``, e.g. a short ``lock_timeout_ms``)."""
    with fresh_database_url(tmp_path, suffix) as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url, **engine_options)
        with Session(engine) as session, session.begin():
            load_demo(session, get_settings(), workflow=workflow)
        sessions = sessionmaker(bind=engine, expire_on_commit=False)

        def session_for(request: Request) -> Iterator[Session]:
            yield from request_session(request, sessions)

        app = create_app()
        app.state.session_scope = session_for
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield client, engine
        finally:
            engine.dispose()
