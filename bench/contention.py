"""What other users see while a batch upload runs, and concurrent single-object writes with
one uvicorn worker against two (issue 11: uploads must not stop the county's other work).

    python -m bench.contention --database-url URL [--rows 10000 --threads 6 --seconds 10]

Needs an empty database (SQLite file or PostgreSQL): migrates it and builds bench.imports'
county (one executing year, no monitoring reports) with its department user, a second
department's user (``bench_department_b``), and the next fiscal year in preparation,
created through the API by the generator's finance user. Then it runs the real application
under uvicorn (127.0.0.1, free port, log level warning, its log in a file) and measures:

a. Others while an upload runs. One client thread posts, one after the other, bench.imports'
   ``--rows`` budget-item rows as a dry run, the same rows for real, and its monitoring rows
   for real. For as long as each upload lasts, another thread, as the second department's
   user, loops over a sign-in, a PATCH of a draft budget request of its own and a PUT of a
   monthly report draft of its own, each write with the version it last read: their count,
   latency (p50, p99, max) and statuses. Nobody else touches those objects, so any answer
   but 2xx is an error (a 5xx, or a refused write that should have succeeded). Goal: p99
   ≤ 1 s and no error. A few seconds without an upload first give the baseline.
b. Concurrent single-object writes, PostgreSQL only: ``--threads`` keep-alive clients as the
   second user, each saving the December report draft of a different item (the first PUT
   creates it, each later one replaces it with the version the previous answer gave),
   against ``--workers 1`` and ``--workers 2`` in three alternating rounds, ``--seconds``
   per server in all: the median requests/s of each, the ratio and the errors.

The clients run on the same machine and take CPU of their own (on 2 cores, the client,
the database and the workers share them). The servers are killed at the end.
"""

import argparse
import json
import math
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import httpx

from bench.imports import (
    DEPARTMENT_USER,
    add_department_user,
    as_csv,
    budget_item_rows,
    build_county,
    department_rows,
    monitored_lines,
    report_rows,
)
from bench.list_page import ROUNDS, app_env, uvicorn_server

OTHER_USER = "bench_department_b"
GOAL_P99 = 1.0  # seconds
BASELINE_SECONDS = 3.0
# A blocked request waits as long as the upload holds its locks: minutes on slow code.
UPLOAD_TIMEOUT = 900.0
MONTH = 12  # all twelve months of the executing year have ended
APP = "perfbudget.main:create_app"


@dataclass
class Sample:
    kind: str
    status: int  # 0: no answer (connection reset or refused, client timeout)
    seconds: float
    error: str = ""  # the start of the answer, when not 2xx

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def timed(
    client: httpx.Client, kind: str, method: str, url: str, **kwargs: Any
) -> tuple[Sample, httpx.Response | None]:
    started = time.perf_counter()
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        return Sample(kind, 0, time.perf_counter() - started, repr(exc)[:300]), None
    sample = Sample(kind, response.status_code, time.perf_counter() - started)
    if not sample.ok:
        sample.error = response.text[:2000]
    return sample, response


def describe(sample: Sample) -> str:
    """A failed request in a few words: its problem code (or the exception) and its time."""
    try:
        what = json.loads(sample.error).get("code") or sample.error[:80]
    except (ValueError, AttributeError):
        what = sample.error[:80]
    return f"{sample.kind} {sample.status} {what} after {sample.seconds:.2f} s"


@dataclass
class Report:
    """One item's monthly report draft, saved over and over by one client: the first PUT
    creates it, each later one replaces it with the version the previous answer gave."""

    item_id: int
    lines: list[dict[str, Any]]
    version: int | None = None
    saves: int = 0

    @property
    def path(self) -> str:
        return f"/api/v1/budget-items/{self.item_id}/monitoring-reports/{MONTH}"

    def save(self, client: httpx.Client) -> Sample:
        self.saves += 1
        body: dict[str, Any] = {
            "cumulative_execution": "0.00",
            "deviation_reasons": f"第 {self.saves} 次保存",  # a real change every time
            "lines": self.lines,
        }
        if self.version is not None:
            body["version"] = self.version
        sample, response = timed(client, "report PUT", "PUT", self.path, json=body)
        if response is not None and sample.ok:
            self.version = response.json()["version"]
        else:
            self.resync(client)
        return sample

    def resync(self, client: httpx.Client) -> None:
        """After a failure: the version stored, if any (a timed-out write may have landed)."""
        response = quiet_get(client, self.path)
        if response is not None and response.status_code in (200, 404):
            self.version = response.json()["version"] if response.status_code == 200 else None


def quiet_get(client: httpx.Client, path: str) -> httpx.Response | None:
    """A read after a failure, not measured. None when the connection fails: after a 500
    uvicorn closes the keep-alive connection, which the client then finds reset."""
    try:
        return client.get(path)
    except httpx.TransportError:
        return None


def report_lines(item_id: int, lines: list[tuple[int, str, Any]]) -> list[dict[str, Any]]:
    """The item's MONTH report lines as JSON, answered as bench.imports' rows answer them."""
    return [
        {
            "target_line_id": row["target_line_id"],
            "actual": row["actual"] or None,
            "qualitative_status": row["qualitative_status"] or None,
        }
        for row in report_rows({item_id: lines}, 12 * len(lines))
        if row["month"] == MONTH
    ]


class OtherUser:
    """The second department's user at work: signs in, edits a draft budget request and a
    monthly report of its own, over and over, each write with the version it last read."""

    def __init__(self, base: str, item_id: int, item_version: int, report: Report) -> None:
        self.base = base
        self.item_id = item_id
        self.item_version = item_version
        self.report = report
        self.token = ""
        self.edits = 0

    def loop(self, stop: threading.Event, samples: list[Sample]) -> None:
        """Until ``stop``; a failed sign-in keeps the last token, as a browser would."""
        with httpx.Client(base_url=self.base, timeout=UPLOAD_TIMEOUT) as client:
            if self.token:
                client.headers["Authorization"] = f"Bearer {self.token}"
            while not stop.is_set():
                for step in (self.sign_in, self.edit_item, self.report.save):
                    if stop.is_set():
                        break
                    samples.append(step(client))

    def sign_in(self, client: httpx.Client) -> Sample:
        from bench.generate import BENCH_PASSWORD

        form = {"username": OTHER_USER, "password": BENCH_PASSWORD}
        sample, response = timed(client, "sign-in", "POST", "/api/v1/auth/token", data=form)
        if response is not None and sample.ok:
            self.token = response.json()["access_token"]
            client.headers["Authorization"] = f"Bearer {self.token}"
        return sample

    def edit_item(self, client: httpx.Client) -> Sample:
        self.edits += 1
        path = f"/api/v1/budget-items/{self.item_id}"
        body = {"version": self.item_version, "requested_amount": f"{100_000 + self.edits}.00"}
        sample, response = timed(client, "item PATCH", "PATCH", path, json=body)
        if response is not None and sample.ok:
            self.item_version = response.json()["version"]
        else:  # the version stored (a timed-out write may have landed)
            current = quiet_get(client, path)
            if current is not None and current.status_code == 200:
                self.item_version = current.json()["version"]
        return sample


def during(
    other: OtherUser, action: Callable[[], tuple[float, int, str]]
) -> tuple[float, int, str, list[Sample]]:
    """``action`` (an upload, or a pause) in this thread while ``other`` loops in another:
    the action's seconds, status and error, and the other user's samples."""
    stop = threading.Event()
    samples: list[Sample] = []
    thread = threading.Thread(target=other.loop, args=(stop, samples))
    thread.start()
    try:
        seconds, status, error = action()
    finally:
        stop.set()
        thread.join()
    return seconds, status, error, samples


def upload(
    base: str, headers: dict[str, str], kind: str, body: bytes, dry_run: bool
) -> Callable[[], tuple[float, int, str]]:
    def post() -> tuple[float, int, str]:
        with httpx.Client(base_url=base, headers=headers, timeout=UPLOAD_TIMEOUT) as client:
            sample, _ = timed(
                client,
                kind,
                "POST",
                f"/api/v1/imports/{kind}",
                content=body,
                params={"dry_run": "true"} if dry_run else {},
                headers={"Content-Type": "text/csv"},
            )
        return sample.seconds, sample.status, sample.error

    return post


def pause() -> tuple[float, int, str]:
    time.sleep(BASELINE_SECONDS)
    return BASELINE_SECONDS, 0, ""


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: with fewer than 100 samples, p99 is the maximum."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def statuses(samples: list[Sample]) -> str:
    by_kind: dict[str, Counter[int]] = {}
    for sample in samples:
        by_kind.setdefault(sample.kind, Counter())[sample.status] += 1
    return ", ".join(
        f"{kind} " + " ".join(f"{status}×{count}" for status, count in sorted(counts.items()))
        for kind, counts in by_kind.items()
    )


def server_errors(log: IO[bytes]) -> list[str]:
    """The application's logged errors, by the last line of their exception."""
    log.flush()
    counts: Counter[str] = Counter()
    with open(log.name, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict) or entry.get("level") not in ("ERROR", "CRITICAL"):
                continue
            if str(entry.get("message")).startswith("Exception in ASGI application"):
                continue  # Starlette re-raising an error the application's handler logged
            text = str(entry.get("exception") or entry.get("message"))
            raised = [row for row in text.splitlines() if re.match(r"[\w.]+(Error|Exception)", row)]
            counts[(raised or text.splitlines() or [""])[-1][:160]] += 1
    return [f"{count}× {what}" for what, count in counts.most_common()]


def sign_in(base: str, username: str) -> dict[str, str]:
    from bench.generate import BENCH_PASSWORD

    response = httpx.post(
        base + "/api/v1/auth/token",
        data={"username": username, "password": BENCH_PASSWORD},
        timeout=60,
    )
    if response.status_code != 200:
        raise RuntimeError(f"cannot sign in as {username}: {response.text[:200]}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def write_load(
    base: str, headers: dict[str, str], reports: list[Report], seconds: float
) -> tuple[float, list[Sample]]:
    """Requests/s of one keep-alive client per report, each saving its own over and over."""
    stop_at = time.perf_counter() + seconds
    done: list[list[Sample]] = [[] for _ in reports]

    def worker(slot: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while time.perf_counter() < stop_at:
                done[slot].append(reports[slot].save(client))

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(slot,)) for slot in range(len(reports))]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    samples = [sample for slot in done for sample in slot]
    return len(samples) / (time.perf_counter() - started), samples


@dataclass
class County:
    """What the two parts need of the county built."""

    dialect: str
    year: int  # executing; year + 1 is in preparation
    other: int  # the second department
    other_items: list[tuple[int, list[tuple[int, str, Any]]]]  # its items and their lines
    monitoring: bytes  # the department user's uploads, as CSV
    monitoring_rows: int
    items: bytes
    item_rows: int


def build(url: str, rows: int, threads: int) -> County:
    from bench.generate import migrate
    from perfbudget.db import make_engine

    started = time.perf_counter()
    year = datetime.now(UTC).year - 1
    migrate(url)
    engine = make_engine(url)
    build_county(engine, items=4000, organisations=40, year=year)  # refuses a used database
    org, monitoring = department_rows(engine, rows)
    by_org = monitored_lines(engine)
    other = max((o for o in by_org if o != org), key=lambda o: len(by_org[o]))
    other_items = list(by_org[other].items())
    if len(other_items) < threads + 1:
        raise SystemExit(f"department {other} has {len(other_items)} items: lower --threads")
    add_department_user(engine, org)
    add_department_user(engine, other, OTHER_USER, "部门乙（基准测试）")
    items = budget_item_rows(engine, org, year + 1, rows)
    county = County(
        engine.dialect.name,
        year,
        other,
        other_items,
        as_csv(monitoring),
        len(monitoring),
        as_csv(items),
        len(items),
    )
    engine.dispose()
    print(
        f"{county.dialect}: county built in {time.perf_counter() - started:.1f} s; uploads by "
        f"{DEPARTMENT_USER} (department {org}), the other user {OTHER_USER} (department "
        f"{other}); {os.cpu_count()} CPUs",
        flush=True,
    )
    return county


def others_while_uploading(
    county: County, env: dict[str, str], log: IO[bytes]
) -> list[tuple[str, float, int, int]]:
    """Part a: per upload (and the baseline), the other user's p99 (ms), errors and count."""
    from bench.generate import FINANCE_USER

    windows = []
    with uvicorn_server(APP, env, output=log) as base:
        preparing = county.year + 1
        finance = sign_in(base, FINANCE_USER)
        year = {"year": preparing}
        expect(
            httpx.post(f"{base}/api/v1/fiscal-years", json=year, headers=finance, timeout=60), 201
        )
        uploader = sign_in(base, DEPARTMENT_USER)
        draft = {
            "fiscal_year": preparing,
            "organisation_id": county.other,
            "name": f"{preparing}年部门乙基准测试项目",
            "kind": "project",
            "requested_amount": "100000.00",
        }
        mine = sign_in(base, OTHER_USER)
        item = expect(
            httpx.post(f"{base}/api/v1/budget-items", json=draft, headers=mine, timeout=60), 201
        )
        report_item, lines = county.other_items[0]
        report = Report(report_item, report_lines(report_item, lines))
        user = OtherUser(base, item["id"], item["version"], report)
        # one round first: warm, and the report exists
        with httpx.Client(base_url=base, timeout=60) as client:
            for step in (user.sign_in, user.edit_item, user.report.save):
                warmed = step(client)
                if not warmed.ok:
                    raise RuntimeError(f"{warmed.kind}: {warmed.status} {warmed.error}")
        print(
            f"a. others while an upload runs: {OTHER_USER} loops over sign-in, item PATCH, "
            "report PUT",
            flush=True,
        )
        print(
            f"  {'upload':<36}{'took':>9}{'status':>7} |{'n':>5}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'max ms':>8}{'errors':>7}  statuses"
        )
        plan = (
            (f"none ({BASELINE_SECONDS:.0f} s baseline)", pause),
            (
                f"budget-items dry run, {county.item_rows} rows",
                upload(base, uploader, "budget-items", county.items, dry_run=True),
            ),
            (
                f"budget-items, {county.item_rows} rows",
                upload(base, uploader, "budget-items", county.items, dry_run=False),
            ),
            (
                f"monitoring-reports, {county.monitoring_rows} rows",
                upload(base, uploader, "monitoring-reports", county.monitoring, dry_run=False),
            ),
        )
        for name, action in plan:
            seconds, status, error, samples = during(user, action)
            latencies = [sample.seconds * 1000 for sample in samples]
            errors = [sample for sample in samples if not sample.ok]
            p50, p99 = (
                (percentile(latencies, 0.5), percentile(latencies, 0.99))
                if samples
                else (math.nan, math.nan)
            )
            print(
                f"  {name:<36}{seconds:>7.1f} s{status or '-':>7} |{len(samples):>5}{p50:>8.0f}"
                f"{p99:>8.0f}{max(latencies, default=math.nan):>8.0f}{len(errors):>7}  "
                + statuses(samples),
                flush=True,
            )
            if error:
                print(f"    the upload's answer: {error[:200]}")
            if errors:
                more = f" (and {len(errors) - 4} more)" if len(errors) > 4 else ""
                print("    errors: " + "; ".join(describe(e) for e in errors[:4]) + more)
            windows.append((name, p99, len(errors), len(samples)))
    return windows


def one_against_two(
    county: County, env: dict[str, str], log: IO[bytes], threads: int, seconds: float
) -> dict[int, tuple[list[float], int]]:
    """Part b: per worker count, the requests/s of each round and the errors."""
    rates: dict[int, list[float]] = {1: [], 2: []}
    failed = {1: 0, 2: 0}
    share = seconds / ROUNDS
    with (
        uvicorn_server(APP, env, workers=1, output=log) as one,
        uvicorn_server(APP, env, workers=2, output=log) as two,
    ):
        headers = sign_in(one, OTHER_USER)  # the same secret key: good on both
        reports = [
            Report(item_id, report_lines(item_id, lines))
            for item_id, lines in county.other_items[1 : threads + 1]
        ]
        for server in (one, two, two):  # create the drafts; both workers' first requests
            with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
                for report in reports:
                    report.save(client)
        for _ in range(ROUNDS):
            for workers, server in ((1, one), (2, two)):
                rate, samples = write_load(server, headers, reports, share)
                rates[workers].append(rate)
                failed[workers] += sum(not sample.ok for sample in samples)
    print(
        f"b. concurrent report saves: {threads} clients on {threads} items, {ROUNDS} "
        f"alternating rounds of {share:.1f} s per server"
    )
    print(f"  {'uvicorn':<14}{'median req/s':>14}{'errors':>8}   rounds")
    for workers in (1, 2):
        print(
            f"  {f'--workers {workers}':<14}{statistics.median(rates[workers]):>14.1f}"
            f"{failed[workers]:>8}   " + " ".join(f"{rate:.1f}" for rate in rates[workers])
        )
    return {workers: (rates[workers], failed[workers]) for workers in (1, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contention", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=10_000, help="Rows per upload")
    parser.add_argument("--threads", type=int, default=6, help="Writers in part b")
    parser.add_argument("--seconds", type=float, default=10.0, help="Part b: load per server")
    args = parser.parse_args(argv)
    if args.seconds > 15:
        parser.error("keep the load bounded: --seconds at most 15")
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["PERFBUDGET_LOG_LEVEL"] = "WARNING"

    from perfbudget.config import get_settings

    get_settings.cache_clear()
    county = build(args.database_url, args.rows, args.threads)
    env = app_env(args.database_url)
    with tempfile.NamedTemporaryFile(
        prefix="bench-contention-", suffix=".log", delete=False
    ) as log:
        windows = others_while_uploading(county, env, log)
        workers = None
        if county.dialect == "postgresql":
            workers = one_against_two(county, env, log, args.threads, args.seconds)
        else:
            print("b. concurrent single-object writes, 1 vs 2 workers: skipped (PostgreSQL only)")
        logged = server_errors(log)
    print(f"server log {log.name}: " + ("; ".join(logged) if logged else "no errors"))
    print(f"summary ({county.dialect}; goal: others' p99 ≤ {GOAL_P99:g} s and no error):")
    met = True
    for name, p99, errors, count in windows:
        ok = p99 <= GOAL_P99 * 1000 and errors == 0
        met = met and ok
        print(
            f"  others during {name:<36} p99 {p99 / 1000:>7.2f} s, {errors:>3} errors of "
            f"{count:<4} {'met' if ok else 'MISSED'}"
        )
    if workers:
        (one_rates, one_failed), (two_rates, two_failed) = workers[1], workers[2]
        one_rps, two_rps = statistics.median(one_rates), statistics.median(two_rates)
        print(
            f"  report saves, 2 workers / 1 worker: {two_rps / one_rps:.2f}× "
            f"({one_rps:.1f} → {two_rps:.1f} req/s), {one_failed + two_failed} errors"
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
