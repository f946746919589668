from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from perfbudget.budget_items.models import ItemKind
from perfbudget.evaluations.models import Consequence, Grade
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.overview.schemas import ItemRef, Percentage
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.results.models import AssessmentStatus
from perfbudget.schemas import (
    Money,
    Points,
    RequestModel,
    ResponseModel,
    RowId,
    Text,
    VersionedUpdate,
)

ExportFormat = Literal["json", "xlsx", "csv"]


class ExportQuery(RequestModel):
    format: Literal["json", "xlsx"] = "json"


class ResultsFilter(ListQuery):
    organisation_id: RowId | None = Field(
        default=None, description="This organisation and its subordinate units"
    )
    grade: Grade | None = None
    consequence: Consequence | None = None
    kind: ItemKind | None = None
    format: ExportFormat = Field(
        default="json",
        description="xlsx or csv: every matching row as a workbook or UTF-8 CSV (no paging)",
    )
    sort: str = sort_field(
        "evaluation_id",
        "final_score",
        "grade",
        "graded_at",
        "organisation",
        "item",
        "approved_amount",
        default="final_score",
    )


class ResultRow(ResponseModel):
    evaluation_id: int
    item: ItemRef
    organisation: OrganisationRef
    kind: ItemKind
    approved_amount: Money | None
    final_score: Points | None
    grade: Grade
    grade_label_zh: str
    consequence: Consequence
    consequence_label_zh: str
    rectification_plan_on_file: bool = Field(
        description="A rectification plan is filed (expected for 中 before funding again)"
    )
    graded_at: datetime | None


class GradeCounts(ResponseModel):
    excellent: int = 0
    good: int = 0
    fair: int = 0
    poor: int = 0


class OrganisationResults(ResponseModel):
    graded: int
    grades: GradeCounts
    average_score: Points | None = Field(description="Mean final score of the graded items")
    approved_total: Money = Field(description="Approved amount of the graded items")


class DepartmentResults(OrganisationResults):
    department: OrganisationRef


class ResultsByOrganisation(ResponseModel):
    """For government performance appraisal and the appraisal of officials (S2.5)."""

    fiscal_year: int
    county: OrganisationResults
    departments: list[DepartmentResults] = Field(
        description="Each department with its subordinate units rolled up, by code"
    )


class RectificationPlanCreate(RequestModel):
    plan: Text = Field(min_length=1, max_length=20000)


class RectificationPlanRead(ResponseModel):
    id: int
    item_id: int
    plan: str
    filed_by_id: int | None
    filed_at: datetime


# --- department assessment and circular (S3) ------------------------------------------------


class MetricRead(ResponseModel):
    achieved: int = Field(description="Records that met the rule (for grades: graded items)")
    of: int = Field(description="Records the rule applies to")
    share: Percentage | None = Field(description="achieved ÷ of (%); None with nothing to count")
    average: Points | None = Field(
        default=None, description="Average grade points (优 4, 良 3, 中 2, 差 1); grades only"
    )
    weight: Points
    points: Points | None = Field(description="share × weight; None when not measurable")


class AssessmentMetrics(ResponseModel):
    targets_on_time: MetricRead
    reports_on_time: MetricRead
    rectifications_on_time: MetricRead
    evaluations_submitted: MetricRead
    average_grade: MetricRead


class DepartmentAssessmentRead(ResponseModel):
    id: int
    fiscal_year: int
    department: OrganisationRef
    metrics: AssessmentMetrics
    computed_score: Points | None
    qualitative_score: Points | None
    qualitative_note: str | None
    total_score: Points | None
    rank: int | None
    version: int


class DepartmentAssessmentList(ResponseModel):
    fiscal_year: int
    rules: str = Field(description="How the scores are computed")
    items: list[DepartmentAssessmentRead] = Field(description="Ranked; unscored last, by code")


class AssessmentUpdate(VersionedUpdate):
    qualitative_score: Decimal = Field(ge=0, le=100, max_digits=5, decimal_places=2)
    note: Text | None = Field(default=None, max_length=5000)


class CircularCreate(RequestModel):
    title: str = Field(min_length=1, max_length=200)
    body: Text = Field(default="", max_length=50000)


class RankingEntry(ResponseModel):
    rank: int
    department: OrganisationRef
    computed_score: Points
    qualitative_score: Points
    total_score: Points


class CircularRead(ResponseModel):
    id: int
    fiscal_year: int
    title: str
    body: str
    status: AssessmentStatus
    ranking: list[RankingEntry] = Field(description="As published; empty while a draft")
    published_at: datetime | None
    version: int


class CircularPublish(VersionedUpdate):
    pass


class CircularQuery(RequestModel):
    format: Literal["json", "docx"] = Field(
        default="json", description="docx: the circular as the county prints it (考核通报)"
    )
