"""The perfbudget command: users create, demo load, openapi check."""

import json

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from perfbudget import cli
from perfbudget.config import get_settings
from perfbudget.db import get_engine
from perfbudget.users import repository as user_repository


@pytest.fixture
def cleanup_cli_users(engine):
    """The CLI commits for real: remove its accounts so other tests see the demo county only."""
    yield
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE username IN ('clinew', 'weakling')"))


@pytest.mark.usefixtures("cleanup_cli_users")
def test_users_create_makes_an_account_that_must_change_its_password(monkeypatch, capsys):
    monkeypatch.setenv("PERFBUDGET_NEW_PASSWORD", "Cli#Password2026")
    code = cli.main(
        ["users", "create", "--username", "clinew", "--role", "department", "--org-code", "202"]
    )
    assert code == 0, capsys.readouterr().err
    assert "created user clinew" in capsys.readouterr().out
    with Session(get_engine()) as session:
        user = user_repository.get_by_username(session, "clinew")
        assert user is not None and user.must_change_password
        assert user.organisation is not None and user.organisation.code == "202"
    assert cli.main(["users", "create", "--username", "clinew", "--role", "expert"]) == 2
    assert "USERNAME_TAKEN" in capsys.readouterr().err


@pytest.mark.usefixtures("cleanup_cli_users")
def test_users_create_enforces_the_password_policy(monkeypatch, capsys):
    monkeypatch.setenv("PERFBUDGET_NEW_PASSWORD", "short")
    assert cli.main(["users", "create", "--username", "weakling", "--role", "expert"]) == 2
    assert "PASSWORD_POLICY" in capsys.readouterr().err


def test_demo_load_is_idempotent_and_refused_in_production(monkeypatch, engine, capsys):
    assert cli.main(["demo", "load"]) == 0
    assert "already present" in capsys.readouterr().out
    monkeypatch.setenv("PERFBUDGET_ENV", "production")
    monkeypatch.setenv("PERFBUDGET_ALLOW_SQLITE_IN_PRODUCTION", "true")
    get_settings.cache_clear()
    try:
        assert cli.main(["demo", "load"]) == 2
        assert "refused" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_openapi_export_and_check(tmp_path, capsys):
    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "check", "--output", str(target)]) == 1
    assert cli.main(["openapi", "export", "--output", str(target)]) == 0
    assert cli.main(["openapi", "check", "--output", str(target)]) == 0
    document = json.loads(target.read_text())
    document["info"]["version"] = "stale"
    target.write_text(json.dumps(document))
    assert cli.main(["openapi", "check", "--output", str(target)]) == 1
