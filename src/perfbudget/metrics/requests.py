"""Request counts and latency by route template, method and status: a pure ASGI middleware
that costs two label lookups per request and touches no database."""

import os
import time
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import Counter, Histogram, disable_created_metrics
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LABELS = ("route", "method", "status")
# a page of 100 items takes about 35 ms; a batch upload of 10,000 rows a few seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30)

# no `_created` series beside each counter and histogram: a restart shows as a reset anyway
disable_created_metrics()  # type: ignore[no-untyped-call]
# Not in prometheus_client's default registry: /metrics builds its registry at each scrape.
REQUESTS = Counter("perfbudget_http_requests", "HTTP requests answered", LABELS, registry=None)
LATENCY = Histogram(
    "perfbudget_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer",
    LABELS,
    buckets=BUCKETS,
    registry=None,
)


def request_collectors() -> list[Collector]:
    """This process's counters, or with PROMETHEUS_MULTIPROC_DIR every worker's, summed from
    the files each writes there."""
    path = os.environ.get(MULTIPROCESS_DIR)
    if path:
        from prometheus_client.multiprocess import MultiProcessCollector

        return [MultiProcessCollector(None, path)]  # type: ignore[no-untyped-call]
    return [REQUESTS, LATENCY]


def clear_multiprocess_dir() -> None:
    """Before the workers start: the counts of an earlier run go (prometheus_client's
    multiprocess mode wants the directory empty at start-up)."""
    path = os.environ.get(MULTIPROCESS_DIR)
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))


def route_label(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The template of the route that answered (``/api/v1/budget-items/{item_id}``), never
    the path itself, so that the labels stay few. An answer given before routing (a replayed
    Idempotency-Key, a body too large) is matched here; a path no route has is "unmatched"."""
    route = scope.get("route")
    if route is None:
        partial = None
        for candidate in routes:
            match, _ = candidate.matches(scope)
            if match is Match.FULL:
                route = candidate
                break
            if match is Match.PARTIAL and partial is None:
                partial = candidate
        route = route or partial
    if route is None:
        return UNMATCHED
    return str(getattr(route, "path_format", None) or getattr(route, "path", UNMATCHED))


def flat_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes themselves: FastAPI (0.16x) keeps an included router as one entry of the
    application's routes, holding the router it includes."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from flat_routes(included.routes)
        else:
            yield route


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.all_routes = routes  # the application's, complete once it serves
        self.routes: list[BaseRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the application raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            if self.routes is None:
                self.routes = list(flat_routes(self.all_routes))
            labels = (route_label(scope, self.routes), method, str(status))
            REQUESTS.labels(*labels).inc()
            LATENCY.labels(*labels).observe(time.perf_counter() - started)
