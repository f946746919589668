from datetime import date, datetime

from pydantic import Field

from perfbudget.payments.models import DisbursementSource, HoldKind
from perfbudget.schemas import Money, RequestModel, ResponseModel, Text


class PlanMonth(RequestModel):
    month: int = Field(ge=1, le=12)
    cumulative_amount: Money = Field(ge=0, description="Planned spending by the month's end")


class SpendingPlanWrite(RequestModel):
    months: list[PlanMonth] = Field(min_length=12, max_length=12)


class PlanMonthRead(ResponseModel):
    month: int
    cumulative_amount: Money


class SpendingPlanRead(ResponseModel):
    item_id: int
    approved_amount: Money | None
    months: list[PlanMonthRead] = Field(description="Empty: time progress is m ÷ 12")


class DisbursementCreate(RequestModel):
    amount: Money = Field(gt=0)
    paid_on: date
    purpose: Text = Field(min_length=1, max_length=500)
    source: DisbursementSource = DisbursementSource.manual
    external_reference: str | None = Field(
        default=None, max_length=64, description="The treasury's payment number, if any"
    )


class DisbursementRead(ResponseModel):
    id: int
    item_id: int
    amount: Money
    paid_on: date
    purpose: str
    source: DisbursementSource
    external_reference: str | None
    recorded_by_id: int | None
    recorded_at: datetime


class DisbursementLedger(ResponseModel):
    item_id: int
    approved_amount: Money | None
    disbursed: Money
    remaining: Money
    items: list[DisbursementRead]


class HoldRead(ResponseModel):
    id: int
    item_id: int
    kind: HoldKind
    reason: str
    report_id: int | None
    unspent_balance: Money | None
    placed_by_id: int | None
    placed_at: datetime
    lifted_at: datetime | None
    lift_reason: str | None
    active: bool
