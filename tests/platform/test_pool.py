"""The connection pool is sized from settings, and a request that gets no connection in
time is told to retry (503), not failed (500)."""

from sqlalchemy.pool import QueuePool

from perfbudget.config import Settings
from perfbudget.db import Pool, make_engine
from tests.isolated import served_county, sign_in
from tests.problems import assert_problem


def test_the_pool_is_sized_from_settings(monkeypatch):
    defaults = Pool.of(Settings())
    assert defaults == Pool(size=10, max_overflow=10, timeout_seconds=10, recycle_seconds=1800)
    monkeypatch.setenv("PERFBUDGET_DB_POOL_SIZE", "4")
    monkeypatch.setenv("PERFBUDGET_DB_MAX_OVERFLOW", "2")
    monkeypatch.setenv("PERFBUDGET_DB_POOL_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("PERFBUDGET_DB_POOL_RECYCLE_SECONDS", "600")
    pool = Pool.of(Settings())
    assert pool == Pool(size=4, max_overflow=2, timeout_seconds=3.5, recycle_seconds=600)
    for url in ("postgresql+psycopg://county@db.internal/perfbudget", "sqlite:////tmp/pb.db"):
        engine = make_engine(url, pool=pool)  # no connection is opened
        assert isinstance(engine.pool, QueuePool)
        assert (engine.pool.size(), engine.pool._max_overflow) == (4, 2)
        assert (engine.pool._timeout, engine.pool._recycle) == (3.5, 600)


def test_no_connection_in_time_is_503_with_retry_after(tmp_path):
    pool = Pool(size=1, max_overflow=0, timeout_seconds=0.3)
    with served_county(tmp_path, "pool", pool=pool) as (client, engine):
        headers = sign_in(client, "finance")
        with engine.connect():  # the pool's only connection, held elsewhere
            busy = client.get("/api/v1/organisations", headers=headers)
        body = assert_problem(busy, 503, "DATABASE_BUSY")
        assert busy.headers["Retry-After"] == str(body["retry_after"])
        assert client.get("/api/v1/organisations", headers=headers).status_code == 200
