from typing import Annotated

from fastapi import APIRouter, Query, UploadFile, status
from fastapi.responses import FileResponse, Response

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.assessments import review, service
from perfbudget.assessments.schemas import (
    AssessmentAction,
    AssessmentConclusionRequest,
    AssessmentDraft,
    AssessmentRead,
    ReviewerAssignment,
    ReviewFilter,
    ReviewRead,
    ReviewSubmission,
)
from perfbudget.attachments import storage
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(tags=["assessments"])
ITEM = "/api/v1/budget-items/{item_id}/assessment"
REVIEWS = "/api/v1/assessment-reviews"
Reader = Annotated[Actor, Allowed(Permission.item_read)]
Filer = Annotated[Actor, Allowed(Permission.assessment_file)]
Reviewer = Annotated[Actor, Allowed(Permission.assessment_review)]
Manager = Annotated[Actor, Allowed(Permission.assessment_manage)]
DOWNLOAD = storage.DOWNLOAD_RESPONSES


@router.get(ITEM, operation_id="get_assessment", responses=ETAG_RESPONSES)
def get_assessment(
    session: SessionDep, actor: Reader, item_id: RowId, etag: ReadETag
) -> AssessmentRead:
    """Read an item's ex-ante assessment with its attachments and the reviews you may see."""
    return etag(service.get_assessment(session, actor, item_id))


@router.put(ITEM, operation_id="save_assessment_draft")
def save_assessment_draft(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    body: AssessmentDraft,
    if_match: IfMatch,
    etag: WriteETag,
) -> AssessmentRead:
    """Create or replace the draft assessment of a new major policy or project (S2.1.1)."""
    return etag(
        service.save_draft(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(f"{ITEM}/submit", operation_id="submit_assessment")
def submit_assessment(
    session: SessionDep,
    actor: Filer,
    item_id: RowId,
    body: AssessmentAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> AssessmentRead:
    """Submit the assessment report to the finance bureau (all five dimensions needed)."""
    return etag(
        service.submit_assessment(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.post(
    f"{ITEM}/attachments",
    status_code=status.HTTP_201_CREATED,
    operation_id="upload_assessment_attachment",
)
def upload_assessment_attachment(
    session: SessionDep, actor: Filer, item_id: RowId, file: UploadFile
) -> AttachmentRead:
    """Attach a PDF, Word or Excel file (at most 20 MB) to the draft assessment."""
    return AttachmentRead.model_validate(service.add_attachment(session, actor, item_id, file))


@router.get(
    f"{ITEM}/attachments/{{attachment_id}}",
    operation_id="download_assessment_attachment",
    response_class=FileResponse,
    responses=DOWNLOAD,
)
def download_assessment_attachment(
    session: SessionDep, actor: Reader, item_id: RowId, attachment_id: RowId
) -> Response:
    """Download an attachment of an assessment you may see."""
    return send(service.download_attachment(session, actor, item_id, attachment_id))


@router.delete(
    f"{ITEM}/attachments/{{attachment_id}}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_assessment_attachment",
)
def delete_assessment_attachment(
    session: SessionDep, actor: Filer, item_id: RowId, attachment_id: RowId
) -> None:
    """Remove an attachment from the draft assessment."""
    service.remove_attachment(session, actor, item_id, attachment_id)


@router.post(
    f"{ITEM}/reviewers",
    status_code=status.HTTP_201_CREATED,
    operation_id="assign_assessment_reviewer",
)
def assign_assessment_reviewer(
    session: SessionDep, actor: Manager, item_id: RowId, body: ReviewerAssignment, etag: WriteETag
) -> ReviewRead:
    """Assign an expert or a third party to review the submitted assessment (S2.1.2)."""
    return etag(review.assign_reviewer(session, actor, item_id, body))


@router.post(f"{ITEM}/conclusion", operation_id="conclude_assessment")
def conclude_assessment(
    session: SessionDep,
    actor: Manager,
    item_id: RowId,
    body: AssessmentConclusionRequest,
    if_match: IfMatch,
    etag: WriteETag,
) -> AssessmentRead:
    """Record the finance bureau's conclusion on the reviewed assessment (S2.1.2)."""
    return etag(
        review.conclude(
            session,
            actor,
            item_id,
            body,
            expected_version(body.version, if_match),
        )
    )


@router.get(REVIEWS, operation_id="list_assessment_reviews")
def list_assessment_reviews(
    session: SessionDep, actor: Reader, filters: Annotated[ReviewFilter, Query()]
) -> Page[ReviewRead]:
    """List review assignments (a reviewer sees only their own)."""
    return review.list_reviews(session, actor, filters)


@router.get(
    f"{REVIEWS}/{{review_id}}", operation_id="get_assessment_review", responses=ETAG_RESPONSES
)
def get_assessment_review(
    session: SessionDep, actor: Reader, review_id: RowId, etag: ReadETag
) -> ReviewRead:
    """Read one review assignment."""
    return etag(review.get_review(session, actor, review_id))


@router.put(f"{REVIEWS}/{{review_id}}", operation_id="submit_assessment_review")
def submit_assessment_review(
    session: SessionDep,
    actor: Reviewer,
    review_id: RowId,
    body: ReviewSubmission,
    if_match: IfMatch,
    etag: WriteETag,
) -> ReviewRead:
    """Submit your opinion on every dimension and a recommendation (once)."""
    return etag(
        review.submit_review(
            session,
            actor,
            review_id,
            body,
            expected_version(body.version, if_match),
        )
    )
