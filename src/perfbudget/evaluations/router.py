from typing import Annotated

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.responses import FileResponse, Response

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.attachments import storage
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.evaluations import reading, report_document, review, service, third_party, workbook
from perfbudget.evaluations.schemas import (
    DepartmentReview,
    EvaluationAction,
    EvaluationDraft,
    EvaluationQuery,
    EvaluationRead,
    GradeDecision,
    LineAdjustment,
    ThirdPartyCommission,
    ThirdPartyEvaluation,
)
from perfbudget.exports import DOCX, XLSX
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/budget-items/{item_id}/self-evaluation", tags=["evaluations"])
Reader = Annotated[Actor, Allowed(Permission.item_read)]
Filer = Annotated[Actor, Allowed(Permission.evaluation_write)]
Finance = Annotated[Actor, Allowed(Permission.evaluation_review)]


@router.get(
    "",
    operation_id="get_self_evaluation",
    response_model=EvaluationRead,
    responses={
        **ETAG_RESPONSES,
        200: {
            **ETAG_RESPONSES[200],
            "content": {XLSX: {}, DOCX: {}},
            "description": "JSON (with its ETag), the workbook with ?format=xlsx, or the "
            "report as a Word document with ?format=docx. Before the first save, the JSON is "
            "the draft prefilled from the approved targets and the payments (`saved` false, no "
            "version and no ETag); the workbook and the document exist once it is saved",
        },
    },
)
def get_self_evaluation(
    session: SessionDep,
    actor: Reader,
    item_id: RowId,
    query: Annotated[EvaluationQuery, Query()],
    etag: ReadETag,
) -> EvaluationRead | Response:
    """Read the self-evaluation: lines, score with formulas (each line rounded half-up to
    2 decimals, the total their sum), flags and the completeness checklist."""
    if query.format == "xlsx":
        return send(workbook.workbook(session, actor, item_id))
    if query.format == "docx":
        return send(report_document.report_document(session, actor, item_id))
    return etag(service.read_evaluation(session, actor, item_id))


@router.put("", operation_id="save_self_evaluation")
def save_self_evaluation(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    body: EvaluationDraft,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Create or replace the draft self-evaluation of a funded item (S2.4)."""
    return etag(
        service.save_draft(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/submit", operation_id="submit_self_evaluation")
def submit_self_evaluation(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    body: EvaluationAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Submit: the score, plausibility flags and checklist are computed and kept."""
    return etag(
        service.submit(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/department-review", operation_id="review_self_evaluation_as_department")
def review_self_evaluation_as_department(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_department_review)],
    item_id: RowId,
    body: DepartmentReview,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """The parent department passes a unit's self-evaluation to finance, or returns it (S3)."""
    return etag(
        review.department_review(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(
    "/attachments",
    status_code=status.HTTP_201_CREATED,
    operation_id="upload_self_evaluation_attachment",
)
def upload_self_evaluation_attachment(
    session: SessionDep, actor: Filer, item_id: RowId, file: UploadFile
) -> AttachmentRead:
    """Attach the self-evaluation report (PDF, Word or Excel, at most 20 MB)."""
    return AttachmentRead.model_validate(service.add_attachment(session, actor, item_id, file))


@router.get("/attachments", operation_id="list_self_evaluation_attachments")
def list_self_evaluation_attachments(
    session: SessionDep, actor: Reader, item_id: RowId, page: Annotated[ListQuery, Query()]
) -> Page[AttachmentRead]:
    """The self-evaluation's report attachments, oldest first."""
    return reading.list_attachments(session, actor, item_id, page)


@router.get(
    "/attachments/{attachment_id}",
    operation_id="download_self_evaluation_attachment",
    response_class=FileResponse,
    responses=storage.DOWNLOAD_RESPONSES,
)
def download_self_evaluation_attachment(
    session: SessionDep, actor: Reader, item_id: RowId, attachment_id: RowId
) -> Response:
    """Download a report attachment of a self-evaluation you may see."""
    return send(reading.download_attachment(session, actor, item_id, attachment_id))


@router.post("/lines/{target_line_id}/adjustment", operation_id="adjust_self_evaluation_line")
def adjust_self_evaluation_line(
    session: SessionDep,
    actor: Finance,
    item_id: RowId,
    target_line_id: RowId,
    body: LineAdjustment,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Finance sets a line's points (0 to its weight) with the reason (audited, S2.4)."""
    return etag(
        review.adjust_line(
            session,
            actor,
            item_id,
            target_line_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/grade", operation_id="grade_self_evaluation")
def grade_self_evaluation(
    session: SessionDep,
    actor: Finance,
    item_id: RowId,
    body: GradeDecision,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Finance's finding and the grade (优良中差), or a return with the finding (S2.4)."""
    return etag(
        review.grade(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/third-party", operation_id="commission_third_party_evaluation")
def commission_third_party_evaluation(
    session: SessionDep,
    actor: Finance,
    item_id: RowId,
    body: ThirdPartyCommission,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Commission a third-party agency to evaluate the item (S2.4)."""
    return etag(
        third_party.commission_third_party(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.put("/third-party-evaluation", operation_id="save_third_party_evaluation")
def save_third_party_evaluation(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.evaluation_third_party)],
    item_id: RowId,
    body: ThirdPartyEvaluation,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """The commissioned third party's score and report."""
    return etag(
        third_party.third_party_evaluation(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post("/adopt-third-party", operation_id="adopt_third_party_score")
def adopt_third_party_score(
    session: SessionDep,
    actor: Finance,
    item_id: RowId,
    body: EvaluationAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> EvaluationRead:
    """Adopt the third party's score as the final score."""
    return etag(
        third_party.adopt_third_party(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )
