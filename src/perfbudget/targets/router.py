from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.api.downloads import send
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.budget_items.schemas import ItemAction
from perfbudget.db import SessionDep
from perfbudget.integration import exports
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.targets import service
from perfbudget.targets.schemas import (
    FilingCheckReport,
    TargetAdjustment,
    TargetReview,
    TargetSetRead,
    TargetSetWrite,
)
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1/budget-items", tags=["targets"])
Reader = Annotated[Actor, Allowed(Permission.item_read)]
Preparer = Annotated[Actor, Allowed(Permission.item_write)]


@router.get(
    "/{item_id}/targets",
    operation_id="get_targets",
    responses={
        **ETAG_RESPONSES,
        200: {
            **ETAG_RESPONSES[200],
            "description": "The current version; before the first save, the draft prefilled "
            "from the year's common framework (`saved` false, no version and no ETag)",
        },
    },
)
def get_targets(
    session: SessionDep, actor: Reader, item_id: RowId, etag: ReadETag
) -> TargetSetRead:
    """The current version of the item's performance targets.

    Before the first save: the draft they start from, prefilled from the fiscal year's common
    indicator framework (`saved` false); the first PUT creates it."""
    return etag(service.read_current(session, actor, item_id))


@router.put("/{item_id}/targets", operation_id="save_targets")
def save_targets(
    session: SessionDep,
    actor: Preparer,
    item_id: RowId,
    body: TargetSetWrite,
    if_match: IfMatch,
    etag: WriteETag,
) -> TargetSetRead:
    """Write the draft targets: overall goal and indicator lines (replaces the lines)."""
    return etag(
        TargetSetRead.model_validate(
            service.write_targets(
                session,
                actor,
                item_id,
                body,
                expected_version(body.version, if_match),
            )
        )
    )


@router.get("/{item_id}/targets/checks", operation_id="check_targets")
def check_targets(session: SessionDep, actor: Reader, item_id: RowId) -> FilingCheckReport:
    """Run the filing checks on the current targets without submitting them."""
    return service.check_report(session, actor, item_id)


@router.get(
    "/{item_id}/targets/versions",
    operation_id="list_target_versions",
    response_model=Page[TargetSetRead],
    responses=exports.EXPORT_RESPONSES,
)
def list_target_versions(
    session: SessionDep,
    actor: Reader,
    item_id: RowId,
    query: Annotated[exports.TargetVersionsQuery, Query()],
) -> Page[TargetSetRead] | Response:
    """Every version of the targets, newest first (approved ones stay readable)."""
    if query.format != "json":
        return send(exports.target_versions(session, actor, item_id, query.format))
    return service.versions_page(session, actor, item_id, query)


@router.get(
    "/{item_id}/targets/versions/{number}",
    operation_id="get_target_version",
    responses=ETAG_RESPONSES,
)
def get_target_version(
    session: SessionDep, actor: Reader, item_id: RowId, number: RowId, etag: ReadETag
) -> TargetSetRead:
    """One version of the targets."""
    return etag(TargetSetRead.model_validate(service.get_version(session, actor, item_id, number)))


@router.post("/{item_id}/targets/submit", operation_id="submit_targets")
def submit_targets(
    session: SessionDep,
    actor: Preparer,
    item_id: RowId,
    body: ItemAction,
    if_match: IfMatch,
    etag: WriteETag,
) -> TargetSetRead:
    """Submit an adjustment, overall targets, or targets returned while the item is in review."""
    return etag(
        TargetSetRead.model_validate(
            service.submit_targets(
                session, actor, item_id, expected_version(body.version, if_match)
            )
        )
    )


@router.post("/{item_id}/targets/department-review", operation_id="review_targets_as_department")
def review_targets_as_department(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_department_review)],
    item_id: RowId,
    body: TargetReview,
    if_match: IfMatch,
    etag: WriteETag,
) -> TargetSetRead:
    """The parent department approves a unit's targets to finance, or returns them (S3)."""
    return etag(
        TargetSetRead.model_validate(
            service.department_review(
                session,
                actor,
                item_id,
                body,
                expected_version(body.version, if_match),
            )
        )
    )


@router.post("/{item_id}/targets/finance-review", operation_id="review_targets_as_finance")
def review_targets_as_finance(
    session: SessionDep,
    actor: Annotated[Actor, Allowed(Permission.item_finance_review)],
    item_id: RowId,
    body: TargetReview,
    if_match: IfMatch,
    etag: WriteETag,
) -> TargetSetRead:
    """Finance approves the targets (a precondition of funding, S2.2.2) or returns them."""
    return etag(
        TargetSetRead.model_validate(
            service.finance_review(
                session,
                actor,
                item_id,
                body,
                expected_version(body.version, if_match),
            )
        )
    )


@router.post("/{item_id}/targets/adjustments", operation_id="adjust_targets")
def adjust_targets(
    session: SessionDep,
    actor: Preparer,
    item_id: RowId,
    body: TargetAdjustment,
    if_match: IfMatch,
    etag: WriteETag,
) -> TargetSetRead:
    """Start an adjustment of approved targets: a new version, reviewed again."""
    return etag(
        TargetSetRead.model_validate(
            service.adjust(
                session,
                actor,
                item_id,
                body,
                expected_version(body.version, if_match),
            )
        )
    )
