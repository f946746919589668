"""What /metrics reads at scrape time, in the scraping request's session: the same from any
worker for the outbox (it is in the database), and the answering worker's own pool."""

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from perfbudget import clock
from perfbudget.events import repository as events
from perfbudget.metrics.requests import request_collectors

# the classic text format (version 0.0.4), which every Prometheus reads
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ScrapeCollector:
    def __init__(self, session: Session) -> None:
        self.session = session

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # registering must not read the database; collect() does, once per scrape

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from _pool_gauges(_engine_of(self.session))
        yield from _outbox_gauges(events.backlog(self.session, clock.utcnow()))


def exposition(session: Session) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    for collector in [*request_collectors(), ScrapeCollector(session)]:
        registry.register(collector)
    return generate_latest(registry)


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _pool_gauges(engine: Engine) -> Iterator[GaugeMetricFamily]:
    pool = engine.pool
    if not isinstance(pool, QueuePool):  # an in-memory SQLite database has no pool to size
        return
    yield _gauge("perfbudget_db_pool_size", "Connections the pool keeps open", pool.size())
    yield _gauge(
        "perfbudget_db_pool_max_overflow",
        "Connections the pool may open beyond its size",
        pool._max_overflow,
    )
    yield _gauge(
        "perfbudget_db_pool_checked_out",
        "Connections in use by this process (requests, the idempotency middleware, /readyz)",
        pool.checkedout(),
    )
    yield _gauge(
        "perfbudget_db_pool_overflow",
        "Connections open beyond the pool's size",
        max(pool.overflow(), 0),
    )
    yield _gauge("perfbudget_db_pool_checked_in", "Idle connections in the pool", pool.checkedin())


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _outbox_gauges(backlog: events.Backlog) -> Iterator[GaugeMetricFamily]:
    by_status = GaugeMetricFamily(
        "perfbudget_event_deliveries",
        "Event deliveries not yet delivered, by status",
        labels=["status"],
    )
    by_status.add_metric(["pending"], backlog.pending)
    by_status.add_metric(["failed"], backlog.failed)
    yield by_status
    yield _gauge(
        "perfbudget_event_deliveries_due",
        "Pending deliveries due now (a running deliverer takes them within seconds)",
        backlog.due,
    )
    yield _gauge(
        "perfbudget_event_deliveries_oldest_due_timestamp_seconds",
        "When the longest-waiting due delivery became due (0 when none is due)",
        _timestamp(backlog.oldest_due_at),
    )
    yield _gauge(
        "perfbudget_event_deliveries_retrying",
        "Pending deliveries whose last attempt failed",
        backlog.retrying,
    )
    yield _gauge(
        "perfbudget_event_delivery_last_failure_timestamp_seconds",
        "When a delivery attempt last failed (0 when none ever did)",
        _timestamp(backlog.last_failed_at),
    )
