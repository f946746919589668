from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer

from perfbudget.assessments.models import (
    AssessmentConclusion,
    AssessmentDimension,
    AssessmentStatus,
    ReviewStatus,
)
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, RowId, Text, VersionedUpdate

# A score out of 100 with two decimals: Decimal in, "85.00" out.
Score = Annotated[
    Decimal,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
]


class DimensionFinding(RequestModel):
    finding: Text = Field(min_length=1, max_length=20000, description="What the assessment found")
    score: Score


class AssessmentDraft(VersionedUpdate):
    """The whole draft: what is sent replaces what was there (version needed once it exists)."""

    dimensions: dict[AssessmentDimension, DimensionFinding] = Field(
        default_factory=dict, description="All five are needed to submit (S2.1.1)"
    )
    conclusion: Text = Field(default="", max_length=20000, description="The report's conclusion")


class AssessmentAction(VersionedUpdate):
    pass


class ReviewerAssignment(RequestModel):
    reviewer_id: RowId = Field(description="An active expert or third-party user")


class AssessmentConclusionRequest(VersionedUpdate):
    final_conclusion: AssessmentConclusion
    note: Text | None = Field(
        default=None,
        max_length=20000,
        description="Required unless the conclusion is 'supported'",
    )


class ReviewSubmission(VersionedUpdate):
    opinions: dict[AssessmentDimension, Annotated[str, Field(min_length=1, max_length=20000)]] = (
        Field(description="An opinion on every dimension")
    )
    recommendation: AssessmentConclusion
    score: Score | None = None
    summary: Text | None = Field(default=None, max_length=20000)


class ReviewFilter(ListQuery):
    status: ReviewStatus | None = None
    item_id: RowId | None = None
    sort: str = sort_field(
        "id",
        "assessment_id",
        "reviewer_id",
        "status",
        "score",
        "submitted_at",
        "created_at",
        "updated_at",
        default="-id",
    )


class DimensionRead(ResponseModel):
    finding: str
    score: Score


class ReviewRead(ResponseModel):
    id: int
    assessment_id: int
    item_id: int
    item_name: str
    reviewer_id: int
    assigned_by_id: int | None
    status: ReviewStatus
    opinions: dict[AssessmentDimension, str]
    score: Score | None
    recommendation: AssessmentConclusion | None
    summary: str | None
    submitted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class AssessmentRead(ResponseModel):
    id: int
    item_id: int
    status: AssessmentStatus
    assessor_role: str = Field(description="department, or investment for capital construction")
    filed_by_id: int | None
    dimensions: dict[AssessmentDimension, DimensionRead]
    missing_dimensions: list[AssessmentDimension]
    conclusion: str
    submitted_at: datetime | None
    final_conclusion: AssessmentConclusion | None
    final_note: str | None
    concluded_by_id: int | None
    concluded_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    attachments: list[AttachmentRead]
    reviews: list[ReviewRead] = Field(
        description="Reviewers see their own; the filer sees submitted ones once concluded"
    )
