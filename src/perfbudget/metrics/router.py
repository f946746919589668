"""``GET /metrics``: served only when ``PERFBUDGET_METRICS_TOKEN`` is set, to a scraper
that sends it as a bearer token. Operational, like /docs: not in the API contract."""

import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Header
from fastapi.responses import Response

from perfbudget.config import Settings
from perfbudget.db import SessionDep
from perfbudget.errors import Unauthorized
from perfbudget.metrics.collector import CONTENT_TYPE, exposition
from perfbudget.metrics.requests import RequestMetricsMiddleware

PATH = "/metrics"


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """With a token configured, count every request (outermost: what other middleware
    refuses counts too) and serve /metrics; without one, neither (/metrics is a 404)."""
    token = settings.metrics_token
    if not token:
        return
    app.add_middleware(RequestMetricsMiddleware, routes=app.router.routes)
    expected = token.encode()

    def scraper(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, offered = (authorization or "").partition(" ")
        # compared in constant time; a missing header is compared too, against nothing
        if not (
            scheme.lower() == "bearer"
            and secrets.compare_digest(offered.strip().encode(), expected)
        ):
            raise Unauthorized(
                "NOT_AUTHENTICATED",
                "Send the metrics token: 'Authorization: Bearer <PERFBUDGET_METRICS_TOKEN>'.",
                "请携带监控令牌：Authorization: Bearer <PERFBUDGET_METRICS_TOKEN>。",
            )

    # the token is checked before the session is opened: a refused scrape takes no connection
    @app.get(PATH, include_in_schema=False, dependencies=[Depends(scraper)])
    def get_metrics(session: SessionDep) -> Response:
        """Prometheus metrics: requests, the connection pool, the event outbox."""
        return Response(exposition(session), media_type=CONTENT_TYPE)
