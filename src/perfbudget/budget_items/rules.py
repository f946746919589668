"""Who stands where in an item's review chain (S3)."""

from decimal import Decimal

from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import Forbidden, Unprocessable
from perfbudget.orgs.models import OrganisationKind
from perfbudget.principal import Actor


def needs_department_review(item: BudgetItem) -> bool:
    """S3: a subordinate unit's request passes its parent department before finance."""
    return item.organisation.kind is OrganisationKind.unit


def is_owner_side(actor: Actor, item: BudgetItem) -> bool:
    return actor.scope_path is not None and item.organisation.path.startswith(actor.scope_path)


def is_parent_reviewer(actor: Actor, item: BudgetItem) -> bool:
    """A department user above the owning unit (its scope contains the unit, strictly)."""
    return (
        actor.scope_path is not None
        and item.organisation.path.startswith(actor.scope_path)
        and item.organisation.path != actor.scope_path
    )


def require_owner_side(actor: Actor, item: BudgetItem) -> None:
    if not is_owner_side(actor, item):
        raise Forbidden(
            "NOT_ITEM_OWNER",
            "Only the owning department or unit prepares this item.",
            "仅项目所属部门单位可编报该项目。",
        )


def require_parent_reviewer(actor: Actor, item: BudgetItem) -> None:
    if not is_parent_reviewer(actor, item):
        raise Forbidden(
            "NOT_PARENT_DEPARTMENT",
            "Only the parent department reviews a subordinate unit's submission (S3).",
            "所属单位报送的材料由其主管部门审核（S3）。",
        )


def stated_execution(
    item: BudgetItem, stated: Decimal | None, paid: Decimal, label_en: str, label_zh: str
) -> Decimal:
    """The execution a report or a self-evaluation states (what was paid, when it states
    none), refused above the item's approved amount."""
    execution = paid if stated is None else stated
    if item.approved_amount is not None and execution > item.approved_amount:
        raise Unprocessable(
            "EXECUTION_EXCEEDS_APPROVED",
            f"{label_en} {execution} passes the approved {item.approved_amount}.",
            f"{label_zh} {execution} 元超过批复金额 {item.approved_amount} 元。",
        )
    return execution
