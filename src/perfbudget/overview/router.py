from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from perfbudget.answers import json_answer
from perfbudget.api.downloads import send
from perfbudget.auth import policy
from perfbudget.auth.deps import Allowed, CurrentActor, permitted
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.integration import exports
from perfbudget.overview import service
from perfbudget.overview.schemas import (
    MonitoringCompliance,
    MonitoringOverview,
    MonthQuery,
    QueueRow,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import Year

router = APIRouter(tags=["monitoring-overview"])
Reader = Annotated[Actor, Allowed(Permission.overview_read)]


def queue_reader(session: SessionDep, actor: CurrentActor) -> Actor:
    """Whoever reviews reports, or reads the overview, reads the queue."""
    if policy.allows(actor.role, Permission.monitoring_review):
        return actor
    return permitted(session, actor, Permission.overview_read)


queue_reader.required_permission = Permission.monitoring_review  # type: ignore[attr-defined]


@router.get(
    "/api/v1/fiscal-years/{year}/monitoring-overview",
    operation_id="get_monitoring_overview",
    response_model=MonitoringOverview,
)
def get_monitoring_overview(
    session: SessionDep, actor: Reader, year: Year, query: Annotated[MonthQuery, Query()]
) -> Response:
    """The month's monitoring by department and for the county: reports, lights, money, holds."""
    return json_answer(service.monitoring_overview(session, actor, year, query.month))


@router.get(
    "/api/v1/fiscal-years/{year}/monitoring-compliance",
    operation_id="get_monitoring_compliance",
    response_model=MonitoringCompliance,
)
def get_monitoring_compliance(
    session: SessionDep, actor: Reader, year: Year, query: Annotated[MonthQuery, Query()]
) -> Response:
    """The month's missing and late reports, listed per organisation (S2.3.1)."""
    return json_answer(service.monitoring_compliance(session, actor, year, query.month))


@router.get(
    "/api/v1/monitoring-reports",
    operation_id="list_monitoring_report_queue",
    response_model=Page[QueueRow],
    responses=exports.EXPORT_RESPONSES,
)
def list_monitoring_report_queue(
    session: SessionDep,
    actor: Annotated[Actor, Depends(queue_reader)],
    filters: Annotated[exports.QueueExportQuery, Query()],
) -> Page[QueueRow] | Response:
    """Monthly reports by status (default: awaiting finance review), oldest submission first."""
    if filters.format != "json":
        return send(exports.report_queue(session, actor, filters, filters.format))
    return json_answer(service.report_queue(session, actor, filters))
