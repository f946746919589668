"""Rectification orders (整改, S2.3.2): finance requires measures by a deadline; the
department answers with the measures taken and evidence; finance verifies, and a verified
rectification lifts the suspension it came with."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.exports import Download
from perfbudget.monitoring import repository, schedule
from perfbudget.monitoring.models import MonitoringReport, Rectification, RectificationStatus
from perfbudget.monitoring.schemas import (
    RectificationFilter,
    RectificationRead,
    RectificationResponse,
    RectificationVerification,
)
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import Page
from perfbudget.payments import service as payment_service
from perfbudget.principal import Actor
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

ATTACHMENT_OWNER = "rectification"
TRANSITIONS = {
    RectificationStatus.open: frozenset({RectificationStatus.answered}),
    RectificationStatus.rejected: frozenset({RectificationStatus.answered}),
    RectificationStatus.answered: frozenset(
        {RectificationStatus.accepted, RectificationStatus.rejected}
    ),
    RectificationStatus.accepted: frozenset[RectificationStatus](),
}
ANSWERABLE = (RectificationStatus.open, RectificationStatus.rejected)


def _record(
    session: Session,
    actor: Actor,
    action: str,
    rectification: Rectification,
    before: dict[str, Any] | None,
) -> None:
    context = {"item_id": rectification.item_id, "report_id": rectification.report_id}
    audit.record_edit(session, actor, action, rectification, before, context=context)


# --- the order ---------------------------------------------------------------------------------


def check_order(measures: str | None, deadline: date | None, today: date) -> tuple[str, date]:
    """What an order needs: the measures required and a deadline not already past."""
    if not (measures or "").strip():
        raise Unprocessable(
            "MEASURES_REQUIRED",
            "State the rectification measures required (S2.3.2).",
            "须列明整改要求（S2.3.2）。",
        )
    if deadline is None:
        raise Unprocessable(
            "DEADLINE_REQUIRED",
            "Set the deadline for the rectification (S2.3.2).",
            "须规定整改期限（S2.3.2）。",
        )
    if deadline < today:
        raise Unprocessable(
            "DEADLINE_PASSED",
            f"The deadline {deadline.isoformat()} has already passed.",
            f"整改期限 {deadline.isoformat()} 早于今天。",
        )
    return (measures or "").strip(), deadline


def open_order(
    session: Session,
    actor: Actor,
    report: MonitoringReport,
    measures: str,
    deadline: date,
    *,
    hold_id: int | None,
) -> Rectification:
    rectification = Rectification(
        item_id=report.item_id,
        report_id=report.id,
        organisation_id=report.organisation_id,
        hold_id=hold_id,
        required_measures=measures,
        deadline=deadline,
        status=RectificationStatus.open,
        created_by_id=actor.user_id,
    )
    repository.add(session, rectification)
    _record(session, actor, "ordered", rectification, None)
    return rectification


# --- reading -------------------------------------------------------------------------------------


def _visible(session: Session, actor: Actor, rectification_id: int) -> Rectification:
    rectification = repository.get_rectification(session, actor, rectification_id)
    if rectification is None:
        raise not_found("Rectification", "整改通知")
    return rectification


def _reads(session: Session, rows: Sequence[Rectification], today: date) -> list[RectificationRead]:
    """Many rectifications with their items and evidence, in a fixed number of statements."""
    context = repository.items_and_months(session, rows)
    attachments = attachment_service.list_for_owners(
        session, ATTACHMENT_OWNER, [row.id for row in rows]
    )
    computed = {"item_name", "month", "organisation", "overdue", "attachments"}
    reads = []
    for row in rows:
        item, month = context[row.id]
        reads.append(
            RectificationRead.model_validate(
                {
                    **{
                        name: getattr(row, name)
                        for name in RectificationRead.model_fields
                        if name not in computed
                    },
                    "item_name": item.name,
                    "month": month,
                    "organisation": OrganisationRef.model_validate(item.organisation),
                    "overdue": row.deadline < today
                    and row.status is not RectificationStatus.accepted,
                    "attachments": [
                        AttachmentRead.model_validate(a) for a in attachments.get(row.id, [])
                    ],
                }
            )
        )
    return reads


def get_rectification(session: Session, actor: Actor, rectification_id: int) -> RectificationRead:
    return _reads(session, [_visible(session, actor, rectification_id)], schedule.local_today())[0]


def list_rectifications(
    session: Session, actor: Actor, filters: RectificationFilter
) -> Page[RectificationRead]:
    today = schedule.local_today()
    rows, total = repository.list_rectifications(session, actor, filters, today)
    return Page[RectificationRead](
        items=_reads(session, rows, today), total=total, limit=filters.limit, offset=filters.offset
    )


def download_attachment(
    session: Session, actor: Actor, rectification_id: int, attachment_id: int
) -> Download:
    rectification = _visible(session, actor, rectification_id)
    return attachment_service.open_for_download(
        session, ATTACHMENT_OWNER, rectification.id, attachment_id
    )


# --- the department's answer ------------------------------------------------------------


def _owned(
    session: Session, actor: Actor, rectification_id: int
) -> tuple[BudgetItem, Rectification]:
    rectification = _visible(session, actor, rectification_id)
    item = item_access.get_item(session, actor, rectification.item_id)
    rules.require_owner_side(actor, item)
    return item, rectification


def _check_answerable(rectification: Rectification) -> None:
    if rectification.status not in ANSWERABLE:
        raise RuleViolation(
            "RECTIFICATION_NOT_OPEN",
            "The rectification has been answered and awaits verification, or is verified.",
            "该整改事项已反馈待核实或已核实，不能再补充。",
            extra={"rectification_status": rectification.status.value},
        )


def add_attachment(
    session: Session, actor: Actor, rectification_id: int, upload: attachment_service.Source
) -> Attachment:
    """Evidence of the measures taken (PDF, Word, Excel), before the answer is sent."""
    _, rectification = _owned(session, actor, rectification_id)
    _check_answerable(rectification)
    return attachment_service.store(session, actor, ATTACHMENT_OWNER, rectification.id, upload)


def respond(
    session: Session,
    actor: Actor,
    rectification_id: int,
    data: RectificationResponse,
    expected_version: int | None,
) -> RectificationRead:
    _, rectification = _owned(session, actor, rectification_id)
    check_transition(
        TRANSITIONS, "rectification", "整改", rectification.status, RectificationStatus.answered
    )
    check_version(rectification.version, expected_version)
    before = audit.state(rectification)
    rectification.response_measures = data.measures_taken
    rectification.responded_at = clock.utcnow()
    rectification.status = RectificationStatus.answered
    _record(session, actor, "answered", rectification, before)
    return get_rectification(session, actor, rectification.id)


# --- finance's verification -------------------------------------------------------------


def verify(
    session: Session,
    actor: Actor,
    rectification_id: int,
    data: RectificationVerification,
    expected_version: int | None,
) -> RectificationRead:
    """Accepted lifts the suspension the order came with; rejected keeps it (S2.3.2)."""
    rectification = _visible(session, actor, rectification_id)
    target = (
        RectificationStatus.accepted
        if data.decision == "accepted"
        else RectificationStatus.rejected
    )
    check_transition(TRANSITIONS, "rectification", "整改", rectification.status, target)
    check_version(rectification.version, expected_version)
    note = (data.note or "").strip() or None
    if target is RectificationStatus.rejected and note is None:
        raise Unprocessable(
            "REASON_REQUIRED",
            "Say why the rectification is not accepted.",
            "整改未到位须说明理由。",
        )
    before = audit.state(rectification)
    rectification.status = target
    rectification.verification_note = note
    rectification.verified_by_id = actor.user_id
    rectification.verified_at = clock.utcnow()
    _record(session, actor, target.value, rectification, before)
    if target is RectificationStatus.accepted and rectification.hold_id is not None:
        payment_service.lift_suspension(
            session, actor, rectification.hold_id, note or "整改核实到位 (rectification verified)"
        )
    return get_rectification(session, actor, rectification.id)
