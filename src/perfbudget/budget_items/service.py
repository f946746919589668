"""Budget items (S1.1, S1.3): preparation, the review chain (S3) and the funding decision."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy import Row
from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.assessments.models import AssessmentConclusion, AssessmentStatus
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import gates, repository, rules
from perfbudget.budget_items.access import get_item, get_locked_item
from perfbudget.budget_items.models import BudgetItem, ItemEvent, ItemStatus
from perfbudget.budget_items.schemas import (
    BudgetDecisionRequest,
    BudgetItemCreate,
    BudgetItemFilter,
    BudgetItemRead,
    BudgetItemUpdate,
    GateRead,
    GatesRead,
    ItemEventRead,
    ReturnRequest,
    ReviewDecision,
)
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import ListQuery, Page, page_of
from perfbudget.payments.models import HoldKind
from perfbudget.targets import service as target_service
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain

TRANSITIONS = {
    ItemStatus.draft: frozenset({ItemStatus.submitted}),
    ItemStatus.returned: frozenset({ItemStatus.submitted}),
    ItemStatus.submitted: frozenset({ItemStatus.department_review, ItemStatus.finance_review}),
    ItemStatus.department_review: frozenset({ItemStatus.finance_review, ItemStatus.returned}),
    ItemStatus.finance_review: frozenset(
        {ItemStatus.funded, ItemStatus.rejected, ItemStatus.returned}
    ),
    ItemStatus.funded: frozenset[ItemStatus](),
    ItemStatus.rejected: frozenset[ItemStatus](),
}
CHAIN = ReviewChain(
    "budget item", "预算项目", TRANSITIONS, ItemStatus.department_review, ItemStatus.finance_review
)
EDITABLE = (ItemStatus.draft, ItemStatus.returned)
AUDITED_FIELDS = (
    "code",
    "name",
    "kind",
    "budget_book",
    "fund_category",
    "new_major",
    "capital_construction",
    "mid_year_addition",
    "serves_public",
    "requested_amount",
    "description",
    "continues_item_id",
    "status",
    "approved_amount",
)


def _move(
    session: Session,
    actor: Actor,
    item: BudgetItem,
    target: ItemStatus,
    action: str,
    reason: str | None = None,
) -> None:
    CHAIN.check(item.status, target)
    before = item.status
    item.status = target
    repository.add_event(
        session,
        ItemEvent(
            item_id=item.id,
            from_status=before.value,
            to_status=target.value,
            action=action,
            reason=reason,
            user_id=actor.user_id,
            occurred_at=clock.utcnow(),
        ),
    )
    session.flush()
    audit.record(
        session,
        actor,
        f"budget_item.{action}",
        entity_type="budget_item",
        entity_id=item.id,
        changes={
            "before": {"status": before.value},
            "after": {"status": target.value},
            "reason": reason,
        },
    )


# --- preparation -------------------------------------------------------------------


def create_item(session: Session, actor: Actor, data: BudgetItemCreate) -> BudgetItem:
    fiscal_year = fiscal_year_repository.get_by_year(session, data.fiscal_year)
    continued = None
    if data.continues_item_id is not None:
        continued = repository.get(session, actor, data.continues_item_id)
    check_creation(
        data,
        fiscal_year,
        org_repository.get(session, actor, data.organisation_id),
        continued,
    )
    assert fiscal_year is not None
    item = BudgetItem(
        fiscal_year_id=fiscal_year.id,
        organisation_id=data.organisation_id,
        status=ItemStatus.draft,
        created_by_id=actor.user_id,
        **data.model_dump(exclude={"fiscal_year", "organisation_id"}),
    )
    session.add(item)
    session.flush()
    session.refresh(item)
    audit.record_change(
        session,
        actor,
        "budget_item.created",
        entity_type="budget_item",
        entity_id=item.id,
        before=None,
        after=audit.snapshot(item, AUDITED_FIELDS),
    )
    return item


def check_creation(
    data: BudgetItemCreate,
    fiscal_year: FiscalYear | None,
    organisation: Organisation | None,
    continued: BudgetItem | None,
) -> None:
    """Every rule of filing a request, over loaded facts: the year exists and takes this
    kind of request, the owner is visible and active, a continued item is an earlier one.
    ``organisation`` and ``continued`` as the actor sees them (None when it cannot)."""
    if fiscal_year is None:
        raise not_found("Fiscal year", "预算年度")
    if organisation is None or not organisation.is_active:
        raise not_found("Organisation", "组织机构")
    _check_year_open(fiscal_year.status, data.mid_year_addition)
    if data.continues_item_id is not None:
        _check_continuation(continued, fiscal_year.year)


def _check_year_open(status: FiscalYearStatus, mid_year_addition: bool) -> None:
    if mid_year_addition and status is not FiscalYearStatus.executing:
        raise RuleViolation(
            "MID_YEAR_ADDITION_NOT_OPEN",
            "Mid-year additions are filed while the budget is being executed (S2.2.2).",
            "年中追加仅可在预算执行期间申报（S2.2.2）。",
        )
    if not mid_year_addition and status is not FiscalYearStatus.preparing:
        raise RuleViolation(
            "FISCAL_YEAR_NOT_PREPARING",
            "Annual budget requests are filed while the year is being prepared; "
            "later requests are mid-year additions.",
            "年度预算申请须在预算编制期间申报；此后的申请按年中追加办理。",
        )


def _check_continuation(previous: BudgetItem | None, year: int) -> None:
    if previous is None or previous.fiscal_year.year >= year:
        raise Unprocessable(
            "CONTINUED_ITEM_INVALID",
            "The continued item must be a visible item of an earlier fiscal year.",
            "延续项目须为本单位以前年度的项目。",
        )


def update_item(
    session: Session,
    actor: Actor,
    item_id: int,
    data: BudgetItemUpdate,
    expected_version: int | None,
) -> BudgetItem:
    item = get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    check_version(item.version, expected_version)
    if item.status not in EDITABLE:
        raise RuleViolation(
            "ITEM_NOT_EDITABLE",
            "Only a draft or returned item can be edited.",
            "仅草稿或退回状态的预算项目可以修改。",
            extra={"item_status": item.status.value},
        )
    before = audit.snapshot(item, AUDITED_FIELDS)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "continues_item_id" in changes and changes["continues_item_id"] is not None:
        previous = repository.get(session, actor, changes["continues_item_id"])
        _check_continuation(previous, item.fiscal_year.year)
    for field, value in changes.items():
        if value is None and field not in ("code", "continues_item_id"):
            continue
        setattr(item, field, value)
    session.flush()
    audit.record_change(
        session,
        actor,
        "budget_item.updated",
        entity_type="budget_item",
        entity_id=item.id,
        before=before,
        after=audit.snapshot(item, AUDITED_FIELDS),
    )
    return item


# --- the review chain (S3) -----------------------------------------------------------


def submit_item(
    session: Session, actor: Actor, item_id: int, expected_version: int | None
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    check_version(item.version, expected_version)
    CHAIN.check(item.status, ItemStatus.submitted)
    target_service.submit_with_item(session, actor, item)
    item.submitted_at = clock.utcnow()
    item.return_reason = None
    _move(session, actor, item, ItemStatus.submitted, "submitted")
    _move(session, actor, item, CHAIN.route(rules.needs_department_review(item)), "routed")
    return item


def department_review(
    session: Session, actor: Actor, item_id: int, data: ReviewDecision, expected_version: int | None
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    _check_reviewer(session, actor, item)
    check_version(item.version, expected_version)
    if data.decision == "approve":
        _move(session, actor, item, ItemStatus.finance_review, "department_approved", data.reason)
    else:
        _return(session, actor, item, data.reason, "department_returned")
    target_service.follow_item(session, item, item.status, data.reason)
    return item


def return_item(
    session: Session, actor: Actor, item_id: int, data: ReturnRequest, expected_version: int | None
) -> BudgetItem:
    """Finance sends the request back for changes."""
    item = get_locked_item(session, actor, item_id)
    _check_reviewer(session, actor, item)
    check_version(item.version, expected_version)
    if item.status is not ItemStatus.finance_review:
        CHAIN.check(item.status, ItemStatus.returned)
    _return(session, actor, item, data.reason, "finance_returned")
    target_service.follow_item(session, item, item.status, data.reason)
    return item


def _check_reviewer(session: Session, actor: Actor, item: BudgetItem) -> None:
    """S3 over all that the review decides: the item and the targets that move with it."""
    following = target_service.following_set(session, item)
    CHAIN.check_reviewer(actor.user_id, *target_service.request_authors(item, following))


def _return(
    session: Session, actor: Actor, item: BudgetItem, reason: str | None, action: str
) -> None:
    if not (reason or "").strip():
        raise Unprocessable(
            "REASON_REQUIRED", "Give the reasons for returning it.", "退回须说明理由。"
        )
    item.return_reason = reason
    _move(session, actor, item, ItemStatus.returned, action, reason)


# --- the decision and its gates --------------------------------------------------------


class _Hold(NamedTuple):
    kind: HoldKind
    reason: str


class _Standing(NamedTuple):
    status: AssessmentStatus
    assessor_role: str
    final_conclusion: AssessmentConclusion | None


def _context(row: Row[Any]) -> gates.GateContext:
    """What the gates read, from a row of ``repository.rows``/``list_page``."""
    graded = row.predecessor_grade is not None
    return gates.GateContext(
        item=row,
        targets_approved=row.targets_in_force is not None,
        assessment=None
        if row.assessment_status is None
        else _Standing(
            row.assessment_status, row.assessment_assessor_role, row.assessment_final_conclusion
        ),
        active_holds=tuple(
            _Hold(kind, reason)
            for kind, reason in (
                (HoldKind.suspend, row.suspension_reason),
                (HoldKind.stop, row.stop_reason),
            )
            if reason is not None
        ),
        predecessor_grade=row.predecessor_grade,
        predecessor_approved=row.predecessor_approved if graded else None,
        rectification_plan_on_file=bool(row.predecessor_plan_on_file) if graded else False,
    )


def gate_context(session: Session, item: BudgetItem) -> gates.GateContext:
    return _context(repository.rows(session, [item.id])[0])


def item_gates(session: Session, actor: Actor, item_id: int) -> GatesRead:
    item = get_item(session, actor, item_id)
    results = gates.evaluate(gate_context(session, item))
    return GatesRead(
        item_id=item.id,
        passed=not gates.blocking_failures(results),
        gates=[_gate_read(gate) for gate in results],
    )


def _gate_read(gate: gates.Gate) -> GateRead:
    return GateRead(
        code=gate.code,
        clause=gate.clause,
        satisfied=gate.satisfied,
        blocking=gate.blocking,
        message=gate.message,
    )


def decide(
    session: Session,
    actor: Actor,
    item_id: int,
    data: BudgetDecisionRequest,
    expected_version: int | None,
) -> BudgetItem:
    item = get_locked_item(session, actor, item_id)
    CHAIN.check_reviewer(actor.user_id, item.created_by_id)
    check_version(item.version, expected_version)
    if data.decision == "reject":
        if not (data.reason or "").strip():
            raise Unprocessable(
                "REASON_REQUIRED", "Give the reasons for the rejection.", "不予安排须说明理由。"
            )
        CHAIN.check(item.status, ItemStatus.rejected)
        item.approved_amount = None
    else:
        CHAIN.check(item.status, ItemStatus.funded)
        _check_amount(item, data)
        context = gate_context(session, item)
        failures = gates.blocking_failures(gates.evaluate(context, data.approved_amount))
        if failures:
            first = failures[0]
            raise RuleViolation(
                first.code,
                first.en,
                first.zh,
                extra={
                    "clause": first.clause,
                    "gates": [_gate_read(gate).model_dump() for gate in failures],
                },
            )
        item.approved_amount = data.approved_amount
    item.decision_reason = data.reason
    item.decided_by_id = actor.user_id
    item.decided_at = clock.utcnow()
    _move(
        session,
        actor,
        item,
        ItemStatus.funded if data.decision == "fund" else ItemStatus.rejected,
        "funded" if data.decision == "fund" else "rejected",
        data.reason,
    )
    events.emit(
        session,
        EventType.budget_decided,
        {
            "item_id": item.id,
            "code": item.code,
            "name": item.name,
            "organisation_code": item.organisation.code,
            "fiscal_year": item.fiscal_year.year,
            "decision": data.decision,
            "approved_amount": None if item.approved_amount is None else str(item.approved_amount),
        },
    )
    return item


def _check_amount(item: BudgetItem, data: BudgetDecisionRequest) -> None:
    if data.approved_amount is None:
        raise Unprocessable(
            "APPROVED_AMOUNT_REQUIRED", "State the approved amount.", "须填写批复金额。"
        )
    if data.approved_amount > item.requested_amount and not (data.reason or "").strip():
        raise Unprocessable(
            "REASON_REQUIRED",
            "Approving more than was requested needs a reason.",
            "批复金额超过申请金额须说明理由。",
        )


# --- reading ---------------------------------------------------------------------------


_FIELDS = tuple(BudgetItemRead.model_fields)  # in the order the model writes them
_MONEY = ("requested_amount", "approved_amount")


def _yuan(value: Decimal | None) -> str | None:
    """Money as the contract writes it (``schemas.Money``): two decimals."""
    return None if value is None else f"{value:.2f}"


def _targets(row: Row[Any]) -> dict[str, Any] | None:
    """``TargetSummary`` as plain data: the current version of the item's targets."""
    if row.targets_number is None:
        return None
    return {
        "number": row.targets_number,
        "status": row.targets_status,
        "line_count": row.targets_lines,
        "total_weight": _yuan(Decimal(row.targets_weight_hundredths).scaleb(-2)),
        "approved_number": row.targets_in_force,
    }


def _representations(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """``BudgetItemRead`` as plain data, from rows of ``repository.rows``/``list_page``: the
    model's fields and no others, in values its JSON would carry (money as text), so that a
    page is validated once (``read_items``) or not at all (``list_items``: written as is by
    ``answers.json_answer``, tested equal to the model's JSON)."""
    representations = []
    for row in rows:
        context = _context(row)
        results = gates.evaluate(context)
        fields = row._mapping
        computed: dict[str, Any] = {
            "organisation": {
                "id": row.organisation_id,
                "code": row.organisation_code,
                "name_zh": row.organisation_name_zh,
            },
            "targets": _targets(row),
            "gates": {
                "passed": not gates.blocking_failures(results),
                "blocking": [g.code for g in results if g.blocking and not g.satisfied],
                "warnings": [g.code for g in results if not g.blocking and not g.satisfied],
            },
            "predecessor_grade": context.predecessor_grade,
        }
        # every field in the model's order: the JSON is written as the dict stands
        data: dict[str, Any] = {name: computed.get(name, fields.get(name)) for name in _FIELDS}
        for name in _MONEY:
            data[name] = _yuan(data[name])
        representations.append(data)
    return representations


_ITEMS = TypeAdapter(list[BudgetItemRead])


def read_items(session: Session, items: Sequence[BudgetItem]) -> list[BudgetItemRead]:
    """The representation of items the caller already holds (as written, after a flush)."""
    rows = repository.rows(session, [item.id for item in items])
    return _ITEMS.validate_python(_representations(rows))


def read_item(session: Session, actor: Actor, item_id: int) -> BudgetItemRead:
    return read_items(session, [get_item(session, actor, item_id)])[0]


def list_items_data(session: Session, actor: Actor, filters: BudgetItemFilter) -> dict[str, Any]:
    """A page of items: the data of a ``Page[BudgetItemRead]``, as plain values."""
    rows, total = repository.list_page(session, actor, filters)
    return {
        "items": _representations(rows),
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
    }


def list_items(session: Session, actor: Actor, filters: BudgetItemFilter) -> Page[BudgetItemRead]:
    return Page[BudgetItemRead].model_validate(list_items_data(session, actor, filters))


def history(session: Session, actor: Actor, item_id: int, page: ListQuery) -> Page[ItemEventRead]:
    get_item(session, actor, item_id)
    rows, total = repository.events_page(session, item_id, limit=page.limit, offset=page.offset)
    return page_of(ItemEventRead, rows, total, page)
