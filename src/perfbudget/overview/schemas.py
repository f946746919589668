from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

from perfbudget.budget_items.models import ItemKind
from perfbudget.monitoring.models import Light, ReportStatus
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import Money, RequestModel, ResponseModel, RowId, Year

# A percentage with two decimals, as a string: "87.50" is 87.5 %.
Percentage = Annotated[
    Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json")
]


class MonthQuery(RequestModel):
    month: int = Field(ge=1, le=12, description="The month monitored (1–12)")


class QueueFilter(ListQuery):
    fiscal_year: Year | None = None
    month: int | None = Field(default=None, ge=1, le=12)
    status: ReportStatus = Field(
        default=ReportStatus.finance_review, description="Default: awaiting finance review"
    )
    light: Light | None = Field(default=None, description="The item's light")
    organisation_id: RowId | None = Field(
        default=None, description="This organisation and its subordinate units"
    )
    late: bool | None = None
    sort: str = sort_field(
        "id",
        "submitted_at",
        "due_on",
        "fiscal_year",
        "month",
        "organisation",
        "item",
        "item_light",
        "late",
        default="submitted_at",
    )


class ReportCounts(ResponseModel):
    due: int = Field(description="Items funded by the month's end: each owes a report")
    submitted: int = Field(description="Reports owed, past draft and not returned for changes")
    overdue: int = Field(description="Due, not submitted, and past the due date")
    late: int = Field(description="Owed and submitted after the due date")
    funded_after_month: int = Field(
        description="Items funded after the month ended (Beijing time): they owe no report "
        "for it (S2.3.1), so they are left out of `due`, `submitted`, `overdue`, `late` and "
        "the lights, with any report they filed for the month anyway; `items` = `due` + "
        "`funded_after_month`"
    )


class LightCounts(ResponseModel):
    green: int = 0
    blue: int = 0
    yellow: int = 0
    red: int = 0


class HoldCounts(ResponseModel):
    suspended: int = Field(default=0, description="Items with an active suspension (暂缓拨款)")
    stopped: int = Field(default=0, description="Items with payments stopped (停止拨款)")


class RectificationCounts(ResponseModel):
    open: int = Field(default=0, description="Orders not yet verified as rectified")
    overdue: int = Field(default=0, description="Open or rejected orders past their deadline")


class OverviewFigures(ResponseModel):
    items: int = Field(description="Funded projects and policies (and department budgets in June)")
    reports: ReportCounts
    lights: LightCounts = Field(description="Item lights of the submitted reports")
    approved: Money = Field(description="Approved amount of the funded projects and policies")
    disbursed: Money = Field(description="Paid to them by the month's end")
    planned: Money = Field(
        description="Their spending plans at the month's end; approved × m ÷ 12 without a plan"
    )
    execution_rate: Percentage | None = Field(description="Disbursed ÷ approved (%)")
    time_progress: Percentage | None = Field(description="Planned ÷ approved (%)")
    execution_ratio: Percentage | None = Field(
        description="Execution rate ÷ time progress (%), what the execution light reads (§3)"
    )
    holds: HoldCounts = Field(description="Active now")
    rectifications: RectificationCounts = Field(description="As of today")


class DepartmentOverview(OverviewFigures):
    department: OrganisationRef


class MonitoringOverview(ResponseModel):
    fiscal_year: int
    month: int
    as_of: date = Field(description="Today: what 'overdue' is measured against")
    due_on: date = Field(description="When project and policy reports for the month fall due")
    overall_due_on: date | None = Field(
        description="When a department's overall report falls due (June only)"
    )
    county: OverviewFigures
    departments: list[DepartmentOverview] = Field(
        description="Each department with its subordinate units rolled up"
    )


class ItemRef(ResponseModel):
    id: int
    code: str | None
    name: str


class QueueRow(ResponseModel):
    id: int
    fiscal_year: int
    month: int
    item: ItemRef
    organisation: OrganisationRef
    status: ReportStatus
    item_light: Light | None
    execution_light: Light | None
    submitted_at: datetime | None
    late: bool
    due_on: date
    version: int


class MissingReport(ResponseModel):
    item: ItemRef
    kind: ItemKind
    due_on: date
    report_id: int | None = Field(description="The draft or returned report, if one exists")
    report_status: ReportStatus | None


class LateReport(ResponseModel):
    item: ItemRef
    kind: ItemKind
    due_on: date
    report_id: int
    report_status: ReportStatus
    submitted_at: datetime | None


class OrganisationCompliance(ResponseModel):
    organisation: OrganisationRef
    missing: list[MissingReport]
    late: list[LateReport]


class MonitoringCompliance(ResponseModel):
    fiscal_year: int
    month: int
    as_of: date
    missing_total: int
    late_total: int
    organisations: list[OrganisationCompliance] = Field(
        description="Only organisations with a missing or late report, by code"
    )
