"""Results queries: the ledger, per-organisation aggregates and the records a department
assessment is computed from, each in one statement whatever the number of rows."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from perfbudget.budget_items.models import BudgetItem, ItemKind, ItemStatus
from perfbudget.db import UTCDateTime
from perfbudget.evaluations.models import EvaluationStatus, Grade, SelfEvaluation
from perfbudget.monitoring.models import UNSUBMITTED, MonitoringReport, Rectification
from perfbudget.orgs import repository as org_repository
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.results.models import Circular, DepartmentAssessment, RectificationPlan
from perfbudget.targets.models import TargetSet

# A report still with its author is not submitted (S2.3.1).
TARGET_KINDS = (ItemKind.project, ItemKind.policy)
# S3 average grade: 优 4, 良 3, 中 2, 差 1
GRADE_POINTS = {Grade.excellent: 4, Grade.good: 3, Grade.fair: 2, Grade.poor: 1}


def _cents(column: Any) -> ColumnElement[int]:
    # integer cents: exact sums on SQLite too, where NUMERIC is stored as REAL
    return cast(func.round(column * 100), BigInteger)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, 1)))


def _by_organisation(rows: Sequence[Any]) -> dict[int, dict[str, int]]:
    return {
        row.organisation_id: {
            key: int(value or 0) for key, value in row._mapping.items() if key != "organisation_id"
        }
        for row in rows
    }


def organisations(session: Session) -> Sequence[Organisation]:
    return session.scalars(select(Organisation).order_by(Organisation.code)).all()


# --- the results ledger (S2.5) -------------------------------------------------------------


def _graded(fiscal_year_id: int) -> Select[Any]:
    return select(SelfEvaluation.id).where(
        SelfEvaluation.fiscal_year_id == fiscal_year_id,
        SelfEvaluation.status == EvaluationStatus.graded,
        SelfEvaluation.grade.is_not(None),
    )


def _filtered(
    query: Select[Any],
    organisation_id: int | None,
    grades: Iterable[Grade] | None,
    kind: ItemKind | None,
) -> Select[Any]:
    if organisation_id is not None:
        top = aliased(Organisation)
        top_path = select(top.path).where(top.id == organisation_id).scalar_subquery()
        query = query.where(
            SelfEvaluation.organisation_id.in_(
                select(Organisation.id).where(Organisation.path.startswith(top_path))
            )
        )
    if grades is not None:
        query = query.where(SelfEvaluation.grade.in_(tuple(grades)))
    if kind is not None:
        query = query.where(
            SelfEvaluation.item_id.in_(select(BudgetItem.id).where(BudgetItem.kind == kind))
        )
    return query


def _ledger_details(session: Session, evaluation_ids: list[int]) -> list[RowMapping]:
    has_plan = exists(
        select(RectificationPlan.id).where(RectificationPlan.item_id == SelfEvaluation.item_id)
    )
    rows = session.execute(
        select(
            SelfEvaluation.id.label("evaluation_id"),
            SelfEvaluation.final_score,
            SelfEvaluation.grade,
            SelfEvaluation.graded_at,
            BudgetItem.id.label("item_id"),
            BudgetItem.code.label("item_code"),
            BudgetItem.name.label("item_name"),
            BudgetItem.kind,
            BudgetItem.approved_amount,
            Organisation.id.label("organisation_id"),
            Organisation.code.label("organisation_code"),
            Organisation.name_zh.label("organisation_name_zh"),
            has_plan.label("plan_on_file"),
        )
        .join(BudgetItem, BudgetItem.id == SelfEvaluation.item_id)
        .join(Organisation, Organisation.id == SelfEvaluation.organisation_id)
        .where(SelfEvaluation.id.in_(evaluation_ids))
    ).mappings()
    by_id = {row["evaluation_id"]: row for row in rows}
    return [by_id[evaluation_id] for evaluation_id in evaluation_ids]


def _ledger_sorts() -> dict[str, Any]:
    item = aliased(BudgetItem)
    of_item = item.id == SelfEvaluation.item_id
    return {
        "evaluation_id": SelfEvaluation.id,
        "final_score": SelfEvaluation.final_score,
        "grade": declared_order(SelfEvaluation.grade, Grade),
        "graded_at": SelfEvaluation.graded_at,
        "organisation": org_repository.code_of(SelfEvaluation.organisation_id),
        "item": select(item.code).where(of_item).scalar_subquery(),
        "approved_amount": select(item.approved_amount).where(of_item).scalar_subquery(),
    }


def ledger_page(
    session: Session,
    fiscal_year_id: int,
    *,
    organisation_id: int | None,
    grades: Iterable[Grade] | None,
    kind: ItemKind | None,
    sort: str,
    limit: int | None,
    offset: int,
) -> tuple[list[RowMapping], int]:
    """Graded items, by default lowest score first (what needs acting on); count, ids, then
    details. ``limit`` None: every row (for the export)."""
    query = _filtered(_graded(fiscal_year_id), organisation_id, grades, kind)
    order = sort_order(sort, _ledger_sorts(), SelfEvaluation.id)
    if limit is None:
        ids = list(session.scalars(query.order_by(*order)))
        total = len(ids)
    else:
        ids, total = fetch_page(session, query, order, limit=limit, offset=offset)
    return (_ledger_details(session, ids) if ids else []), total


def results_by_organisation(session: Session, fiscal_year_id: int) -> dict[int, dict[str, int]]:
    """Per owning organisation: graded items, items per grade, score and approved sums."""
    query = (
        select(
            SelfEvaluation.organisation_id,
            func.count(SelfEvaluation.id).label("graded"),
            *(_count(SelfEvaluation.grade == grade).label(grade.value) for grade in Grade),
            _count(SelfEvaluation.final_score.is_not(None)).label("scored"),
            func.sum(_cents(SelfEvaluation.final_score)).label("score_cents"),
            func.sum(_cents(func.coalesce(BudgetItem.approved_amount, 0))).label("approved_cents"),
        )
        .join(BudgetItem, BudgetItem.id == SelfEvaluation.item_id)
        .where(SelfEvaluation.id.in_(_graded(fiscal_year_id)))
        .group_by(SelfEvaluation.organisation_id)
    )
    return _by_organisation(session.execute(query).all())


# --- rectification plans -----------------------------------------------------------------------


def plans_for_items(session: Session, item_ids: Iterable[int]) -> set[int]:
    """Which of these items have a rectification plan on file (one statement)."""
    ids = set(item_ids)
    if not ids:
        return set()
    return set(
        session.scalars(select(RectificationPlan.item_id).where(RectificationPlan.item_id.in_(ids)))
    )


def plan_for_item(session: Session, item_id: int) -> RectificationPlan | None:
    return session.scalars(
        select(RectificationPlan).where(RectificationPlan.item_id == item_id)
    ).first()


def graded_evaluation(session: Session, item_id: int) -> SelfEvaluation | None:
    return session.scalars(
        select(SelfEvaluation).where(
            SelfEvaluation.item_id == item_id, SelfEvaluation.status == EvaluationStatus.graded
        )
    ).first()


def add(session: Session, row: object) -> None:
    session.add(row)


# --- what a department assessment is computed from (S3) ----------------------------------------


def _funded(fiscal_year_id: int) -> ColumnElement[bool]:
    return and_(BudgetItem.fiscal_year_id == fiscal_year_id, BudgetItem.status == ItemStatus.funded)


def item_records(
    session: Session, fiscal_year_id: int, year_start: datetime
) -> dict[int, dict[str, int]]:
    """Per owning organisation, over the year's funded items: projects and policies, those
    whose original targets were submitted before ``year_start``, self-evaluations
    submitted, items graded and their grade points (优 4 … 差 1)."""
    on_time_targets = exists(
        select(TargetSet.id).where(
            TargetSet.item_id == BudgetItem.id,
            TargetSet.number == 1,
            TargetSet.submitted_at.is_not(None),
            TargetSet.submitted_at < year_start,
        )
    )
    needs_targets = BudgetItem.kind.in_(TARGET_KINDS)
    graded = and_(
        SelfEvaluation.status == EvaluationStatus.graded, SelfEvaluation.grade.is_not(None)
    )
    grade_points = case(
        *((SelfEvaluation.grade == grade, points) for grade, points in GRADE_POINTS.items()),
        else_=0,
    )
    query = (
        select(
            BudgetItem.organisation_id,
            func.count(BudgetItem.id).label("funded"),
            _count(needs_targets).label("targets_due"),
            _count(and_(needs_targets, on_time_targets)).label("targets_on_time"),
            _count(SelfEvaluation.submitted_at.is_not(None)).label("evaluations_submitted"),
            _count(graded).label("graded"),
            func.sum(case((graded, grade_points), else_=0)).label("grade_points"),
        )
        .outerjoin(SelfEvaluation, SelfEvaluation.item_id == BudgetItem.id)
        .where(_funded(fiscal_year_id))
        .group_by(BudgetItem.organisation_id)
    )
    return _by_organisation(session.execute(query).all())


def funded_moments(session: Session, fiscal_year_id: int) -> Sequence[Any]:
    """The year's funded items by owner, kind and moment of funding (``items`` of each), for
    the months they owe a report (``schedule.owes_report``)."""
    return session.execute(
        select(
            BudgetItem.organisation_id,
            BudgetItem.kind,
            BudgetItem.decided_at,
            func.count(BudgetItem.id).label("items"),
        )
        .where(_funded(fiscal_year_id))
        .group_by(BudgetItem.organisation_id, BudgetItem.kind, BudgetItem.decided_at)
    ).all()


def _owed_month(month_ends: Mapping[int, datetime]) -> ColumnElement[bool]:
    """A report of a month its item owes: the item was funded before the month ended, the
    set-based form of ``schedule.owes_report`` (``month_ends`` from
    ``schedule.funded_by_month_end``; reports exist only for months their kind reports)."""
    month_end = case(
        {month: literal(end, UTCDateTime()) for month, end in month_ends.items()},
        value=MonitoringReport.month,
    )
    return or_(BudgetItem.decided_at.is_(None), BudgetItem.decided_at < month_end)


def reports_on_time(
    session: Session, fiscal_year_id: int, month_ends: Mapping[int, datetime]
) -> dict[int, dict[str, int]]:
    """Per owning organisation: the funded items' reports owed and submitted by their due
    date."""
    query = (
        select(
            MonitoringReport.organisation_id,
            func.count(MonitoringReport.id).label("reports_on_time"),
        )
        .join(BudgetItem, BudgetItem.id == MonitoringReport.item_id)
        .where(
            _funded(fiscal_year_id),
            MonitoringReport.fiscal_year_id == fiscal_year_id,
            MonitoringReport.status.not_in(UNSUBMITTED),
            MonitoringReport.late.is_(False),
            _owed_month(month_ends),
        )
        .group_by(MonitoringReport.organisation_id)
    )
    return _by_organisation(session.execute(query).all())


def rectifications(session: Session, fiscal_year_id: int) -> Sequence[Any]:
    """Every rectification order on the year's items: owner, deadline, status, verification."""
    return session.execute(
        select(
            Rectification.organisation_id,
            Rectification.deadline,
            Rectification.status,
            Rectification.verified_at,
        )
        .join(BudgetItem, BudgetItem.id == Rectification.item_id)
        .where(BudgetItem.fiscal_year_id == fiscal_year_id)
    ).all()


def assessments(session: Session, fiscal_year_id: int) -> Sequence[DepartmentAssessment]:
    return session.scalars(
        select(DepartmentAssessment).where(DepartmentAssessment.fiscal_year_id == fiscal_year_id)
    ).all()


def assessment(session: Session, assessment_id: int) -> DepartmentAssessment | None:
    return session.get(DepartmentAssessment, assessment_id)


def circular(session: Session, fiscal_year_id: int) -> Circular | None:
    return session.scalars(
        select(Circular).where(Circular.fiscal_year_id == fiscal_year_id)
    ).first()
