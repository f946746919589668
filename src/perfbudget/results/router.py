from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.auth import policy
from perfbudget.auth.deps import Allowed, CurrentActor, permitted
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.exports import CSV, DOCX, XLSX
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.results import assessment, circular, circular_document, service
from perfbudget.results.schemas import (
    AssessmentUpdate,
    CircularCreate,
    CircularPublish,
    CircularQuery,
    CircularRead,
    DepartmentAssessmentList,
    DepartmentAssessmentRead,
    ExportQuery,
    RectificationPlanCreate,
    RectificationPlanRead,
    ResultRow,
    ResultsByOrganisation,
    ResultsFilter,
)
from perfbudget.schemas import RowId, Year
from perfbudget.versioning import expected_version

router = APIRouter(tags=["results"])
YEAR = "/api/v1/fiscal-years/{year}"
PLAN = "/api/v1/budget-items/{item_id}/rectification-plan"
ASSESSMENTS = YEAR + "/department-assessments"
CIRCULAR = YEAR + "/circular"
Reader = Annotated[Actor, Allowed(Permission.results_read)]
Writer = Annotated[Actor, Allowed(Permission.results_write)]
WORKBOOK: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {}, CSV: {}}, "description": "JSON, or ?format=xlsx / csv"}
}


def plan_reader(session: SessionDep, actor: CurrentActor) -> Actor:
    """Finance and oversight (results_read), or the owning side (results_plan)."""
    if policy.allows(actor.role, Permission.results_plan):
        return actor
    return permitted(session, actor, Permission.results_read)


plan_reader.required_permission = Permission.results_plan  # type: ignore[attr-defined]


@router.get(
    YEAR + "/results",
    operation_id="list_results",
    response_model=Page[ResultRow],
    responses=WORKBOOK,
)
def list_results(
    session: SessionDep, actor: Reader, year: Year, filters: Annotated[ResultsFilter, Query()]
) -> Page[ResultRow] | Response:
    """The results ledger: every graded item with its grade and consequence (S2.5)."""
    if filters.format in ("xlsx", "csv"):
        return send(service.results_export(session, year, filters))
    return service.results_ledger(session, year, filters)


@router.get(
    YEAR + "/results/by-organisation",
    operation_id="get_results_by_organisation",
    response_model=ResultsByOrganisation,
    responses=WORKBOOK,
)
def get_results_by_organisation(
    session: SessionDep, actor: Reader, year: Year, query: Annotated[ExportQuery, Query()]
) -> ResultsByOrganisation | Response:
    """Results per department, for government performance and officials' appraisal (S2.5)."""
    report = service.results_by_organisation(session, year)
    if query.format == "xlsx":
        return send(service.by_organisation_workbook(report))
    return report


@router.post(PLAN, operation_id="file_rectification_plan", status_code=status.HTTP_201_CREATED)
def file_rectification_plan(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.results_plan)],
    item_id: RowId,
    body: RectificationPlanCreate,
) -> RectificationPlanRead:
    """File the rectification plan of an item graded 中, once (S2.5)."""
    return service.file_rectification_plan(session, actor, item_id, body)


@router.get(PLAN, operation_id="get_rectification_plan")
def get_rectification_plan(
    session: SessionDep, actor: Annotated[Actor, Depends(plan_reader)], item_id: RowId
) -> RectificationPlanRead:
    """Read an item's rectification plan."""
    return service.get_rectification_plan(session, actor, item_id)


@router.post(ASSESSMENTS + "/compute", operation_id="compute_department_assessments")
def compute_department_assessments(
    session: SessionDep, actor: Writer, year: Year
) -> DepartmentAssessmentList:
    """Compute every department's assessment from the records and rank them (S3)."""
    return assessment.compute_assessments(session, actor, year)


@router.get(ASSESSMENTS, operation_id="list_department_assessments")
def list_department_assessments(
    session: SessionDep, actor: Reader, year: Year
) -> DepartmentAssessmentList:
    """The department assessments of the year, ranked by total (S3)."""
    return assessment.list_assessments(session, year)


@router.patch(ASSESSMENTS + "/{assessment_id}", operation_id="score_department_assessment")
def score_department_assessment(
    session: SessionDep,
    actor: Writer,
    year: Year,
    assessment_id: RowId,
    body: AssessmentUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> DepartmentAssessmentRead:
    """Set the bureau's qualitative score; the total and the ranking follow."""
    return etag(
        assessment.score_assessment(
            session,
            actor,
            year,
            assessment_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(CIRCULAR, operation_id="create_circular", status_code=status.HTTP_201_CREATED)
def create_circular(
    session: SessionDep, actor: Writer, year: Year, body: CircularCreate, etag: WriteETag
) -> CircularRead:
    """Draft the year's circular (通报) of the department assessment."""
    return etag(circular.create_circular(session, actor, year, body))


@router.post(CIRCULAR + "/publish", operation_id="publish_circular")
def publish_circular(
    session: SessionDep,
    actor: Writer,
    year: Year,
    body: CircularPublish,
    if_match: IfMatch,
    etag: WriteETag,
) -> CircularRead:
    """Publish the circular with a snapshot of the ranking as it stands (S3)."""
    return etag(
        circular.publish_circular(
            session, actor, year, body, expected_version(body.version, if_match)
        )
    )


@router.get(
    CIRCULAR,
    operation_id="get_circular",
    response_model=CircularRead,
    responses={
        **ETAG_RESPONSES,
        200: {
            **ETAG_RESPONSES[200],
            "content": {DOCX: {}},
            "description": "JSON (with its ETag), or the circular as a Word document with "
            "?format=docx",
        },
    },
)
def get_circular(
    session: SessionDep,
    actor: Reader,
    year: Year,
    query: Annotated[CircularQuery, Query()],
    etag: ReadETag,
) -> CircularRead | Response:
    """Read the year's circular, draft or published."""
    if query.format == "docx":
        return send(circular_document.circular_document(session, year))
    return etag(circular.get_circular(session, year))
