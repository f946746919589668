"""Time a batch upload of monthly monitoring rows, and its memory (issue 6 "Done means").

    python -m bench.imports --database-url URL [--rows 10000] [--uploads 10]

Needs an empty database: migrates it and builds a county with bench.generate's rows, minus
its monitoring reports, holds and rectifications. Then, as one department's user:

1. memory: ``--uploads`` dry runs of ``--rows`` rows each (100,000 rows by default) through
   the upload endpoint, with the process's peak RSS before and after;
2. the upload: the same rows imported for real (every row through save_draft: permission,
   rules, audit), timed;
3. the floor: the same reports and lines written with SQLAlchemy Core executemany (no rules,
   no audit) in a transaction that is rolled back, timed; and the ratio of the two.
"""

import argparse
import csv
import gc
import io
import os
import resource
import secrets
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select, text

DEPARTMENT_USER = "bench_department"
CENT = Decimal("0.01")
SKIPPED = ("monitoring_reports", "payment_holds", "rectifications")


def peak_rss_mib() -> float:
    """VmHWM (resettable) where Linux has it, else ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Forget the set-up's peak (Argon2 hashing, the lines query): Linux's clear_refs 5."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def build_county(engine: Engine, items: int, organisations: int, year: int) -> None:
    import perfbudget.models  # noqa: F401 - every table registered on the metadata
    from bench.generate import BENCH_PASSWORD, CHUNK, TABLES, _chunks, _next_ids, build
    from perfbudget.auth.passwords import hash_password
    from perfbudget.db import Base

    tables = {name: Base.metadata.tables[name] for name in TABLES}
    with engine.begin() as connection:
        if connection.scalar(select(func.count()).select_from(tables["organisations"])):
            raise SystemExit("the database already holds organisations: use an empty one")
        county = build(
            organisations=organisations,
            items=items,
            seed=42,
            year=year,
            next_ids=_next_ids(connection, tables),
            password_hash=hash_password(BENCH_PASSWORD),
            years=1,  # one executing year: the upload's reports are for its items
        )
        for name in TABLES:
            if name in SKIPPED:
                continue
            for chunk in _chunks(county.rows.get(name, []), CHUNK):
                connection.execute(tables[name].insert(), list(chunk))
        if engine.dialect.name == "postgresql":
            for name in TABLES:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {name}))"
                    )
                )


def department_rows(engine: Engine, wanted: int) -> tuple[int, list[dict[str, Any]]]:
    """The department with the most monitored lines of its own, and up to ``wanted`` rows
    (whole reports: every line of an item's month)."""
    lines_sql = text(
        """
        SELECT i.organisation_id, i.id, l.id, l.direction, l.target_value
        FROM budget_items i
        JOIN target_sets s ON s.item_id = i.id AND s.status = 'approved'
        JOIN target_lines l ON l.target_set_id = s.id
        JOIN organisations o ON o.id = i.organisation_id AND o.kind = 'department'
        WHERE i.status = 'funded' AND i.kind IN ('project', 'policy')
        ORDER BY i.organisation_id, i.id, l.position
        """
    )
    with engine.connect() as connection:
        found = connection.execute(lines_sql).all()
    by_org: dict[int, dict[int, list[Any]]] = {}
    for org, item, line, direction, value in found:
        by_org.setdefault(org, {}).setdefault(item, []).append((line, direction, value))
    org = max(by_org, key=lambda o: sum(len(v) for v in by_org[o].values()))
    rows: list[dict[str, Any]] = []
    for month in range(1, 13):
        for item, lines in by_org[org].items():
            if len(rows) + len(lines) > wanted:
                return org, rows
            for line, direction, value in lines:
                qualitative = direction == "qualitative"
                actual = (
                    "" if qualitative else str((Decimal(value or 0) * month / 12).quantize(CENT))
                )
                rows.append(
                    {
                        "item_id": item,
                        "month": month,
                        "cumulative_execution": "0.00",
                        "target_line_id": line,
                        "actual": actual,
                        "qualitative_status": "achieved" if qualitative else "",
                    }
                )
    return org, rows


def add_department_user(engine: Engine, organisation_id: int) -> None:
    from bench.generate import BENCH_PASSWORD
    from perfbudget.auth.passwords import hash_password

    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, display_name, role, organisation_id, "
                "password_hash, is_active, must_change_password, token_version, "
                "failed_login_count, version, created_at, updated_at) VALUES (:u, :d, "
                "'department', :o, :h, true, false, 1, 0, 1, :n, :n)"
            ),
            {
                "u": DEPARTMENT_USER,
                "d": "部门（基准测试）",
                "o": organisation_id,
                "h": hash_password(BENCH_PASSWORD),
                "n": now,
            },
        )


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def core_insert(engine: Engine, rows: list[dict[str, Any]], year: int, user_id: int) -> float:
    """The same reports and lines by executemany; rolled back."""
    from perfbudget.db import Base
    from perfbudget.monitoring import schedule

    reports_table = Base.metadata.tables["monitoring_reports"]
    lines_table = Base.metadata.tables["monitoring_report_lines"]
    started = time.perf_counter()
    with engine.connect() as connection, connection.begin() as transaction:
        items = {row["item_id"] for row in rows}
        meta = dict(
            connection.execute(
                text(
                    "SELECT id, organisation_id FROM budget_items WHERE id IN ({})".format(
                        ",".join(str(i) for i in items)
                    )
                )
            ).all()
        )
        fiscal_year_id = connection.scalar(text(f"SELECT id FROM fiscal_years WHERE year={year}"))
        next_id = (connection.scalar(select(func.max(reports_table.c.id))) or 0) + 1
        now = datetime.now(UTC)
        ids: dict[tuple[int, int], int] = {}
        reports, lines = [], []
        for row in rows:
            key = (row["item_id"], row["month"])
            if key not in ids:
                ids[key] = next_id
                reports.append(
                    {
                        "id": next_id,
                        "item_id": key[0],
                        "fiscal_year_id": fiscal_year_id,
                        "organisation_id": meta[key[0]],
                        "month": key[1],
                        "status": "draft",
                        "cumulative_execution": Decimal("0.00"),
                        "target_expected": True,
                        "deviation_reasons": "",
                        "corrective_measures": "",
                        "due_on": schedule.after_month(year, key[1]),
                        "late": False,
                        "lights": {},
                        "created_by_id": user_id,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                next_id += 1
            lines.append(
                {
                    "report_id": ids[key],
                    "target_line_id": row["target_line_id"],
                    "actual": Decimal(row["actual"]) if row["actual"] else None,
                    "qualitative_status": row["qualitative_status"] or None,
                    "year_target_expected": True,
                    "note": "",
                }
            )
        connection.execute(reports_table.insert(), reports)
        connection.execute(lines_table.insert(), lines)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=10, help="dry runs for the memory test")
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--organisations", type=int, default=40)
    parser.add_argument("--year", type=int, default=datetime.now(UTC).year - 1)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["PERFBUDGET_LOG_LEVEL"] = "WARNING"

    from fastapi.testclient import TestClient

    from bench.generate import BENCH_PASSWORD, migrate
    from perfbudget.config import get_settings
    from perfbudget.db import get_engine
    from perfbudget.main import create_app

    get_settings.cache_clear()
    engine = get_engine()
    if args.build_only:
        migrate(args.database_url)
        build_county(engine, args.items, args.organisations, args.year)
        return 0
    started = time.perf_counter()
    # the county is built in a child process: its rows must not count in this one's peak
    subprocess.run(
        [sys.executable, "-m", "bench.imports", "--build-only", *(argv or sys.argv[1:])],
        check=True,
    )
    org, rows = department_rows(engine, args.rows)
    add_department_user(engine, org)
    print(
        f"county built in {time.perf_counter() - started:.1f} s; {len(rows)} rows, "
        f"{len({(r['item_id'], r['month']) for r in rows})} reports, department {org}"
    )
    body = as_csv(rows)
    with TestClient(create_app()) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": DEPARTMENT_USER, "password": BENCH_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
        gc.collect()
        reset_peak_rss()
        baseline = peak_rss_mib()
        dry_started = time.perf_counter()
        tracemalloc.start()
        traced_peak = 0.0
        for upload in range(args.uploads):
            if upload == 1:  # the first upload's Python allocations; the rest run untraced
                traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            response = client.post(
                "/api/v1/imports/monitoring-reports",
                content=body,
                headers=headers,
                params={"dry_run": "true"},
            )
            assert response.status_code == 200, response.text[:2000]
        if tracemalloc.is_tracing():
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        dry_seconds = time.perf_counter() - dry_started
        after_dry = peak_rss_mib()
        print(
            f"memory: {args.uploads} dry-run uploads of {len(rows)} rows "
            f"({args.uploads * len(rows)} rows, {len(body)} bytes each) in {dry_seconds:.1f} s; "
            f"peak RSS {baseline:.0f} MiB before, {after_dry:.0f} MiB after "
            f"(+{after_dry - baseline:.0f} MiB)"
        )
        print(f"tracemalloc peak of one upload: {traced_peak:.1f} MiB")
        upload_started = time.perf_counter()
        response = client.post("/api/v1/imports/monitoring-reports", content=body, headers=headers)
        upload_seconds = time.perf_counter() - upload_started
        assert response.status_code == 201, response.text[:2000]
    with engine.connect() as connection:
        user_id = connection.scalar(
            text("SELECT id FROM users WHERE username = :u"), {"u": DEPARTMENT_USER}
        )
        connection.execute(text("DELETE FROM monitoring_report_lines"))
        connection.execute(text("DELETE FROM monitoring_reports"))
        connection.commit()
    core_seconds = core_insert(engine, rows, args.year, user_id)
    print(
        f"upload: {len(rows)} rows in {upload_seconds:.2f} s "
        f"({len(rows) / upload_seconds:.0f} rows/s)"
    )
    print(f"core executemany: {core_seconds:.2f} s; ratio {upload_seconds / core_seconds:.1f}x")
    print(f"peak RSS at the end {peak_rss_mib():.0f} MiB")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
