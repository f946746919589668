from typing import Literal

from perfbudget.budget_items.models import BudgetBook, ItemKind
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.schemas import Money, RequestModel, ResponseModel
from perfbudget.targets.schemas import TargetLineRead


class CongressPackageQuery(RequestModel):
    format: Literal["json", "xlsx"] = "json"


class PackageItem(ResponseModel):
    item_id: int
    code: str | None
    name: str
    kind: ItemKind
    budget_book: BudgetBook
    organisation: OrganisationRef
    requested_amount: Money
    approved_amount: Money | None
    target_set_number: int
    overall_goal: str
    lines: list[TargetLineRead]


class PackageDepartment(ResponseModel):
    department: OrganisationRef
    item_count: int
    approved_total: Money
    items: list[PackageItem]


class CongressPackage(ResponseModel):
    year: int
    item_count: int
    approved_total: Money
    departments: list[PackageDepartment]
