"""How other stages reach one budget item: the item the actor may see, plain or locked. A leaf
module (it imports no other stage's service), so that the stages which file against an item
(targets, monitoring, evaluations, payments …) do not import the items' service."""

from sqlalchemy.orm import Session

from perfbudget.budget_items import repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import NotFound, not_found
from perfbudget.principal import Actor


def item_not_found() -> NotFound:
    return not_found("Budget item", "预算项目")


def get_item(session: Session, actor: Actor, item_id: int) -> BudgetItem:
    """The item if the actor may see it; 404 otherwise, exactly as for a missing one."""
    item = repository.get(session, actor, item_id)
    if item is None:
        raise item_not_found()
    return item


def get_locked_item(session: Session, actor: Actor, item_id: int) -> BudgetItem:
    """``get_item`` with the row locked until the commit (PostgreSQL): for decisions and
    payments that must see a hold placed alongside, or precede it."""
    item = repository.get_for_update(session, actor, item_id)
    if item is None:
        raise item_not_found()
    return item
