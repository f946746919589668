"""Time the bureau's monitoring overview and the results ledger on a generated county
(issue 7, P3; issue 16: ≤ 50 ms for the overview, the compliance listing and the queue).

    python -m bench.generate --database-url URL      # once
    python -m bench.overview --database-url URL [--repeat 20]

Goes through the whole application in process (FastAPI's TestClient: routing, the token,
validation, serialisation), signed in as the generator's finance user, and prints the median
and 95th percentile of each request in milliseconds. The overview is timed on the executing
year, the results ledger (S2.5) on the most recent closed year: its first page, the page of
poor results, one department's page, and the results by organisation, for reference; the
compliance listing and a page of the finance review queue are timed against the goal, and a
page of the year's items alongside.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

GOAL_MS = 50.0  # issue 16: the overview, the compliance listing and the queue


def percentile(samples: list[float], share: float) -> float:
    """Nearest rank: the smallest sample at or above ``share`` of them."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def timed(call: Callable[[], Any], repeat: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overview", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--year", type=int, help="Default: the year being executed")
    args = parser.parse_args(argv)
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["PERFBUDGET_LOG_LEVEL"] = "WARNING"

    from fastapi.testclient import TestClient

    from bench.generate import BENCH_PASSWORD, FINANCE_USER
    from perfbudget.config import get_settings
    from perfbudget.main import create_app

    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        signed_in = client.post(
            "/api/v1/auth/token", data={"username": FINANCE_USER, "password": BENCH_PASSWORD}
        )
        if signed_in.status_code != 200:
            print(f"cannot sign in as {FINANCE_USER}: run bench.generate first", file=sys.stderr)
            return 2
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        fiscal_years = client.get("/api/v1/fiscal-years", headers=headers).json()["items"]
        year = args.year or next(fy["year"] for fy in fiscal_years if fy["status"] == "executing")
        closed = max((fy["year"] for fy in fiscal_years if fy["status"] == "closed"), default=None)

        def get(url: str, **params: Any) -> Callable[[], Any]:
            def call() -> Any:
                response = client.get(url, params=params, headers=headers)
                assert response.status_code == 200, response.text
                return response.json()

            return call

        overview = f"/api/v1/fiscal-years/{year}/monitoring-overview"
        compliance = f"/api/v1/fiscal-years/{year}/monitoring-compliance"
        cases = [
            ("overview month 6", get(overview, month=6), True),
            ("overview month 12", get(overview, month=12), True),
        ]
        ledger = "no closed fiscal year: the results ledger is not timed"
        if closed is not None:
            results = f"/api/v1/fiscal-years/{closed}/results"
            by_organisation = get(results + "/by-organisation")()
            # the department with the most graded items: the largest page of one organisation
            department = max(by_organisation["departments"], key=lambda entry: entry["graded"])
            cases += [
                ("ledger, page of 100", get(results, limit=100), False),
                ("ledger, poor", get(results, grade="poor", limit=100), False),
                (
                    "ledger, department",
                    get(results, organisation_id=department["department"]["id"], limit=100),
                    False,
                ),
                ("ledger by org.", get(results + "/by-organisation"), False),
            ]
            grades = by_organisation["county"]["grades"]
            ledger = (
                f"ledger {closed}: {by_organisation['county']['graded']} graded "
                f"({', '.join(f'{grade} {count}' for grade, count in grades.items())}); "
                f"department {department['department']['code']}: {department['graded']} graded"
            )
        cases += [
            ("compliance month 12", get(compliance, month=12), True),
            ("queue, page of 100", get("/api/v1/monitoring-reports", limit=100), True),
            ("items, page of 100", get("/api/v1/budget-items", fiscal_year=year, limit=100), False),
        ]
        county = get(overview, month=12)()["county"]
        print(
            f"{get_settings().database_url.split(':')[0]}, fiscal year {year}: "
            f"{county['items']} items, {len(get(overview, month=12)()['departments'])} "
            f"departments, {county['reports']['due']} reports due for December, "
            f"repeat {args.repeat}"
        )
        for fy in sorted(fiscal_years, key=lambda fy: fy["year"]):
            items = get("/api/v1/budget-items", fiscal_year=fy["year"], limit=1)()["total"]
            graded = get(f"/api/v1/fiscal-years/{fy['year']}/results", limit=1)()["total"]
            print(f"  fiscal year {fy['year']} ({fy['status']}): {items} items, {graded} graded")
        print(ledger)
        print(f"{'request':<22}{'median ms':>10}{'p95 ms':>10}{'min ms':>10}")
        missed = False
        for name, call, goal in cases:
            samples = timed(call, args.repeat)
            median = statistics.median(samples)
            missed |= goal and median > GOAL_MS
            print(
                f"{name:<22}{median:>10.1f}{percentile(samples, 0.95):>10.1f}{min(samples):>10.1f}"
            )
        print(
            f"goal: overview, compliance and queue medians ≤ {GOAL_MS:.0f} ms: "
            f"{'MISSED' if missed else 'met'}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
