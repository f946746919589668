"""Budget items (S1.1, S1.3): preparation, review chain (S3) and the funding decision."""

from sqlalchemy.orm import Session

from perfbudget.auth.principal import Actor
from perfbudget.budget_items import repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import not_found


def get_item(session: Session, actor: Actor, item_id: int) -> BudgetItem:
    """The item if the actor may see it; 404 otherwise, exactly as for a missing one."""
    item = repository.get(session, actor, item_id)
    if item is None:
        raise not_found("Budget item", "预算项目")
    return item
