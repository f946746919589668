"""Every kind of upload, by its name in the URL."""

from perfbudget.imports.kinds.base import (
    Column,
    ImportKind,
    Kind,
    Options,
    Requests,
    Row,
    RowErrors,
    normalise,
)
from perfbudget.imports.kinds.evaluation import SELF_EVALUATION_ACTUALS
from perfbudget.imports.kinds.execution import DISBURSEMENTS, MONITORING_REPORTS
from perfbudget.imports.kinds.preparation import BUDGET_ITEMS, TARGET_LINES
from perfbudget.imports.kinds.setup import INDICATOR_LIBRARY, ORGANISATIONS, USERS

KINDS: dict[ImportKind, Kind] = {
    kind.name: kind
    for kind in (
        DISBURSEMENTS,
        MONITORING_REPORTS,
        INDICATOR_LIBRARY,
        ORGANISATIONS,
        USERS,
        BUDGET_ITEMS,
        TARGET_LINES,
        SELF_EVALUATION_ACTUALS,
    )
}


__all__ = [
    "KINDS",
    "Column",
    "ImportKind",
    "Kind",
    "Options",
    "Requests",
    "Row",
    "RowErrors",
    "normalise",
]
