"""Performance targets (S2.2.2): what the routes and other stages call, from the module that
holds each part: filing them (``filing``), running the filing checks (``checking``), the
review chain (S3, ``review``) and the versions with their adjustments (``versions``). Writes
return the target set; a route answers with its ``TargetSetRead``."""

from perfbudget.targets.checking import check_report
from perfbudget.targets.filing import (
    CHAIN,
    EDITABLE,
    check_first_set_allowed,
    read_current,
    write_targets,
)
from perfbudget.targets.review import (
    department_review,
    finance_review,
    follow_item,
    following_set,
    request_authors,
    submit_targets,
    submit_with_item,
)
from perfbudget.targets.versions import (
    adjust,
    answered_lines,
    current_set,
    get_version,
    list_versions,
    versions_page,
)

__all__ = [
    "CHAIN",
    "EDITABLE",
    "adjust",
    "answered_lines",
    "check_first_set_allowed",
    "check_report",
    "current_set",
    "department_review",
    "finance_review",
    "follow_item",
    "following_set",
    "get_version",
    "list_versions",
    "read_current",
    "request_authors",
    "submit_targets",
    "submit_with_item",
    "versions_page",
    "write_targets",
]
