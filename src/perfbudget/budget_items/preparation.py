"""Preparing a budget request (S1.1): filing it in an open year, editing it while a draft
or returned."""

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.budget_items import repository, rules
from perfbudget.budget_items.access import get_item
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.budget_items.schemas import BudgetItemCreate, BudgetItemUpdate
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.principal import Actor
from perfbudget.versioning import check_version

EDITABLE = (ItemStatus.draft, ItemStatus.returned)


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
    audit.record_edit(session, actor, "created", item, None)
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
    before = audit.state(item)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "continues_item_id" in changes and changes["continues_item_id"] is not None:
        previous = repository.get(session, actor, changes["continues_item_id"])
        _check_continuation(previous, item.fiscal_year.year)
    for field, value in changes.items():
        if value is None and field not in ("code", "continues_item_id"):
            continue
        setattr(item, field, value)
    audit.record_edit(session, actor, "updated", item, before)
    return item
