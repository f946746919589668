from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, UploadFile, status
from fastapi.responses import FileResponse, Response

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.attachments import storage
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.monitoring import reading, rectifications, review, service
from perfbudget.monitoring.schemas import (
    MonitoringCalendar,
    RectificationFilter,
    RectificationRead,
    RectificationResponse,
    RectificationVerification,
    ReportAction,
    ReportDepartmentReview,
    ReportDraft,
    ReportFinanceReview,
    ReportRead,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

# one router for the stage; its two resources carry their own tags
router = APIRouter()
MONITORING: list[str | Any] = ["monitoring"]
RECTIFICATIONS: list[str | Any] = ["rectifications"]
REPORTS = "/api/v1/budget-items/{item_id}/monitoring-reports"
REPORT = REPORTS + "/{month}"
ORDERS = "/api/v1/rectifications"
ORDER = ORDERS + "/{rectification_id}"
Reader = Annotated[Actor, Allowed(Permission.item_read)]
Filer = Annotated[Actor, Allowed(Permission.monitoring_write)]
Month = Annotated[int, Path(ge=1, le=12, description="Month of the fiscal year, 1–12")]
DOWNLOAD = storage.DOWNLOAD_RESPONSES


@router.get(REPORTS, tags=MONITORING, operation_id="list_monitoring_reports")
def list_monitoring_reports(
    session: SessionDep, actor: Reader, item_id: RowId
) -> MonitoringCalendar:
    """The item's reporting calendar: the lines to answer, each month's due date and report."""
    return reading.calendar(session, actor, item_id)


@router.get(
    REPORT,
    tags=MONITORING,
    operation_id="get_monitoring_report",
    responses={
        **ETAG_RESPONSES,
        200: {
            **ETAG_RESPONSES[200],
            "description": "The report; before the month's first save, the draft prefilled "
            "from the approved targets, the plan and the payments (`saved` false, no version "
            "and no ETag)",
        },
    },
)
def get_monitoring_report(
    session: SessionDep, actor: Reader, item_id: RowId, month: Month, etag: ReadETag
) -> ReportRead:
    """Read a month's report with every light, its formula, inputs and parameters.

    Before the month's first save: the draft it starts from (`saved` false), a line for each
    approved target line and the execution paid by the month's end; the first PUT creates it."""
    return etag(service.read_report(session, actor, item_id, month))


@router.put(REPORT, tags=MONITORING, operation_id="save_monitoring_report")
def save_monitoring_report(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    month: Month,
    body: ReportDraft,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReportRead:
    """Create or replace the month's draft report once the month has ended (S2.3.1)."""
    return etag(
        service.save_draft(
            session,
            actor,
            item_id,
            month,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(f"{REPORT}/submit", tags=MONITORING, operation_id="submit_monitoring_report")
def submit_monitoring_report(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    month: Month,
    body: ReportAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReportRead:
    """Submit the report: its lights are computed and kept (to the parent department first)."""
    return etag(
        service.submit(
            session,
            actor,
            item_id,
            month,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(
    f"{REPORT}/department-review",
    tags=MONITORING,
    operation_id="review_monitoring_report_as_department",
)
def review_monitoring_report_as_department(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_department_review)],
    item_id: RowId,
    month: Month,
    body: ReportDepartmentReview,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReportRead:
    """The parent department passes a unit's report to finance, or returns it (S3)."""
    return etag(
        review.department_review(
            session,
            actor,
            item_id,
            month,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(f"{REPORT}/finance-review", tags=MONITORING, operation_id="review_monitoring_report")
def review_monitoring_report(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.monitoring_review)],
    item_id: RowId,
    month: Month,
    body: ReportFinanceReview,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReportRead:
    """Accept, order rectification, suspend payments or stop them (S2.3.2)."""
    return etag(
        review.finance_review(
            session,
            actor,
            item_id,
            month,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.get(ORDERS, tags=RECTIFICATIONS, operation_id="list_rectifications")
def list_rectifications(
    session: SessionDep, actor: Reader, filters: Annotated[RectificationFilter, Query()]
) -> Page[RectificationRead]:
    """List rectification orders you may see; overdue=true for those past their deadline."""
    return rectifications.list_rectifications(session, actor, filters)


@router.get(ORDER, tags=RECTIFICATIONS, operation_id="get_rectification", responses=ETAG_RESPONSES)
def get_rectification(
    session: SessionDep, actor: Reader, rectification_id: RowId, etag: ReadETag
) -> RectificationRead:
    """Read a rectification order with the answer and its evidence."""
    return etag(rectifications.get_rectification(session, actor, rectification_id))


@router.post(f"{ORDER}/response", tags=RECTIFICATIONS, operation_id="answer_rectification")
def answer_rectification(
    session: SessionDep,
    actor: Filer,
    rectification_id: RowId,
    body: RectificationResponse,
    if_match: IfMatch,
    etag: WriteETag,
) -> RectificationRead:
    """Report the measures taken (attach the evidence first)."""
    return etag(
        rectifications.respond(
            session,
            actor,
            rectification_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(
    f"{ORDER}/attachments",
    tags=RECTIFICATIONS,
    status_code=status.HTTP_201_CREATED,
    operation_id="upload_rectification_attachment",
)
def upload_rectification_attachment(
    session: SessionDep, actor: Filer, rectification_id: RowId, file: UploadFile
) -> AttachmentRead:
    """Attach evidence of the measures taken (PDF, Word or Excel, at most 20 MB)."""
    return AttachmentRead.model_validate(
        rectifications.add_attachment(session, actor, rectification_id, file)
    )


@router.get(
    f"{ORDER}/attachments/{{attachment_id}}",
    tags=RECTIFICATIONS,
    operation_id="download_rectification_attachment",
    response_class=FileResponse,
    responses=DOWNLOAD,
)
def download_rectification_attachment(
    session: SessionDep, actor: Reader, rectification_id: RowId, attachment_id: RowId
) -> Response:
    """Download evidence attached to a rectification you may see."""
    download = rectifications.download_attachment(session, actor, rectification_id, attachment_id)
    return send(download)


@router.post(f"{ORDER}/verification", tags=RECTIFICATIONS, operation_id="verify_rectification")
def verify_rectification(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.monitoring_review)],
    rectification_id: RowId,
    body: RectificationVerification,
    if_match: IfMatch,
    etag: WriteETag,
) -> RectificationRead:
    """Verify the answer: accepted lifts the suspension, rejected keeps it (S2.3.2)."""
    return etag(
        rectifications.verify(
            session,
            actor,
            rectification_id,
            body,
            expected_version(body.version, if_match),
        )
    )
