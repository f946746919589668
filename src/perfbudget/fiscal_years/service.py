"""Fiscal years and their rule parameters (DOMAIN §3): later stages read them from here."""

from sqlalchemy.orm import Session

from perfbudget.audit import service as audit
from perfbudget.errors import Conflict, RuleViolation, not_found
from perfbudget.fiscal_years import repository
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.fiscal_years.schemas import FiscalYearCreate, FiscalYearFilter, FiscalYearRead
from perfbudget.pagination import Page, page_of
from perfbudget.principal import Actor
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

TRANSITIONS = {
    FiscalYearStatus.preparing: frozenset({FiscalYearStatus.executing}),
    FiscalYearStatus.executing: frozenset({FiscalYearStatus.closed}),
    FiscalYearStatus.closed: frozenset[FiscalYearStatus](),
}


def get_fiscal_year(session: Session, year: int) -> FiscalYear:
    fiscal_year = repository.get_by_year(session, year)
    if fiscal_year is None:
        raise not_found("Fiscal year", "预算年度")
    return fiscal_year


def rule_parameters(fiscal_year: FiscalYear) -> RuleParameters:
    """What later stages call: the validated parameters in force for the year (an item's
    fiscal year is loaded with it, so this reads no row)."""
    return RuleParameters.model_validate(fiscal_year.parameters)


def list_fiscal_years(session: Session, filters: FiscalYearFilter) -> Page[FiscalYearRead]:
    rows, total = repository.list_page(session, filters, limit=filters.limit, offset=filters.offset)
    return page_of(FiscalYearRead, rows, total, filters)


def create_fiscal_year(session: Session, actor: Actor, data: FiscalYearCreate) -> FiscalYear:
    if repository.get_by_year(session, data.year) is not None:
        raise Conflict(
            "FISCAL_YEAR_EXISTS",
            f"The fiscal year {data.year} already exists.",
            f"{data.year} 预算年度已存在。",
        )
    parameters = data.parameters
    if parameters is None:
        previous = repository.latest_before(session, data.year)
        parameters = (
            RuleParameters.model_validate(previous.parameters) if previous else RuleParameters()
        )
    fiscal_year = FiscalYear(
        year=data.year,
        status=FiscalYearStatus.preparing,
        parameters=parameters.model_dump(mode="json"),
    )
    session.add(fiscal_year)
    session.flush()
    audit.record(
        session,
        actor,
        "fiscal_year.created",
        entity_type="fiscal_year",
        entity_id=fiscal_year.year,
        changes={"after": {"year": data.year, "parameters": fiscal_year.parameters}},
    )
    return fiscal_year


def update_parameters(
    session: Session,
    actor: Actor,
    year: int,
    parameters: RuleParameters,
    expected_version: int | None,
) -> FiscalYear:
    fiscal_year = get_fiscal_year(session, year)
    check_version(fiscal_year.version, expected_version)
    if fiscal_year.status is not FiscalYearStatus.preparing:
        raise RuleViolation(
            "PARAMETERS_FROZEN",
            "Rule parameters change only while the fiscal year is being prepared.",
            "规则参数仅可在预算编制阶段修改。",
        )
    before = fiscal_year.parameters
    fiscal_year.parameters = parameters.model_dump(mode="json")
    session.flush()
    audit.record_change(
        session,
        actor,
        "fiscal_year.parameters_changed",
        entity_type="fiscal_year",
        entity_id=fiscal_year.year,
        before=before,
        after=fiscal_year.parameters,
    )
    return fiscal_year


def change_status(
    session: Session,
    actor: Actor,
    year: int,
    target: FiscalYearStatus,
    expected_version: int | None,
) -> FiscalYear:
    fiscal_year = get_fiscal_year(session, year)
    check_version(fiscal_year.version, expected_version)
    check_transition(TRANSITIONS, "fiscal year", "预算年度", fiscal_year.status, target)
    before = fiscal_year.status
    fiscal_year.status = target
    session.flush()
    audit.record_change(
        session,
        actor,
        "fiscal_year.status_changed",
        entity_type="fiscal_year",
        entity_id=fiscal_year.year,
        before={"status": before.value},
        after={"status": target.value},
    )
    return fiscal_year
