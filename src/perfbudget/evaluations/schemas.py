from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, computed_field

from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.budget_items.models import ItemKind
from perfbudget.evaluations.models import EvaluationStatus, Grade
from perfbudget.indicators.models import Direction, IndicatorCategory
from perfbudget.monitoring.models import QualitativeStatus
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.schemas import (
    DraftId,
    DraftTime,
    DraftVersion,
    LongText,
    Money,
    Points,
    Quantity,
    RequestModel,
    ResponseModel,
    RowId,
    VersionedUpdate,
)

Actual = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
# a qualitative line's share of its weight (%), not points: 80 on a line of weight 10 is 8.00
Share = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
PointsIn = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
SECTIONS = ("overview", "achievements", "problems", "improvements")


class Sections(RequestModel):
    """The report's four parts (S2.4)."""

    overview: LongText = Field(default="", description="项目概况")
    achievements: LongText = Field(default="", description="绩效目标完成情况")
    problems: LongText = Field(default="", description="存在的问题及原因")
    improvements: LongText = Field(default="", description="改进措施")


class EvaluationLineIn(RequestModel):
    target_line_id: RowId = Field(description="A line of the item's approved targets")
    final_actual: Actual | None = Field(
        default=None,
        description="The year's final actual (quantitative lines); not negative (NEGATIVE_ACTUAL)",
    )
    qualitative_status: QualitativeStatus | None = Field(
        default=None, description="达成 / 部分达成 / 未达成 (qualitative lines)"
    )
    qualitative_share: Share | None = Field(
        default=None,
        description="A SHARE of the line's weight in percent, not points (qualitative lines): "
        "points = share × weight ÷ 100. It lies within the level's band of the fiscal year "
        "(default 达成 80–100, 部分达成 60–80, 未达成 0–60): on a line of weight 10, 达成 "
        "takes 80–100, i.e. 8.00–10.00 points. Outside it: 422 QUALITATIVE_SHARE_OUT_OF_BAND, "
        "naming the band in points",
    )
    explanation: LongText = Field(
        default="", description="Required below target and from the over-achievement threshold"
    )


class EvaluationDraft(VersionedUpdate):
    """The whole draft: what is sent replaces what was there (version needed once it exists)."""

    final_execution: Money | None = Field(
        default=None, ge=0, description="Spent in the year; defaults to the disbursed total"
    )
    sections: Sections = Field(default_factory=Sections)
    lines: list[EvaluationLineIn] = Field(default_factory=list, max_length=100)


class EvaluationAction(VersionedUpdate):
    pass


class DepartmentReview(VersionedUpdate):
    decision: Literal["approve", "return"]
    reason: LongText | None = Field(default=None, max_length=4000, description="Required to return")


class LineAdjustment(VersionedUpdate):
    points: PointsIn = Field(description="Points finance gives the line, 0 to its weight")
    reason: LongText = Field(default="", max_length=4000, description="Required (audited)")


class GradeDecision(VersionedUpdate):
    decision: Literal["approve", "return"]
    finding: LongText = Field(
        default="", max_length=20000, description="Finance's truthfulness and completeness finding"
    )
    grade_override: Grade | None = Field(
        default=None, description="A grade other than the final score's (needs override_reason)"
    )
    override_reason: LongText | None = Field(default=None, max_length=4000)


class ThirdPartyCommission(VersionedUpdate):
    third_party_id: RowId = Field(description="An active third_party user")


class ThirdPartyEvaluation(VersionedUpdate):
    score: PointsIn
    report: LongText = Field(min_length=1)


class LocalText(ResponseModel):
    zh: str
    en: str


class ScoreLineRead(ResponseModel):
    target_line_id: int | None
    name: str
    weight: Points
    formula: LocalText = Field(
        description="The formula with the held numbers filled in, ending with the points "
        "(e.g. 实际值 ÷ 目标值 × 分值 = 200 ÷ 500 × 30 = 12.00; a bound as “→ 0.00”)"
    )
    # the fields below default for scores kept before they were recorded
    explanation: LocalText | None = Field(
        default=None,
        description="The case of §3 applied, any floor at 0 or cap at the weight, the "
        "over-achievement threshold read, the qualitative band in points, and the rounding rule",
    )
    inputs: dict[str, str]
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="The parameters used: weight; over_achievement_threshold (%); a qualitative "
        "line's band_low / band_high (%) and band_points",
    )
    points: Points
    achievement: str | None = Field(
        default=None, description="Actual ÷ target, %, rounded half up (positive lines)"
    )
    answered: bool = Field(
        default=True, description="False: a draft's line not answered yet, listed with 0 points"
    )
    below_target: bool
    over_achieved: bool


class ScoringRead(ResponseModel):
    preview: bool = Field(
        description="True while a draft: what submitting would score, every approved line "
        "listed (an unanswered one with 0 points and `answered` false)"
    )
    rounding: str = Field(description="The rounding rule: half up to 0.01, bands read from it")
    execution: ScoreLineRead
    lines: list[ScoreLineRead]
    execution_points: Points
    indicator_points: Points
    total: Points
    grade: Grade
    grade_bands: dict[str, str]


class CheckRead(ResponseModel):
    code: str
    label: LocalText
    ok: bool
    detail: dict[str, Any] = Field(default_factory=dict)


class FlagRead(ResponseModel):
    code: str
    message: LocalText
    inputs: dict[str, Any]


class EvaluationLineRead(ResponseModel):
    target_line_id: int
    position: int
    category: IndicatorCategory
    name: str
    direction: Direction
    target_value: Quantity | None
    unit: str | None
    qualitative_standard: str | None
    weight: Points
    final_actual: Quantity | None
    qualitative_status: QualitativeStatus | None
    qualitative_share: Points | None
    explanation: str
    computed_points: Points | None = Field(
        description="The line's score as computed; while a draft, what submitting would give"
    )
    adjusted_points: Points | None
    adjustment_reason: str | None


class EvaluationRead(ResponseModel):
    id: DraftId
    item_id: int
    item_name: str
    kind: ItemKind
    fiscal_year: int
    organisation: OrganisationRef
    status: EvaluationStatus
    approved_amount: Money
    final_execution: Money
    sections: dict[str, str]
    lines: list[EvaluationLineRead]
    scoring: ScoringRead | None
    plausibility_flags: list[FlagRead] = Field(
        description="Finance's truthfulness flags (§3); while a draft, those submitting would "
        "raise now"
    )
    completeness: list[CheckRead] = Field(description="Computed by the service on every read")
    computed_score: Points | None
    adjusted_score: Points | None = Field(
        description="The computed score with finance's line adjustments"
    )
    final_score: Points | None
    grade: Grade | None
    grade_override_reason: str | None
    finance_finding: str | None
    third_party_id: int | None
    third_party_score: Points | None
    third_party_report: str | None
    third_party_submitted_at: datetime | None
    third_party_adopted: bool
    return_reason: str | None
    submitted_at: datetime | None
    graded_at: datetime | None
    attachments: list[AttachmentRead]
    version: DraftVersion
    created_at: DraftTime
    updated_at: DraftTime

    @computed_field(  # type: ignore[prop-decorator]
        description="false: nothing is stored yet. Before the first save, `GET "
        "…/self-evaluation` answers the draft it starts from: a line for each approved target "
        "line (its `target_line_id`, target value and weight, no actual: the year's final "
        "actual is the department's own figure, S2.4, which finance checks against the "
        "monitoring history), the final execution disbursed so far and the preview score; no "
        "id, version or ETag. The first PUT creates it."
    )
    @property
    def saved(self) -> bool:
        return self.id is not None


class EvaluationQuery(RequestModel):
    format: Literal["json", "xlsx", "docx"] = Field(
        default="json",
        description="xlsx: the self-evaluation table; docx: the self-evaluation report (自评报告)",
    )
