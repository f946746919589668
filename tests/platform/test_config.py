"""Settings refuse unsafe production configurations; development keeps a generated secret."""

import stat

import pytest
from pydantic import ValidationError

from perfbudget.config import Settings

PG = "postgresql+psycopg://perfbudget@db.internal/perfbudget"
pytestmark = pytest.mark.usefixtures("production_hash_costs")


def test_production_requires_a_long_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(env="production", database_url=PG, secret_key=None)
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(env="production", database_url=PG, secret_key="x" * 31)
    assert Settings(env="production", database_url=PG, secret_key="x" * 32).is_production


def test_production_refuses_sqlite_unless_allowed():
    with pytest.raises(ValidationError, match="SQLite"):
        Settings(env="production", database_url="sqlite:///prod.db", secret_key="k" * 40)
    allowed = Settings(
        env="production",
        database_url="sqlite:///prod.db",
        secret_key="k" * 40,
        allow_sqlite_in_production=True,
    )
    assert allowed.is_sqlite


def test_development_generates_a_secret_once_and_keeps_it(tmp_path):
    path = tmp_path / "secret"
    settings = Settings(env="development", secret_key=None, secret_file=path)
    first = settings.signing_key()
    assert len(first) >= 43
    assert settings.signing_key() == first
    assert Settings(env="development", secret_key=None, secret_file=path).signing_key() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = Settings(env="development", secret_key=None, secret_file=tmp_path / "other")
    assert other.signing_key() != first


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("PERFBUDGET_ACCESS_TOKEN_MINUTES", "15")
    monkeypatch.setenv("PERFBUDGET_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("PERFBUDGET_LOCKOUT_THRESHOLD", "3")
    settings = Settings()
    assert settings.access_token_minutes == 15
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.lockout_threshold == 3


def test_token_lifetime_is_bounded():
    with pytest.raises(ValidationError):
        Settings(access_token_minutes=0)


def test_production_refuses_passwords_hashed_below_the_owasp_floor():
    production = {"env": "production", "database_url": PG, "secret_key": "k" * 40}
    with pytest.raises(ValidationError, match="PASSWORD_HASH_MEMORY_KIB of at least 19456"):
        Settings(**production, password_hash_memory_kib=19 * 1024 - 1)
    with pytest.raises(ValidationError, match="PASSWORD_HASH_TIME_COST of at least 2"):
        Settings(**production, password_hash_time_cost=1)
    floor = Settings(**production, password_hash_memory_kib=19 * 1024, password_hash_time_cost=2)
    assert floor.is_production
    default = Settings(**production)
    assert (default.password_hash_time_cost, default.password_hash_memory_kib) == (3, 64 * 1024)
    # a development run may go as low as it likes
    assert (
        Settings(password_hash_time_cost=1, password_hash_memory_kib=8).password_hash_time_cost == 1
    )
