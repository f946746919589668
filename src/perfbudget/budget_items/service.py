"""Budget items (S1.1, S1.3): what the routes and other stages call, from the module that
holds each part: preparation, the review chain (S3, ``review``), the funding decision and
its gates (``decisions``) and the reads (``reading``). Writes return the item they wrote;
a route answers with ``read_back``."""

from perfbudget.budget_items.decisions import decide, item_gates
from perfbudget.budget_items.preparation import EDITABLE, check_creation, create_item, update_item
from perfbudget.budget_items.reading import (
    history,
    list_items,
    list_items_data,
    read_back,
    read_item,
)
from perfbudget.budget_items.review import CHAIN, department_review, return_item, submit_item

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
    "read_back",
    "read_item",
    "return_item",
    "submit_item",
    "update_item",
]
