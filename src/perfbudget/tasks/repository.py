"""To-do inbox queries of what an owner files (facts for tasks.rules) and of what finance
may still publish; the reviewers' queues are in tasks.queues. Every statement count here is
independent of the data's size."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased, selectinload

from perfbudget.assessments.models import Assessment
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.budget_items.repository import visible
from perfbudget.disclosure.models import Publication, PublicationKind
from perfbudget.evaluations.models import EDITABLE as EVALUATION_EDITABLE
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.fiscal_years.models import FiscalYear, FiscalYearStatus
from perfbudget.monitoring.models import MonitoringReport, ReportStatus
from perfbudget.orgs.models import Organisation, OrganisationKind
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.principal import Actor, Role
from perfbudget.results.models import AssessmentStatus as CircularStatus
from perfbudget.results.models import Circular
from perfbudget.targets.models import TargetSet, TargetSetStatus
from perfbudget.tasks.rules import Disclosable, OwnedItem, Stage

# --- shared with tasks.queues ---------------------------------------------------------------


def typed_text(value: str) -> ColumnElement[str]:
    # typed, so that PostgreSQL unites the branches' constants as text
    return cast(literal(value), String)


NO_NUMBER = cast(null(), Integer)


# --- what an owner files --------------------------------------------------------------------


def _newest_stages() -> Any:
    """Each item (but rejected ones) with its newest targets, its assessment and its
    self-evaluation, ids and statuses."""
    newest = aliased(TargetSet, name="newest")
    current_number = (
        select(func.max(newest.number)).where(newest.item_id == BudgetItem.id).scalar_subquery()
    )
    return (  # visible() takes a select of one entity or column, typed
        select(
            BudgetItem,
            TargetSet.id,
            TargetSet.status,
            Assessment.id,
            Assessment.status,
            SelfEvaluation.id,
            SelfEvaluation.status,
        )
        .select_from(BudgetItem)
        .outerjoin(
            TargetSet,
            and_(TargetSet.item_id == BudgetItem.id, TargetSet.number == current_number),
        )
        .outerjoin(Assessment, Assessment.item_id == BudgetItem.id)
        .outerjoin(SelfEvaluation, SelfEvaluation.item_id == BudgetItem.id)
        .where(BudgetItem.status != ItemStatus.rejected)
        .order_by(BudgetItem.id)
        # the few years once, not each item's (their parameters are a JSON document)
        .options(selectinload(BudgetItem.fiscal_year))
    )


def _still_owed(query: Any, actor: Actor) -> Any:
    """``query`` narrowed to what this user's role files, a closed year's items only while
    their self-evaluation is still with the owner."""
    year_status = (
        select(FiscalYear.status).where(FiscalYear.id == BudgetItem.fiscal_year_id)
    ).scalar_subquery()
    if actor.role is Role.investment:
        # only assessments are the authority's to file: new major requests not yet closed
        query = query.where(BudgetItem.new_major.is_(True), year_status != FiscalYearStatus.closed)
    elif actor.role is not Role.department:
        query = query.where(false())
    return query.where(
        or_(
            year_status != FiscalYearStatus.closed,
            SelfEvaluation.id.is_(None),
            SelfEvaluation.status.in_(EVALUATION_EDITABLE),
        )
    )


def owned_items(session: Session, actor: Actor) -> list[OwnedItem]:
    """The items whose filing this user owns, with where their newest targets, assessment and
    self-evaluation stand: a department user's subtree (budget_items.repository.visible), the
    investment authority's capital construction. A closed year's items only while their
    self-evaluation is still with the owner. Two statements: the items, their years."""
    query = _still_owed(_newest_stages(), actor)
    return [
        OwnedItem(
            item=item,
            targets=None if targets_id is None else Stage(targets_id, targets_status),
            assessment=None if assessment_id is None else Stage(assessment_id, assessment_status),
            evaluation=None if evaluation_id is None else Stage(evaluation_id, evaluation_status),
        )
        for (
            item,
            targets_id,
            targets_status,
            assessment_id,
            assessment_status,
            evaluation_id,
            evaluation_status,
        ) in session.execute(visible(query, actor))
    ]


def owned_reports(session: Session, actor: Actor) -> dict[int, dict[int, Stage[ReportStatus]]]:
    """item id → month → report, for the funded items of executing years this department
    user's subtree owns. One statement."""
    items = visible(
        select(BudgetItem.id)
        .join(FiscalYear, FiscalYear.id == BudgetItem.fiscal_year_id)
        .where(
            BudgetItem.status == ItemStatus.funded,
            FiscalYear.status == FiscalYearStatus.executing,
        ),
        actor,
    )
    rows = session.execute(
        select(
            MonitoringReport.item_id,
            MonitoringReport.month,
            MonitoringReport.id,
            MonitoringReport.status,
        ).where(MonitoringReport.item_id.in_(items))
    )
    reports: dict[int, dict[int, Stage[ReportStatus]]] = {}
    for item_id, month, report_id, status in rows:
        reports.setdefault(item_id, {})[month] = Stage(report_id, status)
    return reports


# --- finance's disclosures ------------------------------------------------------------------


_DEPARTMENT = aliased(Organisation, name="department")
_UNIT = aliased(Organisation, name="unit")  # the department itself or one under it
_OWNED = and_(BudgetItem.fiscal_year_id == FiscalYear.id, BudgetItem.organisation_id == _UNIT.id)


def _departments_with(
    kind: PublicationKind, evidence: Select[Any], years: Sequence[FiscalYearStatus]
) -> Any:
    """(year, department) of the years in ``years`` whose department holds ``evidence``."""
    return (
        select(
            FiscalYear.id.label("fiscal_year_id"),
            typed_text(kind.value).label("kind"),
            _DEPARTMENT.id.label("department_id"),
            _DEPARTMENT.code.label("department_code"),
            _DEPARTMENT.name_zh.label("department_name_zh"),
            cast(null(), String).label("title"),
        )
        .select_from(FiscalYear)
        .join(_DEPARTMENT, true())
        .join(_UNIT, _UNIT.path.startswith(_DEPARTMENT.path))
        .where(
            FiscalYear.status.in_(years),
            # published per department, with its budget (disclosure.publishing._department)
            _DEPARTMENT.parent_id.is_(None),
            _DEPARTMENT.kind == OrganisationKind.department,
            exists(evidence),
        )
        .distinct()
    )


def _targets_in_force(years: Sequence[FiscalYearStatus]) -> Any:
    return _departments_with(
        PublicationKind.targets,
        select(BudgetItem.id)
        .join(TargetSet, TargetSet.item_id == BudgetItem.id)
        .where(
            _OWNED,
            BudgetItem.status == ItemStatus.funded,
            BudgetItem.approved_amount.is_not(None),
            TargetSet.status == TargetSetStatus.approved,
        ),
        years,
    )


def _graded_results(years: Sequence[FiscalYearStatus]) -> Any:
    return _departments_with(
        PublicationKind.results,
        select(BudgetItem.id)
        .join(SelfEvaluation, SelfEvaluation.item_id == BudgetItem.id)
        .where(
            _OWNED,
            SelfEvaluation.status == EvaluationStatus.graded,
            SelfEvaluation.final_score.is_not(None),
            SelfEvaluation.grade.is_not(None),
        ),
        years,
    )


def _published_circulars(years: Sequence[FiscalYearStatus]) -> Any:
    return (
        select(
            Circular.fiscal_year_id,
            typed_text(PublicationKind.circular.value),
            NO_NUMBER,
            cast(null(), String),
            cast(null(), String),
            Circular.title,
        )
        .join(FiscalYear, FiscalYear.id == Circular.fiscal_year_id)
        .where(Circular.status == CircularStatus.published, FiscalYear.status.in_(years))
    )


def _disclosable(row: Any) -> Disclosable:
    return Disclosable(
        fiscal_year_id=row.fiscal_year_id,
        year=row.year,
        year_status=row.status,
        kind=PublicationKind(row.kind),
        department=None
        if row.department_id is None
        else OrganisationRef(
            id=row.department_id, code=row.department_code, name_zh=row.department_name_zh
        ),
        circular_title=row.title,
    )


def disclosable(
    session: Session, published_from: Mapping[PublicationKind, Sequence[FiscalYearStatus]]
) -> list[Disclosable]:
    """Per year (of a status in ``published_from``) and department: whether its subtree
    holds funded items with targets in force, or graded self-evaluations; and each year's
    published circular. Each year and organisation is an EXISTS that stops at its first item
    (the owners' index, then the item's targets or evaluation): one statement, whatever the
    items' number."""
    found = union_all(
        _targets_in_force(published_from[PublicationKind.targets]),
        _graded_results(published_from[PublicationKind.results]),
        _published_circulars(published_from[PublicationKind.circular]),
    ).subquery("disclosable")
    rows = session.execute(
        select(found, FiscalYear.year, FiscalYear.status).join(
            FiscalYear, FiscalYear.id == found.c.fiscal_year_id
        )
    )
    return [_disclosable(row) for row in rows]


def published(session: Session) -> set[tuple[int, PublicationKind, int | None]]:
    """(year, kind, department) of every current publication. One statement."""
    rows = session.execute(
        select(Publication.fiscal_year_id, Publication.kind, Publication.organisation_id).where(
            Publication.withdrawn_at.is_(None)
        )
    )
    return {(year, kind, organisation) for year, kind, organisation in rows}
