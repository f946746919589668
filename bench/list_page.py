"""Requests per second for a page of 100 budget items, against a bare endpoint (issue 7, P1).

    python -m bench.list_page --database-url URL [--seconds 10 --threads 4]

Runs ``bench.generate`` first when the database holds no organisations. Then starts two
uvicorn servers on 127.0.0.1 (free ports, one worker each, log level warning):

- the real application (``perfbudget.main:create_app``), loaded with
  ``GET /api/v1/budget-items?fiscal_year=Y&limit=100`` (Y the executing year) signed in as
  the generator's finance user;
- a bare FastAPI app defined here, whose one endpoint returns the same JSON shape for the
  year's first 100 items with ONE hand-written SQLAlchemy Core statement (see ``bare_app``).

A client in this process (httpx, a few threads, loopback only) loads them in turn for
``--seconds`` in all (three alternating rounds each), and prints the median requests/s of
each over the rounds and the ratio. Both servers are killed at the end.
"""

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

GOAL = 0.90  # issue 16 (issue 7: 0.70)
PAGE = 100
ROUNDS = 3
MAX_REQUESTS = 100_000  # per round and server: the load stops by itself whatever the speed


# --- the bare endpoint -----------------------------------------------------------------


def bare_app() -> Any:
    """The ceiling: FastAPI, one Core statement, dicts straight into a JSONResponse.

    Per item of the year (BENCH_BARE_FISCAL_YEAR) it computes what the real list shows: the
    organisation and fiscal year; the current target set (highest number) with its line
    count and total weight; the approved version's number; the graded result of the item it
    continues, with that item's approved amount and whether a rectification plan is on file;
    and the gates: targets approved (unless a department's overall budget), the ex-ante
    assessment of a new major project or policy (concluded, by the investment authority for
    capital construction, not 'not supported'), active payment holds on a funded item, and
    before the decision the S2.5 result gates (a poor predecessor: less than its approval; a
    fair one: a rectification plan, a warning). Not computed: authentication.
    """
    from decimal import Decimal

    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from sqlalchemy import String, and_, cast, create_engine, exists, func, literal, select

    from perfbudget.assessments.models import Assessment
    from perfbudget.budget_items.models import BudgetItem
    from perfbudget.evaluations.models import SelfEvaluation
    from perfbudget.fiscal_years.models import FiscalYear
    from perfbudget.orgs.models import Organisation
    from perfbudget.payments.models import PaymentHold
    from perfbudget.results.models import RectificationPlan
    from perfbudget.targets.models import TargetLine, TargetSet

    items = BudgetItem.__table__.alias("i")
    orgs = Organisation.__table__.alias("o")
    years = FiscalYear.__table__.alias("fy")
    sets = TargetSet.__table__
    lines = TargetLine.__table__
    holds = PaymentHold.__table__
    assessments = Assessment.__table__.alias("a")
    predecessors = BudgetItem.__table__.alias("prev")
    results = SelfEvaluation.__table__.alias("prev_eval")
    plans = RectificationPlan.__table__

    url = os.environ["BENCH_BARE_DATABASE_URL"]
    year = int(os.environ["BENCH_BARE_FISCAL_YEAR"])
    engine = create_engine(url, pool_pre_ping=False)

    of_year = select(years.c.id).where(years.c.year == year)
    page = (
        select(items)
        .where(items.c.fiscal_year_id.in_(of_year))
        .order_by(items.c.id)
        .limit(literal(PAGE, literal_execute=True))
        .offset(literal(0, literal_execute=True))
        .cte("page")
    )
    current = sets.alias("cur")
    newest = select(func.max(sets.c.number)).where(sets.c.item_id == page.c.id).scalar_subquery()
    approved = (
        select(func.max(sets.c.number))
        .where(sets.c.item_id == page.c.id, sets.c.status == "approved")
        .scalar_subquery()
    )
    line_count = select(func.count()).where(lines.c.target_set_id == current.c.id).scalar_subquery()
    weight = (
        select(cast(func.coalesce(func.sum(lines.c.weight), 0), String))
        .where(lines.c.target_set_id == current.c.id)
        .scalar_subquery()
    )

    def held(kind: str) -> Any:
        return (
            select(func.count())
            .where(holds.c.item_id == page.c.id, holds.c.lifted_at.is_(None), holds.c.kind == kind)
            .scalar_subquery()
        )

    everything = BudgetItem.__table__
    total = (
        select(func.count())
        .select_from(everything)
        .where(everything.c.fiscal_year_id.in_(of_year))
        .scalar_subquery()
    )
    plan_on_file = exists(select(plans.c.id).where(plans.c.item_id == predecessors.c.id))
    statement = (
        select(
            page,
            years.c.year.label("fy_year"),
            orgs.c.code.label("org_code"),
            orgs.c.name_zh.label("org_name"),
            current.c.number.label("set_number"),
            current.c.status.label("set_status"),
            line_count.label("line_count"),
            weight.label("total_weight"),
            approved.label("approved_number"),
            held("suspend").label("suspended"),
            held("stop").label("stopped"),
            assessments.c.status.label("assessment_status"),
            assessments.c.assessor_role.label("assessor_role"),
            assessments.c.final_conclusion.label("final_conclusion"),
            results.c.grade.label("predecessor_grade"),
            predecessors.c.approved_amount.label("predecessor_approved"),
            plan_on_file.label("plan_on_file"),
            total.label("total"),
        )
        .join(orgs, orgs.c.id == page.c.organisation_id)
        .join(years, years.c.id == page.c.fiscal_year_id)
        .outerjoin(current, and_(current.c.item_id == page.c.id, current.c.number == newest))
        .outerjoin(assessments, assessments.c.item_id == page.c.id)
        # the graded result of the item this one continues (S2.5)
        .outerjoin(predecessors, predecessors.c.id == page.c.continues_item_id)
        .outerjoin(
            results,
            and_(
                results.c.item_id == predecessors.c.id,
                results.c.status == "graded",
                results.c.grade.is_not(None),
            ),
        )
        .order_by(page.c.id)
    )

    def money(value: Any) -> str | None:
        return None if value is None else f"{value:.2f}"

    def when(value: Any) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    def to_json(row: Any) -> dict[str, Any]:
        targets = None
        if row.set_number is not None:
            targets = {
                "number": row.set_number,
                "status": row.set_status,
                "line_count": row.line_count,
                "total_weight": f"{float(row.total_weight):.2f}",
                "approved_number": row.approved_number,
            }
        blocking = []
        if row.kind != "department_overall" and row.approved_number is None:
            blocking.append("TARGETS_NOT_APPROVED")
        if row.new_major and row.kind in ("project", "policy"):
            concluded = row.assessment_status == "concluded"
            if row.capital_construction and not (concluded and row.assessor_role == "investment"):
                blocking.append("INVESTMENT_ASSESSMENT_REQUIRED")
            elif not row.capital_construction and not concluded:
                blocking.append("ASSESSMENT_REQUIRED")
            if concluded and row.final_conclusion == "not_supported":
                blocking.append("ASSESSMENT_NOT_SUPPORTED")
        if row.status == "funded":
            if row.suspended:
                blocking.append("PAYMENT_HOLD")
            if row.stopped:
                blocking.append("ITEM_STOPPED")
        warnings = []
        deciding = row.status not in ("funded", "rejected")
        if deciding and row.predecessor_grade == "poor" and row.predecessor_approved is not None:
            if Decimal(str(row.requested_amount)) >= Decimal(str(row.predecessor_approved)):
                blocking.append("POOR_RESULT_REQUIRES_REDUCTION")
        elif deciding and row.predecessor_grade == "fair" and not row.plan_on_file:
            warnings.append("RECTIFICATION_PLAN_EXPECTED")
        return {
            "id": row.id,
            "fiscal_year": row.fy_year,
            "organisation": {
                "id": row.organisation_id,
                "code": row.org_code,
                "name_zh": row.org_name,
            },
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "budget_book": row.budget_book,
            "fund_category": row.fund_category,
            "new_major": row.new_major,
            "capital_construction": row.capital_construction,
            "mid_year_addition": row.mid_year_addition,
            "serves_public": row.serves_public,
            "requested_amount": money(row.requested_amount),
            "approved_amount": money(row.approved_amount),
            "description": row.description,
            "continues_item_id": row.continues_item_id,
            "status": row.status,
            "return_reason": row.return_reason,
            "decision_reason": row.decision_reason,
            "submitted_at": when(row.submitted_at),
            "decided_at": when(row.decided_at),
            "version": row.version,
            "created_at": when(row.created_at),
            "updated_at": when(row.updated_at),
            "targets": targets,
            "gates": {"passed": not blocking, "blocking": blocking, "warnings": warnings},
            "predecessor_grade": row.predecessor_grade,
        }

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/bare/budget-items")
    def bare_items() -> JSONResponse:
        with engine.connect() as connection:
            rows = connection.execute(statement).all()
        return JSONResponse(
            {
                "items": [to_json(row) for row in rows],
                "total": rows[0].total if rows else 0,
                "limit": PAGE,
                "offset": 0,
            }
        )

    return app


# --- servers and load ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_server(
    target: str,
    env: dict[str, str],
    workers: int = 1,
    ready_path: str = "/",
    output: IO[bytes] | None = None,
) -> Iterator[str]:
    """Start ``uvicorn --factory target`` on a free loopback port; yield its base URL; kill it
    (and its worker processes: its own process group) on the way out. ``output`` takes the
    server's stdout and stderr (its logs), else they are this process's."""
    import httpx

    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", target, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        start_new_session=True,
        stdout=output,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{target} exited with {process.returncode}")
            try:
                httpx.get(base + ready_path, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not start within 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def load(url: str, headers: dict[str, str], seconds: float, threads: int) -> float:
    """Requests per second over ``seconds`` with ``threads`` keep-alive clients (status
    checked on every response; the body only in ``warm``, to keep the client light)."""
    import httpx

    done = [0] * threads
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            while time.perf_counter() < stop_at and done[slot] < MAX_REQUESTS:
                response = client.get(url)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                done[slot] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{url}: {errors[0]}")
    return sum(done) / elapsed


def app_env(database_url: str) -> dict[str, str]:
    return {
        "PERFBUDGET_DATABASE_URL": database_url,
        "PERFBUDGET_SECRET_KEY": os.environ.get("PERFBUDGET_SECRET_KEY")
        or secrets.token_urlsafe(48),
        "PERFBUDGET_LOG_LEVEL": "WARNING",
        "BENCH_BARE_DATABASE_URL": database_url,
    }


def ensure_county(database_url: str) -> None:
    """Generate a county into the database if it holds no organisations yet."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            empty = not inspect(connection).has_table("organisations") or not (
                connection.execute(text("select count(*) from organisations")).scalar()
            )
    finally:
        engine.dispose()
    if empty:
        print("empty database: running bench.generate first", flush=True)
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--database-url", database_url], check=True
        )


def sign_in(base: str) -> dict[str, str]:
    import httpx

    from bench.generate import BENCH_PASSWORD, FINANCE_USER

    response = httpx.post(
        base + "/api/v1/auth/token",
        data={"username": FINANCE_USER, "password": BENCH_PASSWORD},
        timeout=30,
    )
    if response.status_code != 200:
        raise RuntimeError(f"cannot sign in as {FINANCE_USER}: {response.text[:200]}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def page_check(body: Any) -> None:
    assert len(body["items"]) == PAGE and body["items"][0]["targets"] is not None, body


def warm(url: str, headers: dict[str, str], count: int = 20) -> Any:
    import httpx

    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(count):
            response = client.get(url)
            response.raise_for_status()
    body = response.json()
    page_check(body)
    return body


def executing_year(database_url: str) -> int:
    """The year being executed (the latest, if several): the page the benchmark lists."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            year = connection.execute(
                text("select max(year) from fiscal_years where status = 'executing'")
            ).scalar()
    finally:
        engine.dispose()
    if year is None:
        raise SystemExit("no executing fiscal year: regenerate with bench.generate")
    return int(year)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.list_page", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0, help="Load time in all")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    if args.seconds > 15:
        parser.error("keep the load bounded: --seconds at most 15")

    ensure_county(args.database_url)
    year = executing_year(args.database_url)
    env = {**app_env(args.database_url), "BENCH_BARE_FISCAL_YEAR": str(year)}
    real_path = f"/api/v1/budget-items?fiscal_year={year}&limit={PAGE}"
    with (
        uvicorn_server("perfbudget.main:create_app", env) as real,
        uvicorn_server("bench.list_page:bare_app", env) as bare,
    ):
        headers = sign_in(real)
        real_body = warm(real + real_path, headers)
        bare_body = warm(bare + "/bare/budget-items", {})
        same = "identical" if real_body == bare_body else "DIFFERENT"
        print(
            f"{args.database_url.split(':')[0]}: fiscal year {year}, {real_body['total']} items, "
            f"{sum(i['predecessor_grade'] is not None for i in real_body['items'])} of the "
            f"page continue a graded item, page of {PAGE}, "
            f"{args.threads} client threads, {ROUNDS} rounds of "
            f"{args.seconds / ROUNDS / 2:.1f} s each; JSON of the two: {same}"
        )
        share = args.seconds / ROUNDS / 2
        real_rates, bare_rates = [], []
        for _ in range(ROUNDS):
            real_rates.append(load(real + real_path, headers, share, args.threads))
            bare_rates.append(load(bare + "/bare/budget-items", {}, share, args.threads))
    real_rps, bare_rps = statistics.median(real_rates), statistics.median(bare_rates)
    ratio = real_rps / bare_rps
    print(f"{'server':<34}{'median req/s':>14}   rounds")
    print(f"{'perfbudget GET /budget-items':<34}{real_rps:>14.1f}   " + _rounds(real_rates))
    print(f"{'bare FastAPI + one Core query':<34}{bare_rps:>14.1f}   " + _rounds(bare_rates))
    print(f"ratio {ratio:.2f} (goal ≥ {GOAL:.2f}): {'met' if ratio >= GOAL else 'MISSED'}")
    return 0 if ratio >= GOAL else 1


def _rounds(rates: list[float]) -> str:
    return " ".join(f"{rate:.1f}" for rate in rates)


if __name__ == "__main__":
    sys.exit(main())
