"""Budget items (S1.1, S1.3): what the routes and other stages call. Each write answers with
the item as it now stands (its gates, holds and target summary), built by ``reading``; the
work is done by the module that holds each part: preparation, the review chain (S3,
``review``) and the funding decision with its gates (``decisions``). Code that goes on with
the item (the demo loader) calls those modules, which return the item itself."""

from sqlalchemy.orm import Session

from perfbudget.auth.principal import Actor
from perfbudget.budget_items import decisions, preparation, review
from perfbudget.budget_items.decisions import item_gates
from perfbudget.budget_items.preparation import EDITABLE, check_creation
from perfbudget.budget_items.reading import (
    history,
    list_items,
    list_items_data,
    read_back,
    read_item,
)
from perfbudget.budget_items.review import CHAIN
from perfbudget.budget_items.schemas import (
    BudgetDecisionRequest,
    BudgetItemCreate,
    BudgetItemRead,
    BudgetItemUpdate,
    ReturnRequest,
    ReviewDecision,
)

__all__ = [
    "CHAIN",
    "EDITABLE",
    "check_creation",
    "create_item",
    "decide",
    "department_review",
    "history",
    "item_gates",
    "list_items",
    "list_items_data",
    "read_item",
    "return_item",
    "submit_item",
    "update_item",
]


def create_item(session: Session, actor: Actor, data: BudgetItemCreate) -> BudgetItemRead:
    return read_back(session, preparation.create_item(session, actor, data))


def update_item(
    session: Session,
    actor: Actor,
    item_id: int,
    data: BudgetItemUpdate,
    expected_version: int | None,
) -> BudgetItemRead:
    item = preparation.update_item(session, actor, item_id, data, expected_version)
    return read_back(session, item)


def submit_item(
    session: Session, actor: Actor, item_id: int, expected_version: int | None
) -> BudgetItemRead:
    return read_back(session, review.submit_item(session, actor, item_id, expected_version))


def department_review(
    session: Session, actor: Actor, item_id: int, data: ReviewDecision, expected_version: int | None
) -> BudgetItemRead:
    item = review.department_review(session, actor, item_id, data, expected_version)
    return read_back(session, item)


def return_item(
    session: Session, actor: Actor, item_id: int, data: ReturnRequest, expected_version: int | None
) -> BudgetItemRead:
    return read_back(session, review.return_item(session, actor, item_id, data, expected_version))


def decide(
    session: Session,
    actor: Actor,
    item_id: int,
    data: BudgetDecisionRequest,
    expected_version: int | None,
) -> BudgetItemRead:
    """Fund or reject (S2.2.2: no approved targets, no budget)."""
    return read_back(session, decisions.decide(session, actor, item_id, data, expected_version))
