from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from perfbudget.budget_items.models import BudgetItem
from perfbudget.orgs.models import Organisation
from perfbudget.targets.models import TargetSet, TargetSetStatus


def approved_target_sets(
    session: Session, fiscal_year_id: int
) -> Sequence[tuple[BudgetItem, TargetSet]]:
    """Every item of the year with targets in force, and those targets (lines by selectin)."""
    rows = session.execute(
        select(BudgetItem, TargetSet)
        .join(TargetSet, TargetSet.item_id == BudgetItem.id)
        .where(
            BudgetItem.fiscal_year_id == fiscal_year_id,
            TargetSet.status == TargetSetStatus.approved,
        )
        .order_by(BudgetItem.id)
    )
    return [(item, target_set) for item, target_set in rows]


def organisations(session: Session, ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {org.id: org for org in rows}
