"""The perfbudget command, end to end on a database of its own: db upgrade, demo load,
users create, openapi export/check."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from perfbudget import cli
from perfbudget.config import get_settings
from perfbudget.db import get_engine, get_sessionmaker
from perfbudget.users import repository as user_repository


def _clear_caches() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()


@pytest.fixture
def cli_database(monkeypatch, tmp_path) -> Iterator[str]:
    """Point the CLI at a fresh SQLite file; the suite's own database is left alone."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = get_engine()
    monkeypatch.setenv("PERFBUDGET_DATABASE_URL", url)
    _clear_caches()
    try:
        yield url
    finally:
        get_engine().dispose()
        monkeypatch.undo()
        _clear_caches()
        assert get_engine().url == engine.url


def test_upgrade_demo_and_users_create(cli_database, monkeypatch, capsys):
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["demo", "load"]) == 0
    assert "demo county loaded" in capsys.readouterr().out
    assert cli.main(["demo", "load"]) == 0
    assert "already present" in capsys.readouterr().out

    monkeypatch.setenv("PERFBUDGET_NEW_PASSWORD", "Cli#Password2026")
    code = cli.main(
        ["users", "create", "--username", "clinew", "--role", "department", "--org-code", "202"]
    )
    assert code == 0, capsys.readouterr().err
    assert "created user clinew" in capsys.readouterr().out
    with Session(get_engine()) as session:
        user = user_repository.get_by_username(session, "clinew")
        assert user is not None
        assert user.must_change_password
        assert user.organisation is not None
        assert user.organisation.code == "202"

    assert cli.main(["users", "create", "--username", "clinew", "--role", "expert"]) == 2
    assert "USERNAME_TAKEN" in capsys.readouterr().err
    assert cli.main(["users", "create", "--username", "x1y", "--role", "department"]) == 2
    assert "ORGANISATION_REQUIRED" in capsys.readouterr().err
    monkeypatch.setenv("PERFBUDGET_NEW_PASSWORD", "short")
    assert cli.main(["users", "create", "--username", "weakling", "--role", "expert"]) == 2
    assert "PASSWORD_POLICY" in capsys.readouterr().err


@pytest.mark.usefixtures("production_hash_costs")
def test_demo_load_is_refused_in_production(cli_database, monkeypatch, capsys):
    assert cli.main(["db", "upgrade"]) == 0
    monkeypatch.setenv("PERFBUDGET_ENV", "production")
    monkeypatch.setenv("PERFBUDGET_ALLOW_SQLITE_IN_PRODUCTION", "true")
    _clear_caches()
    assert cli.main(["demo", "load"]) == 2
    assert "refused" in capsys.readouterr().err
    with Session(get_engine()) as session:
        assert user_repository.get_by_username(session, "admin") is None


def test_openapi_export_and_check(tmp_path):
    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "check", "--output", str(target)]) == 1
    assert cli.main(["openapi", "export", "--output", str(target)]) == 0
    assert cli.main(["openapi", "check", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    document["info"]["version"] = "stale"
    target.write_text(json.dumps(document))
    assert cli.main(["openapi", "check", "--output", str(target)]) == 1


def test_a_fresh_process_loads_the_demo(tmp_path):
    """What `make run` does, in an interpreter of its own: only what the command itself
    imports is loaded (a model another stage's foreign key names must be among it)."""
    env = {
        **os.environ,
        "PERFBUDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "PERFBUDGET_SECRET_FILE": str(tmp_path / "secret"),
    }
    env.pop("PERFBUDGET_SECRET_KEY", None)
    for command in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            [sys.executable, "-m", "perfbudget", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert "demo county loaded" in done.stdout
