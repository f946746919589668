"""Time the to-do inbox on a generated county (issue 17).

    python -m bench.generate --database-url URL      # once
    python -m bench.tasks --database-url URL [--repeat 20]

Goes through the whole application in process (FastAPI's TestClient: routing, the token,
validation, serialisation), as ``bench.overview`` does, and prints the median and 95th
percentile in milliseconds of ``GET /api/v1/me/tasks`` (the default 20 per kind, and 100 per
kind) and ``GET /api/v1/me/tasks/summary``, for the generator's finance user (the county's
queues) and for a department user of the department with the most items in its subtree
(``bench_tasks_department``, added on the first run): its units' reviews, the months its
items owe, its rectifications. The county's clock is today's: on the generator's default
county (last year executing) every month's report has fallen due.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.overview import percentile, timed

GOAL_MS = 100.0
DEPARTMENT_USER = "bench_tasks_department"

# the top-level department with the most items of its own and its units'
BUSIEST_DEPARTMENT = """
SELECT d.id, d.code, d.name_zh, count(i.id) AS items
FROM organisations d
JOIN organisations o ON o.path LIKE d.path || '%'
JOIN budget_items i ON i.organisation_id = o.id
WHERE d.parent_id IS NULL AND d.kind = 'department'
GROUP BY d.id, d.code, d.name_zh
ORDER BY items DESC, d.id
LIMIT 1
"""


def department_user(url: str) -> str:
    """The department user this benchmark signs in as, added to the busiest department."""
    from sqlalchemy import text

    from bench.imports import add_department_user
    from perfbudget.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                text("SELECT organisation_id FROM users WHERE username = :u"),
                {"u": DEPARTMENT_USER},
            )
            org_id, code, name, items = connection.execute(text(BUSIEST_DEPARTMENT)).one()
        if exists is None:
            add_department_user(engine, org_id, DEPARTMENT_USER, "部门待办（基准测试）")
        return f"{DEPARTMENT_USER} ({code} {name}, {items} items over all years)"
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tasks", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["PERFBUDGET_LOG_LEVEL"] = "WARNING"

    from fastapi.testclient import TestClient

    from bench.generate import BENCH_PASSWORD, FINANCE_USER
    from perfbudget.config import get_settings
    from perfbudget.main import create_app

    get_settings.cache_clear()
    department = department_user(args.database_url)
    with TestClient(create_app()) as client:
        headers = {}
        for username in (FINANCE_USER, DEPARTMENT_USER):
            signed_in = client.post(
                "/api/v1/auth/token", data={"username": username, "password": BENCH_PASSWORD}
            )
            if signed_in.status_code != 200:
                print(f"cannot sign in as {username}: run bench.generate first", file=sys.stderr)
                return 2
            headers[username] = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

        def get(username: str, url: str, **params: Any) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(url, params=params, headers=headers[username])
                assert response.status_code == 200, response.text
                return response.json()

            return call

        print(f"{get_settings().database_url.split(':')[0]}, repeat {args.repeat}")
        print(f"finance: {FINANCE_USER}; department: {department}")
        cases = []
        for username, label in ((FINANCE_USER, "finance"), (DEPARTMENT_USER, "department")):
            summary = get(username, "/api/v1/me/tasks/summary")()
            kinds = ", ".join(f"{k['kind']} {k['total']}" for k in summary["kinds"] if k["total"])
            print(
                f"  {label} as of {summary['as_of']}: {summary['total']} tasks "
                f"({summary['overdue']} overdue): {kinds or 'none'}"
            )
            cases += [
                (f"{label} tasks", get(username, "/api/v1/me/tasks")),
                (f"{label} tasks 100/kind", get(username, "/api/v1/me/tasks", limit=100)),
                (f"{label} summary", get(username, "/api/v1/me/tasks/summary")),
            ]
        # CPU ms: the process's own time per request (SQLite runs in it), which a machine
        # shared with other work inflates far less than the wall clock
        print(f"{'request':<26}{'median ms':>10}{'p95 ms':>10}{'min ms':>10}{'CPU ms':>10}")
        missed = False
        for name, call in cases:
            timed(call, 3, warmup=0)  # warm up
            started = time.process_time()
            samples = timed(call, args.repeat, warmup=0)
            cpu = (time.process_time() - started) * 1000 / args.repeat
            median = statistics.median(samples)
            missed |= median > GOAL_MS
            print(
                f"{name:<26}{median:>10.1f}{percentile(samples, 0.95):>10.1f}"
                f"{min(samples):>10.1f}{cpu:>10.1f}"
            )
        print(f"goal: every median ≤ {GOAL_MS:.0f} ms: {'MISSED' if missed else 'met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
