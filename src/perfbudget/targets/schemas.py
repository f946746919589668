from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, computed_field

from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.schemas import (
    DraftId,
    DraftTime,
    DraftVersion,
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
    target_line_id: int | None = Field(
        validation_alias=AliasChoices("target_line_id", "id"),
        description="The id a monthly report's or a self-evaluation's line answers "
        "(`target_line_id` there). Fixed from approval on: an adjustment is a new version "
        "with lines of its own, while saving a draft or a returned version writes its "
        "lines anew. Null on a line of a draft not saved yet (`saved` false).",
    )
    position: int
    category: IndicatorCategory
    first_level: FirstLevel
    name: str
    direction: Direction
    target_value: Quantity | None
    unit: str | None
    qualitative_standard: str | None
    weight: Points | None = Field(
        description="Points of the indicator share (§3); null on a line of a draft not saved "
        "yet, where the framework suggests none: the preparer sets it"
    )
    library_indicator_id: int | None
    framework_indicator_id: int | None = Field(
        description="The common framework indicator (S2.2.1) the line uses, if one"
    )


class TargetSetRead(ResponseModel):
    id: DraftId
    item_id: int
    number: int
    status: TargetSetStatus
    overall_goal: str
    adjustment_reason: str | None
    return_reason: str | None
    submitted_at: datetime | None
    approved_at: datetime | None
    version: DraftVersion
    created_at: DraftTime
    lines: list[TargetLineRead]

    @computed_field(  # type: ignore[prop-decorator]
        description="false: nothing is stored yet. Before the item's targets are first saved, "
        "`GET …/targets` answers the draft they start from: a line for each active indicator "
        "of the fiscal year's common framework (S2.2.1) with its name, category, direction and "
        "unit, no target value and no weight (none for a department's overall targets, whose "
        "six aspects of S2.2.3 the framework does not hold); no id, version or ETag. The first "
        "PUT creates the set."
    )
    @property
    def saved(self) -> bool:
        return self.id is not None


class FilingCheckRead(ResponseModel):
    code: str
    severity: Literal["blocking", "warning"]
    clause: str
    line: int | None = Field(description="Position of the offending line, if one")
    message: str
    data: dict[str, str] = Field(
        description="The figures the message names, decimals as plain strings. "
        "LEVEL_WEIGHTS_MISMATCH: `output_expected`, `output_found`, `effect_expected`, "
        "`effect_found`, `satisfaction_expected`, `satisfaction_found` (output includes cost "
        "indicators; without a satisfaction indicator its points are expected on effect). "
        "WEIGHTS_MUST_TOTAL: `expected`, `found`. WEAKER_THAN_LAST_YEAR: `target_value`, "
        "`compared_with` (`last_year_actual`: the final actual of last year's graded "
        "self-evaluation; `last_year_target`: last year's approved target, where there is no "
        "such actual; `approved_target`: the target in force, for an adjustment) and "
        "`compared_value`. Empty for the other checks."
    )


class FilingCheckReport(ResponseModel):
    item_id: int
    target_set_number: int
    passed: bool = Field(description="No blocking check failed")
    checks: list[FilingCheckRead]
