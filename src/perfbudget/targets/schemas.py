from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AliasChoices, Field

from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.schemas import (
    Points,
    Quantity,
    RequestModel,
    ResponseModel,
    RowId,
    Text,
    VersionedUpdate,
)
from perfbudget.targets.models import TargetSetStatus

TargetValue = Annotated[Decimal, Field(max_digits=18, decimal_places=4)]
Weight = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class TargetLineIn(RequestModel):
    category: IndicatorCategory = Field(description="Second-level category, or an S2.2.3 aspect")
    name: str = Field(min_length=1, max_length=200)
    direction: Direction
    target_value: TargetValue | None = None
    unit: str | None = Field(default=None, max_length=32)
    qualitative_standard: Text | None = Field(default=None, max_length=2000)
    weight: Weight
    library_indicator_id: RowId | None = None
    framework_indicator_id: RowId | None = None


class TargetSetWrite(VersionedUpdate):
    overall_goal: Text = Field(default="", max_length=4000)
    lines: list[TargetLineIn] = Field(default_factory=list, max_length=100)


class TargetReview(VersionedUpdate):
    decision: Literal["approve", "return"]
    reason: Text | None = Field(default=None, max_length=4000, description="Required to return")


class TargetAdjustment(VersionedUpdate):
    reason: Text = Field(min_length=1, max_length=4000, description="Why the targets change")


class TargetLineRead(ResponseModel):
    target_line_id: int = Field(
        validation_alias=AliasChoices("target_line_id", "id"),
        description="The id a monthly report's or a self-evaluation's line answers "
        "(`target_line_id` there). Fixed from approval on: an adjustment is a new version "
        "with lines of its own, while saving a draft or a returned version writes its "
        "lines anew.",
    )
    position: int
    category: IndicatorCategory
    first_level: FirstLevel
    name: str
    direction: Direction
    target_value: Quantity | None
    unit: str | None
    qualitative_standard: str | None
    weight: Points
    library_indicator_id: int | None
    framework_indicator_id: int | None


class TargetSetRead(ResponseModel):
    id: int
    item_id: int
    number: int
    status: TargetSetStatus
    overall_goal: str
    adjustment_reason: str | None
    return_reason: str | None
    submitted_at: datetime | None
    approved_at: datetime | None
    version: int
    created_at: datetime
    lines: list[TargetLineRead]


class FilingCheckRead(ResponseModel):
    code: str
    severity: Literal["blocking", "warning"]
    clause: str
    line: int | None = Field(description="Position of the offending line, if one")
    message: str


class FilingCheckReport(ResponseModel):
    item_id: int
    target_set_number: int
    passed: bool = Field(description="No blocking check failed")
    checks: list[FilingCheckRead]
