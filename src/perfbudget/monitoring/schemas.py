from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, computed_field

from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.budget_items.models import ItemKind
from perfbudget.indicators.models import Direction, IndicatorCategory
from perfbudget.monitoring.models import Light, QualitativeStatus, RectificationStatus, ReportStatus
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.payments.models import HoldKind
from perfbudget.schemas import (
    DraftId,
    DraftTime,
    DraftVersion,
    LongText,
    Money,
    Quantity,
    RequestModel,
    ResponseModel,
    RowId,
    VersionedUpdate,
)

Actual = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]


# --- monthly reports -----------------------------------------------------------------------


class ReportLineIn(RequestModel):
    target_line_id: RowId = Field(description="A line of the item's approved targets")
    actual: Actual | None = Field(
        default=None, description="Cumulative actual to the month end (quantitative lines)"
    )
    qualitative_status: QualitativeStatus | None = Field(
        default=None, description="达成 / 部分达成 / 未达成 (qualitative lines)"
    )
    year_target_expected: bool = Field(
        default=True, description="Whether the year's target is still expected to be met"
    )
    note: LongText = Field(default="", max_length=4000)


class ReportDraft(VersionedUpdate):
    """The whole draft: what is sent replaces what was there (version needed once it exists)."""

    cumulative_execution: Money | None = Field(
        default=None,
        ge=0,
        description="Spent by the month end; defaults to the disbursements recorded until then",
    )
    target_expected: bool = Field(
        default=True, description="Whether the item's targets are still expected to be met"
    )
    deviation_reasons: LongText = Field(default="", description="Why it deviates (S2.3.1)")
    corrective_measures: LongText = Field(default="", description="What is done about it (S2.3.1)")
    lines: list[ReportLineIn] = Field(default_factory=list, max_length=100)


class ReportAction(VersionedUpdate):
    pass


class ReportDepartmentReview(VersionedUpdate):
    decision: Literal["approve", "return"]
    reason: LongText | None = Field(default=None, max_length=4000, description="Required to return")


class ReportFinanceReview(VersionedUpdate):
    decision: Literal["accept", "rectify", "suspend", "stop"]
    reason: LongText | None = Field(
        default=None, max_length=4000, description="Required to suspend or stop payments"
    )
    required_measures: LongText | None = Field(
        default=None, max_length=20000, description="Required to order rectification or suspend"
    )
    deadline: date | None = Field(
        default=None, description="Rectification deadline (to rectify or suspend)"
    )


class LocalText(ResponseModel):
    zh: str
    en: str


class LightRead(ResponseModel):
    light: Light
    formula: LocalText
    explanation: LocalText = Field(description="Which threshold decided the light")
    inputs: dict[str, str]
    parameters: dict[str, str] = Field(description="The fiscal year's thresholds used (%)")
    ratio: str | None = Field(
        description="Percent, rounded half up to 0.01; the light is read from this figure"
    )


class IndicatorLightRead(LightRead):
    target_line_id: int
    name: str
    direction: Direction


class ReportLights(ResponseModel):
    preview: bool = Field(
        description="True while the report is a draft: computed from what is answered so far"
    )
    month_basis: int = Field(description="The m of m ÷ 12")
    item: LightRead
    execution: LightRead
    indicators: list[IndicatorLightRead]


class TargetLineToReport(ResponseModel):
    """An approved target line, as the report answers it."""

    target_line_id: int
    position: int
    category: IndicatorCategory
    name: str
    direction: Direction
    target_value: Quantity | None
    unit: str | None
    qualitative_standard: str | None


class ReportLineRead(TargetLineToReport):
    actual: Quantity | None
    qualitative_status: QualitativeStatus | None
    year_target_expected: bool
    note: str


class HoldRef(ResponseModel):
    id: int
    kind: HoldKind
    reason: str
    unspent_balance: Money | None
    placed_at: datetime
    lifted_at: datetime | None


class ReportRead(ResponseModel):
    id: DraftId
    item_id: int
    fiscal_year: int
    organisation: OrganisationRef
    month: int
    status: ReportStatus
    approved_amount: Money
    cumulative_execution: Money = Field(
        description="Spent by the month's end; a draft not saved yet shows the disbursements "
        "paid by then, what a save without it records"
    )
    planned_cumulative: Money | None = Field(
        description="The spending plan's cumulative amount at the month, as the execution "
        "light uses it (§3); null: no plan, time progress is m ÷ 12"
    )
    target_expected: bool
    deviation_reasons: str
    corrective_measures: str
    due_on: date
    submitted_at: datetime | None
    late: bool
    item_light: Light | None
    execution_light: Light | None
    lights: ReportLights | None
    lines: list[ReportLineRead]
    return_reason: str | None
    review_reason: str | None
    reviewed_at: datetime | None
    rectification_id: int | None
    hold: HoldRef | None
    version: DraftVersion
    created_at: DraftTime
    updated_at: DraftTime

    @computed_field(  # type: ignore[prop-decorator]
        description="false: nothing is stored yet. Before a month's first save, `GET "
        "…/monitoring-reports/{month}` answers the draft it starts from: a line for each "
        "approved target line (its `target_line_id`, no actual), the execution paid by the "
        "month's end, the plan's amount and the preview lights; no id, version or ETag. The "
        "first PUT creates the report."
    )
    @property
    def saved(self) -> bool:
        return self.id is not None


class ReportSummary(ResponseModel):
    id: int
    status: ReportStatus
    cumulative_execution: Money
    submitted_at: datetime | None
    late: bool
    item_light: Light | None
    execution_light: Light | None
    version: int


class MonitoringMonth(ResponseModel):
    month: int
    due_on: date
    ended: bool = Field(description="The month is over: its report can be filed")
    owed: bool = Field(
        description="The item was funded before the month ended, so it owes this month's "
        "report (S2.3.1; the overview, the assessment, the inbox and the reminders count the "
        "same months)"
    )
    overdue: bool = Field(description="Owed, past its due date and not submitted")
    report: ReportSummary | None


class MonitoringCalendar(ResponseModel):
    item_id: int
    kind: ItemKind
    monitored: bool = Field(description="Funded, and of a kind that is monitored (S2.3.1)")
    lines: list[TargetLineToReport] = Field(description="The approved lines each report answers")
    months: list[MonitoringMonth]


# --- rectifications (S2.3.2) -----------------------------------------------------------------


class RectificationFilter(ListQuery):
    status: RectificationStatus | None = None
    organisation_id: RowId | None = None
    item_id: RowId | None = None
    overdue: bool | None = Field(
        default=None, description="true: past the deadline and not yet accepted"
    )
    sort: str = sort_field(
        "id",
        "deadline",
        "status",
        "organisation_id",
        "item_id",
        "responded_at",
        "verified_at",
        "created_at",
        "updated_at",
        default="deadline",
    )


class RectificationResponse(VersionedUpdate):
    measures_taken: LongText = Field(min_length=1, max_length=20000)


class RectificationVerification(VersionedUpdate):
    decision: Literal["accepted", "rejected"]
    note: LongText | None = Field(default=None, max_length=4000, description="Required to reject")


class RectificationRead(ResponseModel):
    id: int
    item_id: int
    item_name: str
    report_id: int
    month: int
    organisation: OrganisationRef
    hold_id: int | None
    required_measures: str
    deadline: date
    overdue: bool
    status: RectificationStatus
    response_measures: str | None
    responded_at: datetime | None
    verification_note: str | None
    verified_by_id: int | None
    verified_at: datetime | None
    attachments: list[AttachmentRead]
    version: int
    created_at: datetime
