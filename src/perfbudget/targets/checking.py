"""Running the filing checks (``checks.run_checks``) on an item's current targets: the
facts they compare with loaded here, for the report on demand and for the refusal on
submit."""

from sqlalchemy.orm import Session

from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import RuleViolation
from perfbudget.evaluations import repository as evaluation_repository
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.i18n import counted
from perfbudget.indicators import service as indicator_service
from perfbudget.principal import Actor
from perfbudget.targets import repository
from perfbudget.targets.baseline import Baseline
from perfbudget.targets.checks import run_checks
from perfbudget.targets.findings import FilingCheck
from perfbudget.targets.models import TargetSet
from perfbudget.targets.schemas import FilingCheckRead, FilingCheckReport
from perfbudget.targets.versions import not_found


def _baseline(session: Session, item: BudgetItem, target_set: TargetSet) -> Baseline:
    """An adjustment against the version in force; a continued item against last year's
    approved lines and what its graded self-evaluation found (three statements at most)."""
    if target_set.number > 1:
        approved = repository.approved(session, item.id)
        return Baseline(approved.lines if approved else [], in_force=True)
    if item.continues_item_id is None:
        return Baseline()
    approved = repository.approved(session, item.continues_item_id)
    if approved is None:
        return Baseline()
    actuals = evaluation_repository.graded_actuals(session, item.continues_item_id)
    return Baseline(approved.lines, actuals)


def checks_for(session: Session, item: BudgetItem, target_set: TargetSet) -> list[FilingCheck]:
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    known = indicator_service.known_indicator_names(
        session, item.fiscal_year_id, item.organisation.path
    )
    return run_checks(
        item,
        target_set,
        parameters,
        baseline=_baseline(session, item, target_set),
        known_names=known,
    )


def check_report(session: Session, actor: Actor, item_id: int) -> FilingCheckReport:
    item = item_access.get_item(session, actor, item_id)
    target_set = repository.current(session, item_id)
    if target_set is None:
        raise not_found()
    checks = checks_for(session, item, target_set)
    return FilingCheckReport(
        item_id=item.id,
        target_set_number=target_set.number,
        passed=not any(check.severity == "blocking" for check in checks),
        checks=[_check_read(check) for check in checks],
    )


def require_passed(session: Session, item: BudgetItem, target_set: TargetSet) -> None:
    """A set is filed only once no blocking check fails."""
    blocking = [c for c in checks_for(session, item, target_set) if c.severity == "blocking"]
    if blocking:
        raise RuleViolation(
            "TARGET_CHECKS_FAILED",
            f"The targets fail {counted(len(blocking), 'filing check')}: {blocking[0].en}",
            f"绩效目标未通过 {len(blocking)} 项审核要求：{blocking[0].zh}",
            extra={"checks": [_check_read(c).model_dump() for c in blocking]},
        )


def _check_read(check: FilingCheck) -> FilingCheckRead:
    return FilingCheckRead(
        code=check.code,
        severity=check.severity,
        clause=check.clause,
        line=check.line,
        message=check.message,
        data=check.data,
    )
