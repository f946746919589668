from datetime import datetime
from typing import Literal

from pydantic import Field

from perfbudget.budget_items.models import BudgetBook, FundCategory, ItemKind, ItemStatus
from perfbudget.evaluations.models import Grade
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import (
    Money,
    Points,
    RequestModel,
    ResponseModel,
    RowId,
    Text,
    VersionedUpdate,
    Year,
)


class BudgetItemCreate(RequestModel):
    fiscal_year: int = Field(ge=2000, le=2100)
    organisation_id: RowId = Field(description="The owning department or unit")
    code: str | None = Field(default=None, max_length=40, description="Project code, if any")
    name: str = Field(min_length=1, max_length=200)
    kind: ItemKind
    budget_book: BudgetBook = BudgetBook.general_public
    fund_category: FundCategory = FundCategory.ordinary
    new_major: bool = Field(default=False, description="New major policy or project (S2.1.1)")
    capital_construction: bool = Field(default=False, description="基建投资 (S2.1.1)")
    mid_year_addition: bool = Field(default=False, description="年中追加 (S2.2.2)")
    serves_public: bool = Field(default=False, description="Serves the public directly")
    requested_amount: Money = Field(gt=0)
    description: Text = Field(default="", max_length=10000)
    continues_item_id: RowId | None = Field(
        default=None, description="The previous year's item this one continues"
    )


class BudgetItemUpdate(VersionedUpdate):
    code: str | None = Field(default=None, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ItemKind | None = None
    budget_book: BudgetBook | None = None
    fund_category: FundCategory | None = None
    new_major: bool | None = None
    capital_construction: bool | None = None
    serves_public: bool | None = None
    requested_amount: Money | None = Field(default=None, gt=0)
    description: Text | None = Field(default=None, max_length=10000)
    continues_item_id: RowId | None = None


class ItemAction(VersionedUpdate):
    pass


class ReviewDecision(VersionedUpdate):
    decision: Literal["approve", "return"]
    reason: Text | None = Field(default=None, max_length=4000, description="Required to return")


class ReturnRequest(VersionedUpdate):
    reason: Text = Field(min_length=1, max_length=4000)


class BudgetDecisionRequest(VersionedUpdate):
    decision: Literal["fund", "reject"]
    approved_amount: Money | None = Field(default=None, gt=0, description="Required to fund")
    reason: Text | None = Field(
        default=None,
        max_length=4000,
        description="Required to reject, or to approve more than was requested",
    )


class BudgetItemFilter(ListQuery):
    fiscal_year: Year | None = None
    organisation_id: RowId | None = None
    kind: ItemKind | None = None
    status: ItemStatus | None = None
    budget_book: BudgetBook | None = None
    fund_category: FundCategory | None = None
    new_major: bool | None = None
    capital_construction: bool | None = None
    mid_year_addition: bool | None = None
    search: str | None = Field(default=None, max_length=100)
    sort: str = sort_field(
        "id",
        "code",
        "name",
        "requested_amount",
        "approved_amount",
        "organisation",
        "fiscal_year",
        "kind",
        "status",
        "submitted_at",
        "decided_at",
        "created_at",
        "updated_at",
        default="id",
    )


class TargetSummary(ResponseModel):
    number: int
    status: str
    line_count: int
    total_weight: Points
    approved_number: int | None = Field(description="The version in force, if any")


class GateRead(ResponseModel):
    code: str
    clause: str
    satisfied: bool
    blocking: bool
    message: str


class GateSummary(ResponseModel):
    passed: bool = Field(description="No blocking gate stands in the way of funding")
    blocking: list[str] = Field(description="Codes of unsatisfied blocking gates")
    warnings: list[str] = Field(description="Codes of unsatisfied warning gates")


class BudgetItemRead(ResponseModel):
    id: int
    fiscal_year: int
    organisation: OrganisationRef
    code: str | None
    name: str
    kind: ItemKind
    budget_book: BudgetBook
    fund_category: FundCategory
    new_major: bool
    capital_construction: bool
    mid_year_addition: bool
    serves_public: bool
    requested_amount: Money
    approved_amount: Money | None
    description: str
    continues_item_id: int | None
    status: ItemStatus
    return_reason: str | None
    decision_reason: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    targets: TargetSummary | None = None
    gates: GateSummary | None = None
    predecessor_grade: Grade | None = Field(
        default=None,
        description="The graded result of the item this one continues — for a department's "
        "overall budget, the department's overall grade (S2.5)",
    )


class ItemEventRead(ResponseModel):
    id: int
    from_status: str | None
    to_status: str
    action: str
    reason: str | None
    user_id: int | None
    occurred_at: datetime
    import_run_id: int | None = Field(
        default=None, description="The batch upload that created the item (GET /imports/runs)"
    )


class GatesRead(ResponseModel):
    item_id: int
    passed: bool
    gates: list[GateRead]
