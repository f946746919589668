"""Budget items (S1.1, S1.3): what the routes and other stages call. Each write answers with
the item as it now stands (its gates, holds and target summary), built by ``reading``; the
work is done by the module that holds each part: preparation, the review chain (S3,
``review``) and the funding decision with its gates (``decisions``). Code that goes on with
the item (the demo loader) calls those modules, which return the item itself."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from sqlalchemy.orm import Session

from perfbudget.budget_items import decisions, preparation, review
from perfbudget.budget_items.decisions import item_gates
from perfbudget.budget_items.models import BudgetItem
from perfbudget.budget_items.preparation import EDITABLE, check_creation
from perfbudget.budget_items.reading import (
    history,
    list_items,
    list_items_data,
    read_back,
    read_item,
)
from perfbudget.budget_items.review import CHAIN
from perfbudget.budget_items.schemas import BudgetItemRead

P = ParamSpec("P")

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


def _answering(
    write: Callable[Concatenate[Session, P], BudgetItem],
) -> Callable[Concatenate[Session, P], BudgetItemRead]:
    """The write, answering with the item as it now stands."""

    @wraps(write)
    def answer(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> BudgetItemRead:
        return read_back(session, write(session, *args, **kwargs))

    return answer


create_item = _answering(preparation.create_item)
update_item = _answering(preparation.update_item)
submit_item = _answering(review.submit_item)
department_review = _answering(review.department_review)
return_item = _answering(review.return_item)
decide = _answering(decisions.decide)  # S2.2.2: no approved targets, no budget
