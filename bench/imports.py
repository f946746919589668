"""Time 10,000-row batch uploads against raw executemany, and their memory (issue 6 "Done
means", issue 7 P2 and P5).

    python -m bench.imports --database-url URL [--rows 10000] [--uploads 10]

Needs an empty database: migrates it and builds a county with bench.generate's rows, minus
its monitoring reports, holds and rectifications. Then, as one department's user:

1. P5 memory: ``--uploads`` dry runs of ``--rows`` monitoring rows each (100,000 rows by
   default) through the upload endpoint, with the process's peak RSS before and after;
2. P2 monitoring: the same rows imported for real (every row through save_draft:
   permission, rules, audit), timed;
3. P2 budget items: ``--rows`` budget requests for the department and its units, into the
   next fiscal year (created in preparation through the API by the generator's finance
   user), imported for real (every row through create_item), timed;
4. the floor of each: the same rows written with SQLAlchemy Core executemany (no rules, no
   audit) in a transaction that is rolled back, timed; and the share of raw speed,
   raw seconds / upload seconds.

Goals (P2, P5): an upload in ≤ 3 s and at ≥ 0.5 of raw speed; peak RSS ≤ 250 MB.
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
GOAL_SECONDS = 3.0  # P2: a 10,000-row upload
GOAL_SHARE = 0.5  # P2: raw seconds / upload seconds
GOAL_RSS_MB = 250  # P5, in MB (10**6 bytes)

# Per department, its own funded projects and policies, and each one's approved target
# lines in order: (line id, direction, target value).
Monitored = dict[int, dict[int, list[tuple[int, str, Any]]]]


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


def monitored_lines(engine: Engine) -> Monitored:
    """Per department, the funded projects and policies of its own with approved targets:
    the reports its user may file (a unit's would go through the department's review)."""
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
    by_org: Monitored = {}
    for org, item, line, direction, value in found:
        by_org.setdefault(org, {}).setdefault(item, []).append((line, direction, value))
    return by_org


def department_rows(engine: Engine, wanted: int) -> tuple[int, list[dict[str, Any]]]:
    """The department with the most monitored lines of its own, and up to ``wanted`` rows
    (whole reports: every line of an item's month)."""
    by_org = monitored_lines(engine)
    org = max(by_org, key=lambda o: sum(len(v) for v in by_org[o].values()))
    return org, report_rows(by_org[org], wanted)


def report_rows(items: dict[int, list[tuple[int, str, Any]]], wanted: int) -> list[dict[str, Any]]:
    """Month after month, every line of each item's report, up to ``wanted`` rows: whole
    reports only, so that each is valid on its own."""
    rows: list[dict[str, Any]] = []
    for month in range(1, 13):
        for item, lines in items.items():
            if len(rows) + len(lines) > wanted:
                return rows
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
    return rows


def add_department_user(
    engine: Engine,
    organisation_id: int,
    username: str = DEPARTMENT_USER,
    display_name: str = "部门（基准测试）",
) -> int:
    """A department user with BENCH_PASSWORD (the generator makes none); its id."""
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
                "u": username,
                "d": display_name,
                "o": organisation_id,
                "h": hash_password(BENCH_PASSWORD),
                "n": now,
            },
        )
        user_id = connection.scalar(
            text("SELECT id FROM users WHERE username = :u"), {"u": username}
        )
    return int(user_id)


def budget_item_rows(
    engine: Engine, organisation_id: int, year: int, wanted: int
) -> list[dict[str, Any]]:
    """``wanted`` budget requests as a department files them for ``year``: for itself and
    each of its units in turn, a fifth of them policies, across the budget books, in the
    template's Chinese labels (是/否, 项目支出 …) as county staff fill it in."""
    from perfbudget.budget_items.models import BudgetBook, FundCategory, ItemKind

    with engine.connect() as connection:
        path = connection.scalar(
            text("SELECT path FROM organisations WHERE id = :o"), {"o": organisation_id}
        )
        owners = list(
            connection.scalars(
                text("SELECT id FROM organisations WHERE path LIKE :p AND is_active ORDER BY id"),
                {"p": f"{path}%"},
            )
        )
    books = [book.label_zh for book in BudgetBook]
    rows: list[dict[str, Any]] = []
    for n in range(wanted):
        policy = n % 5 == 4
        rows.append(
            {
                "fiscal_year": year,
                "organisation_id": owners[n % len(owners)],
                "code": f"{year}-BENCH-{n + 1:05d}",
                "name": f"{year}年基准测试{'政策' if policy else '项目'}{n + 1:05d}",
                "kind": (ItemKind.policy if policy else ItemKind.project).label_zh,
                "budget_book": books[n % len(books)],
                "fund_category": FundCategory.ordinary.label_zh,
                "new_major": "否",
                "capital_construction": "否",
                "mid_year_addition": "否",
                "serves_public": "是" if n % 3 == 0 else "否",
                "requested_amount": f"{20_000 + (n * 7919) % 5_000_000}.00",
                "description": "基准测试批量申报",
            }
        )
    return rows


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
        meta: dict[int, int] = dict(
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


def core_budget_items(engine: Engine, rows: list[dict[str, Any]], user_id: int) -> float:
    """The same budget requests, as drafts, by executemany; rolled back."""
    from perfbudget.budget_items.models import BudgetBook, FundCategory, ItemKind
    from perfbudget.db import Base

    table = Base.metadata.tables["budget_items"]
    values = {
        enum.label_zh: enum.value
        for enums in (ItemKind, BudgetBook, FundCategory)
        for enum in enums
    }
    started = time.perf_counter()
    with engine.connect() as connection, connection.begin() as transaction:
        years: dict[int, int] = dict(
            connection.execute(text("SELECT year, id FROM fiscal_years")).all()
        )
        now = datetime.now(UTC)
        items = [
            {
                "fiscal_year_id": years[row["fiscal_year"]],
                "organisation_id": row["organisation_id"],
                "code": row["code"],
                "name": row["name"],
                "kind": values[row["kind"]],
                "budget_book": values[row["budget_book"]],
                "fund_category": values[row["fund_category"]],
                "new_major": row["new_major"] == "是",
                "capital_construction": row["capital_construction"] == "是",
                "mid_year_addition": row["mid_year_addition"] == "是",
                "serves_public": row["serves_public"] == "是",
                "requested_amount": Decimal(row["requested_amount"]),
                "description": row["description"],
                "continues_item_id": None,
                "status": "draft",
                "created_by_id": user_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ]
        connection.execute(table.insert(), items)
        elapsed = time.perf_counter() - started
        transaction.rollback()
    return elapsed


def sign_in(client: Any, username: str) -> dict[str, str]:
    """Bearer headers for ``username`` (BENCH_PASSWORD) on a TestClient."""
    from bench.generate import BENCH_PASSWORD

    response = client.post(
        "/api/v1/auth/token", data={"username": username, "password": BENCH_PASSWORD}
    )
    assert response.status_code == 200, response.text[:2000]
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def timed_upload(client: Any, kind: str, body: bytes, headers: dict[str, str]) -> tuple[float, int]:
    """Seconds and status of a real upload (201 expected: anything else stops the bench)."""
    started = time.perf_counter()
    response = client.post(
        f"/api/v1/imports/{kind}", content=body, headers={**headers, "Content-Type": "text/csv"}
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 201, response.text[:2000]
    return seconds, response.status_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000, help="Rows per upload")
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

    from bench.generate import FINANCE_USER, migrate
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
    user_id = add_department_user(engine, org)
    preparing = args.year + 1
    items = budget_item_rows(engine, org, preparing, args.rows)
    dialect = engine.dialect.name
    print(
        f"{dialect}: county built in {time.perf_counter() - started:.1f} s; department {org}: "
        f"{len(rows)} monitoring rows ({len({(r['item_id'], r['month']) for r in rows})} "
        f"reports, {args.year}), {len(items)} budget-item rows ({preparing}, "
        f"{len({r['organisation_id'] for r in items})} organisations)",
        flush=True,
    )
    body = as_csv(rows)
    with TestClient(create_app()) as client:
        headers = sign_in(client, DEPARTMENT_USER)
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
                headers={**headers, "Content-Type": "text/csv"},
                params={"dry_run": "true"},
            )
            assert response.status_code == 200, response.text[:2000]
        if tracemalloc.is_tracing():
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        dry_seconds = time.perf_counter() - dry_started
        peak_rss = peak_rss_mib()
        print(
            f"P5 memory: {args.uploads} dry runs of {len(rows)} monitoring rows "
            f"({len(body)} bytes each) in {dry_seconds:.1f} s; peak RSS {baseline:.0f} MiB "
            f"before, {peak_rss:.0f} MiB after (+{peak_rss - baseline:.0f} MiB); tracemalloc "
            f"peak of one upload {traced_peak:.1f} MiB",
            flush=True,
        )
        monitoring_seconds, status = timed_upload(client, "monitoring-reports", body, headers)
        print(
            f"P2 monitoring-reports upload: {len(rows)} rows, {status} in "
            f"{monitoring_seconds:.2f} s ({len(rows) / monitoring_seconds:.0f} rows/s)",
            flush=True,
        )
        response = client.post(
            "/api/v1/fiscal-years", json={"year": preparing}, headers=sign_in(client, FINANCE_USER)
        )
        assert response.status_code == 201, response.text[:2000]
        items_seconds, status = timed_upload(client, "budget-items", as_csv(items), headers)
        print(
            f"P2 budget-items upload: {len(items)} rows, {status} in {items_seconds:.2f} s "
            f"({len(items) / items_seconds:.0f} rows/s)",
            flush=True,
        )
    with engine.connect() as connection:
        connection.execute(text("DELETE FROM monitoring_report_lines"))
        connection.execute(text("DELETE FROM monitoring_reports"))
        connection.commit()
    raw_monitoring = core_insert(engine, rows, args.year, user_id)
    monitoring_share = raw_monitoring / monitoring_seconds
    print(
        f"P2 monitoring-reports raw executemany: {raw_monitoring:.2f} s; "
        f"share of raw speed {monitoring_share:.3f}"
    )
    raw_items = core_budget_items(engine, items, user_id)
    items_share = raw_items / items_seconds
    print(
        f"P2 budget-items raw executemany: {raw_items:.2f} s; share of raw speed {items_share:.3f}"
    )
    engine.dispose()
    peak_mb = peak_rss * 2**20 / 1e6
    summary = (
        (
            "P2 monitoring-reports upload",
            f"{monitoring_seconds:.2f} s",
            "≤ 3 s",
            monitoring_seconds <= GOAL_SECONDS,
        ),
        (
            "P2 monitoring-reports share of raw",
            f"{monitoring_share:.3f}",
            "≥ 0.5",
            monitoring_share >= GOAL_SHARE,
        ),
        (
            "P2 budget-items upload",
            f"{items_seconds:.2f} s",
            "≤ 3 s",
            items_seconds <= GOAL_SECONDS,
        ),
        ("P2 budget-items share of raw", f"{items_share:.3f}", "≥ 0.5", items_share >= GOAL_SHARE),
        (
            f"P5 peak RSS, {args.uploads} dry runs",
            f"{peak_mb:.0f} MB",
            "≤ 250 MB",
            peak_mb <= GOAL_RSS_MB,
        ),
    )
    print(f"summary ({dialect}, {len(rows)} monitoring rows, {len(items)} budget-item rows):")
    for name, value, goal, met in summary:
        print(f"  {name:<36}{value:>10}  {goal:<9}{'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
