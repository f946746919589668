"""/metrics in the Prometheus text format: requests by route template, method and status; the
connection pool; the event outbox's backlog and last failure, read at scrape time. Served
only to a scraper sending PERFBUDGET_METRICS_TOKEN; without the setting there is no route.

The request counters live in the process and every test adds to them, so each test compares
a scrape after its requests with one before."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.config import Settings, get_settings
from perfbudget.events import service as event_service
from perfbudget.events.delivery import backoff, deliver_due
from perfbudget.events.models import EventType
from perfbudget.main import create_app
from tests.conftest import alembic_config, client_in_transaction
from tests.events.conftest import Events, Receiver
from tests.factories import demo_org
from tests.isolated import fresh_database_url
from tests.platform.test_recipes import _free_port, stop
from tests.problems import assert_problem

TOKEN = "scrape-token-for-the-tests-0123456789abcdef"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def metrics_app(engine: Engine) -> FastAPI:
    return create_app(get_settings().model_copy(update={"metrics_token": TOKEN}))


@pytest.fixture
def scraped(metrics_app: FastAPI, db: Session) -> Iterator[TestClient]:
    """A client of the application with a metrics token, in the test's transaction."""
    with client_in_transaction(metrics_app, db) as client:
        yield client


@pytest.fixture
def scrape(scraped: TestClient) -> Callable[[], Samples]:
    def samples() -> Samples:
        response = scraped.get("/metrics", headers=SCRAPE)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        return parse(response.text)

    return samples


REQUESTS = "perfbudget_http_requests_total"
LATENCY = "perfbudget_http_request_duration_seconds"


def test_requests_are_counted_by_route_template_method_and_status(
    scraped: TestClient, scrape: Callable[[], Samples], auth, db: Session
):
    org = demo_org(db, "201")
    before = scrape()
    found = scraped.get(f"/api/v1/organisations/{org.id}", headers=auth("finance"))
    missing = scraped.get("/api/v1/budget-items/999999", headers=auth("finance"))
    nowhere = scraped.get("/no/such/path/424242")
    assert (found.status_code, missing.status_code, nowhere.status_code) == (200, 404, 404)
    # the other middleware still answer as before
    for response in (found, missing, nowhere):
        assert response.headers["X-Request-ID"]
        assert response.headers["Content-Language"] == "zh-CN"
    after = scrape()

    answered = [
        ("/api/v1/organisations/{org_id}", "200"),
        ("/api/v1/budget-items/{item_id}", "404"),
        ("unmatched", "404"),
    ]
    for route, status in answered:
        labels = {"route": route, "method": "GET", "status": status}
        assert value(after, REQUESTS, **labels) == value(before, REQUESTS, **labels) + 1
        count = value(after, LATENCY + "_count", **labels) - value(
            before, LATENCY + "_count", **labels
        )
        assert count == 1, route
        assert value(after, LATENCY + "_sum", **labels) > value(before, LATENCY + "_sum", **labels)
        # the answer falls in every bucket from its duration up (cumulative), +Inf included
        buckets = {
            float(dict(labelset)["le"]): total - before.get((name, labelset), 0.0)
            for (name, labelset), total in after.items()
            if name == LATENCY + "_bucket" and {**dict(labelset), "le": ""} == {**labels, "le": ""}
        }
        assert len(buckets) == 15, route  # 14 bounds and +Inf
        smallest = min(le for le, grew in buckets.items() if grew == 1)
        assert smallest <= 30, route
        assert all(grew == (1 if le >= smallest else 0) for le, grew in buckets.items()), route
    # never the raw path: the labels stay as few as the routes
    raw = [key for key in after if any("999999" in v or "424242" in v for _, v in key[1])]
    assert raw == []
    assert value(after, REQUESTS, route="/metrics", method="GET", status="200") >= 1


def test_answers_given_before_routing_and_odd_methods_are_labelled_too(
    scraped: TestClient, scrape: Callable[[], Samples], auth
):
    before = scrape()
    too_large = scraped.post(
        "/api/v1/budget-items",
        content=b"{" + b" " * (get_settings().max_json_body_bytes + 1) + b"}",
        headers={**auth("department"), "Content-Type": "application/json"},
    )
    assert_problem(too_large, 413, "PAYLOAD_TOO_LARGE")
    odd = scraped.request("BREW", "/healthz")
    assert odd.status_code == 405
    after = scrape()

    for labels in (
        {"route": "/api/v1/budget-items", "method": "POST", "status": "413"},
        {"route": "/healthz", "method": "other", "status": "405"},
    ):
        assert value(after, REQUESTS, **labels) == value(before, REQUESTS, **labels) + 1


def test_counting_a_request_reads_no_database(scraped: TestClient, count_queries):
    assert scraped.get("/healthz").status_code == 200
    assert count_queries.count == 0


def test_the_pool_is_read_at_scrape_time(scrape: Callable[[], Samples], engine: Engine):
    samples = scrape()
    settings = get_settings()
    assert value(samples, "perfbudget_db_pool_size") == settings.db_pool_size
    assert value(samples, "perfbudget_db_pool_max_overflow") == settings.db_max_overflow
    # the test's own connection, which the scrape's session uses, is checked out
    checked_out = value(samples, "perfbudget_db_pool_checked_out")
    assert 1 <= checked_out <= settings.db_pool_size + settings.db_max_overflow
    assert checked_out == engine.pool.checkedout()  # type: ignore[attr-defined]
    assert value(samples, "perfbudget_db_pool_overflow") >= 0


@pytest.fixture
def events(scraped: TestClient, auth, monkeypatch: pytest.MonkeyPatch) -> Events:
    # the receivers are internal systems an installation allows by name (tests/events)
    monkeypatch.setattr(get_settings(), "event_allowed_hosts", ["a.example", "b.example"])
    return Events(scraped, auth)


def test_the_outbox_backlog_and_last_failure_are_read_at_scrape_time(
    db: Session, events: Events, scrape: Callable[[], Samples], count_queries
):
    failing = events.subscribe(name="A", url="https://a.example/hooks")
    events.subscribe(name="B", url="https://b.example/hooks")
    before = scrape()

    def grown(samples: Samples, name: str, **labels: str) -> float:
        return value(samples, name, **labels) - value(before, name, **labels)

    event_service.emit(db, EventType.budget_decided, {"item_id": 7})
    db.commit()
    count_queries.statements.clear()
    emitted = scrape()
    assert count_queries.count == 2  # the outbox's counts, and the last failure
    assert grown(emitted, "perfbudget_event_deliveries", status="pending") == 2
    assert grown(emitted, "perfbudget_event_deliveries_due") == 2
    oldest = value(emitted, "perfbudget_event_deliveries_oldest_due_timestamp_seconds")
    assert 0 < oldest <= time.time()

    receiver = Receiver()
    receiver.statuses = [503, 200]  # A's attempt fails, B's succeeds
    first_failure = clock.utcnow()
    with receiver.client() as client:
        run = deliver_due(db, client, now=first_failure)
    assert (run.retrying, run.delivered) == (1, 1)
    db.commit()
    retrying = scrape()
    assert grown(retrying, "perfbudget_event_deliveries", status="pending") == 1
    assert grown(retrying, "perfbudget_event_deliveries_due") == 0  # A waits for its backoff
    assert grown(retrying, "perfbudget_event_deliveries_retrying") == 1
    last = "perfbudget_event_delivery_last_failure_timestamp_seconds"
    assert value(retrying, last) == pytest.approx(first_failure.timestamp())

    deactivated = events.client.post(
        f"/api/v1/event-subscriptions/{failing['id']}/deactivate",
        json={"version": failing["version"]},
        headers=events.auth("admin"),
    )
    assert deactivated.status_code == 200, deactivated.text
    given_up = first_failure + backoff(1) + timedelta(seconds=1)
    with receiver.client() as client:
        assert deliver_due(db, client, now=given_up).failed == 1
    db.commit()
    failed = scrape()
    assert grown(failed, "perfbudget_event_deliveries", status="pending") == 0
    assert grown(failed, "perfbudget_event_deliveries", status="failed") == 1
    assert grown(failed, "perfbudget_event_deliveries_retrying") == 0
    assert value(failed, last) == pytest.approx(given_up.timestamp())


def test_metrics_need_the_token(scraped: TestClient, auth):
    refusals = {
        "no header": {},
        "wrong token": {"Authorization": "Bearer " + TOKEN[:-1] + "x"},
        "token as prefix": {"Authorization": f"Bearer {TOKEN}x"},
        "another scheme": {"Authorization": f"Basic {TOKEN}"},
        "a user's access token": auth("finance"),
    }
    for case, headers in refusals.items():
        response = scraped.get("/metrics", headers=headers)
        body = assert_problem(response, 401, "NOT_AUTHENTICATED")
        assert "perfbudget_" not in response.text, case
        assert "PERFBUDGET_METRICS_TOKEN" in body["detail"], case
    accepted = scraped.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert accepted.status_code == 200
    assert "# TYPE perfbudget_http_requests_total counter" in accepted.text


def test_without_a_token_setting_there_are_no_metrics(client: TestClient):
    assert get_settings().metrics_token is None
    for headers in ({}, SCRAPE):
        assert_problem(client.get("/metrics", headers=headers), 404, "NOT_FOUND")


def test_metrics_stay_out_of_the_api_contract(metrics_app: FastAPI):
    assert "/metrics" not in metrics_app.openapi()["paths"]


@pytest.mark.usefixtures("production_hash_costs")
def test_production_wants_a_long_metrics_token():
    production = {
        "env": "production",
        "secret_key": "k" * 48,
        "database_url": "postgresql+psycopg://db/perfbudget",
    }
    with pytest.raises(ValidationError, match="PERFBUDGET_METRICS_TOKEN"):
        Settings(**production, metrics_token="short")
    assert Settings(**production, metrics_token=TOKEN).metrics_token == TOKEN
    assert Settings(**production).metrics_token is None


def test_several_workers_count_together_in_multiprocess_mode(tmp_path: Path):
    """`perfbudget serve --workers 2` with PROMETHEUS_MULTIPROC_DIR: whichever worker answers
    a scrape reports every worker's requests; files left from an earlier run are cleared."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    (shared / "counter_999999.db").write_bytes(b"left from an earlier run")
    with fresh_database_url(tmp_path, "metrics_workers") as url:
        command.upgrade(alembic_config(url), "head")
        port = _free_port()
        env = {
            **os.environ,
            "PERFBUDGET_DATABASE_URL": url,
            "PERFBUDGET_METRICS_TOKEN": TOKEN,
            "PERFBUDGET_LOG_LEVEL": "WARNING",
            "PROMETHEUS_MULTIPROC_DIR": str(shared),
        }
        base = f"http://127.0.0.1:{port}"
        log = (tmp_path / "server.log").open("w")
        command_line = [sys.executable, "-m", "perfbudget", "serve", "--port", str(port)]
        server = subprocess.Popen(
            [*command_line, "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert server.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
                try:
                    # only a refused connection is retried: a request that timed out on our
                    # side may still have been answered, and counted, by a busy worker
                    httpx.get(f"{base}/healthz", timeout=30).raise_for_status()
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline, "the server did not start in 60 s"
                    time.sleep(0.2)
            assert not (shared / "counter_999999.db").exists()
            # a connection per request, until both workers have answered some (each writes
            # its counts to a file of its own)
            answered = 1
            while len(list(shared.glob("counter_*.db"))) < 2 or answered < 20:
                assert answered < 500, list(shared.iterdir())
                assert httpx.get(f"{base}/healthz").status_code == 200
                answered += 1
            healthz = {"route": "/healthz", "method": "GET", "status": "200"}
            for _ in range(6):  # each scrape on a new connection, answered by either worker
                samples = parse(httpx.get(f"{base}/metrics", headers=SCRAPE).text)
                assert value(samples, REQUESTS, **healthz) == answered
                assert value(samples, LATENCY + "_count", **healthz) == answered
        finally:
            stop(server)
            log.close()
