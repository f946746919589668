"""Backup and restore, as docs/deployment.md tells an operator to do them: the demo county
backed up with ``perfbudget db backup`` (pg_dump on PostgreSQL), restored with
``perfbudget db restore`` into a fresh database, holds the same rows and an intact audit
chain, and serves."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from perfbudget import cli
from perfbudget.config import get_settings
from perfbudget.db import get_engine, get_sessionmaker, make_engine, request_session
from perfbudget.demo.loader import load_demo
from perfbudget.health import service as health_service
from perfbudget.main import create_app
from perfbudget.models import Base
from tests.isolated import fresh_database_url, sign_in


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``perfbudget …`` against a given database; the suite's own is left alone."""

    def run(url: str, *argv: str) -> tuple[int, str]:
        with monkeypatch.context() as patch:
            patch.setenv("PERFBUDGET_DATABASE_URL", url)
            _clear_caches()
            try:
                code = cli.main(list(argv))
            finally:
                get_engine().dispose()
                _clear_caches()
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
        }
        counts["alembic_version"] = len(
            connection.execute(text("SELECT version_num FROM alembic_version")).all()
        )
    return counts


@pytest.fixture
def demo_database(tmp_path, run_cli) -> Iterator[tuple[str, Engine]]:
    with fresh_database_url(tmp_path, "backup_source") as url:
        assert run_cli(url, "db", "upgrade")[0] == 0
        engine = make_engine(url)
        with Session(engine) as session, session.begin():
            assert load_demo(session, get_settings())  # the whole demo, its workflow too
        try:
            yield url, engine
        finally:
            engine.dispose()


def _served(engine: Engine) -> TestClient:
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def session_for(request: Request) -> Iterator[Session]:
        yield from request_session(request, sessions)

    app = create_app()
    app.state.session_scope = session_for
    return TestClient(app, raise_server_exceptions=False)


def test_a_restored_backup_holds_the_same_county_and_an_intact_chain(
    tmp_path, demo_database, run_cli, monkeypatch
):
    source_url, source = demo_database
    before = _counts(source)
    assert before["audit_events"] > 100 and before["monitoring_reports"] > 0

    backup_file = tmp_path / "perfbudget.backup"
    code, said = run_cli(source_url, "db", "backup", str(backup_file))
    assert (code, said.strip()) == (0, f"wrote {backup_file}")
    code, said = run_cli(source_url, "db", "backup", str(backup_file))
    assert code == 2 and "never overwrites" in said

    with fresh_database_url(tmp_path, "backup_target") as target_url:
        code, said = run_cli(target_url, "db", "restore", str(backup_file))
        assert code == 0, said
        restored = make_engine(target_url)
        try:
            assert _counts(restored) == before
            monkeypatch.setattr(health_service, "get_engine", lambda: restored)
            with _served(restored) as client:
                assert client.get("/readyz").json()["schema_state"] == "current"
                finance = sign_in(client, "finance")
                verified = client.get("/api/v1/audit-events/verify", headers=finance).json()
                assert verified["intact"] is True, verified
                assert verified["events_checked"] >= before["audit_events"]
                items = client.get("/api/v1/budget-items", headers=finance).json()
                assert items["total"] == before["budget_items"]
        finally:
            restored.dispose()

        # a restore never merges into live data
        code, said = run_cli(target_url, "db", "restore", str(backup_file))
        assert code == 2 and "restore into a new, empty database" in said


def test_restore_refuses_what_is_not_a_backup(tmp_path, run_cli):
    with fresh_database_url(tmp_path, "backup_missing") as url:
        code, said = run_cli(url, "db", "restore", str(tmp_path / "nothing.backup"))
        assert code == 2 and "is not a file" in said
        garbage = Path(tmp_path / "garbage.backup")
        garbage.write_bytes(b"not a backup at all" * 100)
        code, said = run_cli(url, "db", "restore", str(garbage))
        assert code == 2 and "refused:" in said
