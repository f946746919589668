"""Budget item queries. Every read goes through ``visible``: an object outside the actor's
view is indistinguishable from a missing one."""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Row, Select, cast, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from perfbudget.assessments.models import Assessment, AssessmentReview
from perfbudget.budget_items.models import BudgetItem, ItemEvent, ItemStatus
from perfbudget.budget_items.schemas import BudgetItemFilter
from perfbudget.db import insert_many
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.payments.models import HoldKind, PaymentHold
from perfbudget.principal import Actor, Role
from perfbudget.results.models import RectificationPlan
from perfbudget.targets.models import TargetLine, TargetSet, TargetSetStatus

Query = TypeVar("Query", bound=Select[Any])


def visible(query: Query, actor: Actor) -> Query:
    """Department users: their subtree; experts and third parties: their assignments;
    the investment authority: capital construction; finance and oversight: everything."""
    if actor.scope_path is not None:
        subtree = select(Organisation.id).where(
            Organisation.path.startswith(actor.scope_path, autoescape=True)
        )
        return query.where(BudgetItem.organisation_id.in_(subtree))
    if actor.role in (Role.expert, Role.third_party):
        assigned = exists(
            select(AssessmentReview.id)
            .join(Assessment, Assessment.id == AssessmentReview.assessment_id)
            .where(
                Assessment.item_id == BudgetItem.id, AssessmentReview.reviewer_id == actor.user_id
            )
        )
        # a third party commissioned to evaluate an item sees that item and its history
        commissioned = exists(
            select(SelfEvaluation.id).where(
                SelfEvaluation.item_id == BudgetItem.id,
                SelfEvaluation.third_party_id == actor.user_id,
            )
        )
        return query.where(or_(assigned, commissioned))
    if actor.role is Role.investment:
        return query.where(BudgetItem.capital_construction.is_(True))
    if sees_every_item(actor):
        return query
    return query.where(BudgetItem.id.is_(None))  # deny by default


def sees_every_item(actor: Actor) -> bool:
    """Finance and oversight: ``visible`` filters nothing for them, so a query that joins
    the items only to filter them (a read model's) can leave the join out."""
    return actor.scope_path is None and actor.role in (Role.finance, Role.oversight)


def get(session: Session, actor: Actor, item_id: int) -> BudgetItem | None:
    return session.scalars(
        visible(select(BudgetItem), actor).where(BudgetItem.id == item_id)
    ).first()


def get_for_update(session: Session, actor: Actor, item_id: int) -> BudgetItem | None:
    """The row locked for the rest of the transaction (PostgreSQL), for decisions and payments."""
    query = visible(select(BudgetItem), actor).where(BudgetItem.id == item_id)
    return session.scalars(
        query.with_for_update(of=BudgetItem).execution_options(populate_existing=True)
    ).first()


def visible_by_id(
    session: Session, actor: Actor, item_ids: Sequence[int], *, lock: bool = False
) -> dict[int, BudgetItem]:
    """The items among ``item_ids`` the actor may see, in one statement; with ``lock`` their
    rows stay locked until the commit (PostgreSQL; in id order, so that two batches over the
    same items cannot deadlock)."""
    if not item_ids:
        return {}
    query = visible(select(BudgetItem), actor).where(BudgetItem.id.in_(item_ids))
    if lock:
        query = query.order_by(BudgetItem.id).with_for_update(of=BudgetItem)
        query = query.execution_options(populate_existing=True)
    return {item.id: item for item in session.scalars(query)}


def get_unscoped(session: Session, item_id: int) -> BudgetItem | None:
    return session.get(BudgetItem, item_id)


def _filtered(query: Query, actor: Actor, filters: BudgetItemFilter) -> Query:
    query = visible(query, actor)
    if filters.fiscal_year is not None:
        year_id = (
            select(FiscalYear.id).where(FiscalYear.year == filters.fiscal_year).scalar_subquery()
        )
        first = aliased(BudgetItem, name="first_of_year")
        query = query.where(
            BudgetItem.fiscal_year_id == year_id,
            # and from the year's first id (ix_budget_items_year_id): a page in id order
            # starts there, where both databases walked every older year's items first
            BudgetItem.id
            >= select(func.min(first.id)).where(first.fiscal_year_id == year_id).scalar_subquery(),
        )
    if filters.organisation_id is not None:
        query = query.where(BudgetItem.organisation_id == filters.organisation_id)
    for column, value in (
        (BudgetItem.kind, filters.kind),
        (BudgetItem.status, filters.status),
        (BudgetItem.budget_book, filters.budget_book),
        (BudgetItem.fund_category, filters.fund_category),
        (BudgetItem.new_major, filters.new_major),
        (BudgetItem.capital_construction, filters.capital_construction),
        (BudgetItem.mid_year_addition, filters.mid_year_addition),
    ):
        if value is not None:
            query = query.where(column == value)
    if search := filters.search:
        query = query.where(
            or_(
                BudgetItem.name.contains(search, autoescape=True),
                BudgetItem.code.contains(search, autoescape=True),
            )
        )
    return query


# An item as its representation and its gates read it, in one statement for a whole page:
# its own columns, its fiscal year's number and its organisation's reference; the current
# target set's figures (the newest version, its line count and total weight, and the number
# of the version in force); where its assessment stands; the reasons of active payment holds;
# and the graded result of the item it continues (S2.5). Plain rows: a page builds no ORM
# objects and does not decode the fiscal year's parameters a hundred times.
# Correlated sub-queries rather than outer joins: each is an index lookup done for the
# page's rows only, and PostgreSQL plans them in a fraction of the time a seven-way outer
# join takes.
_PREDECESSOR = aliased(BudgetItem, name="predecessor")
_NEWEST = aliased(TargetSet, name="newest")


def _scalar(query: Select[Any]) -> Any:
    return query.limit(1).correlate(BudgetItem).scalar_subquery()


def _held(kind: HoldKind) -> Any:
    return _scalar(
        select(PaymentHold.reason)
        .where(
            PaymentHold.item_id == BudgetItem.id,
            PaymentHold.lifted_at.is_(None),
            PaymentHold.kind == kind,
        )
        .order_by(PaymentHold.id)
    )


def _target_columns() -> list[Any]:
    """The newest targets' number, status, lines and weight; the number in force."""
    current = _scalar(
        select(_NEWEST.id).where(_NEWEST.item_id == BudgetItem.id).order_by(_NEWEST.number.desc())
    )
    in_current = TargetLine.target_set_id == current
    # weights summed in hundredths: exact on SQLite, which keeps NUMERIC as REAL
    hundredths = cast(func.round(TargetLine.weight * 100), BigInteger)
    return [
        _scalar(select(TargetSet.number).where(TargetSet.id == current)).label("targets_number"),
        _scalar(select(TargetSet.status).where(TargetSet.id == current)).label("targets_status"),
        select(func.count(TargetLine.id))
        .where(in_current)
        .scalar_subquery()
        .label("targets_lines"),
        select(func.coalesce(func.sum(hundredths), 0))
        .where(in_current)
        .scalar_subquery()
        .label("targets_weight_hundredths"),
        select(func.max(TargetSet.number))
        .where(TargetSet.item_id == BudgetItem.id, TargetSet.status == TargetSetStatus.approved)
        .scalar_subquery()
        .label("targets_in_force"),
    ]


def _assessment_columns() -> list[Any]:
    assessment = select(Assessment).where(Assessment.item_id == BudgetItem.id)
    return [
        _scalar(assessment.with_only_columns(Assessment.status)).label("assessment_status"),
        _scalar(assessment.with_only_columns(Assessment.assessor_role)).label(
            "assessment_assessor_role"
        ),
        _scalar(assessment.with_only_columns(Assessment.final_conclusion)).label(
            "assessment_final_conclusion"
        ),
    ]


def _predecessor_columns() -> list[Any]:
    """The item this one continues: its grade, its approved amount, a rectification plan."""
    return [
        _scalar(
            select(SelfEvaluation.grade).where(
                SelfEvaluation.item_id == BudgetItem.continues_item_id,
                SelfEvaluation.status == EvaluationStatus.graded,
            )
        ).label("predecessor_grade"),
        _scalar(
            select(_PREDECESSOR.approved_amount).where(
                _PREDECESSOR.id == BudgetItem.continues_item_id
            )
        ).label("predecessor_approved"),
        exists(
            select(RectificationPlan.id).where(
                RectificationPlan.item_id == BudgetItem.continues_item_id
            )
        ).label("predecessor_plan_on_file"),
    ]


@cache
def _readable() -> Select[Any]:
    """Built once: a page costs no statement construction."""
    return (
        select(
            *(
                column
                for column in BudgetItem.__table__.columns
                if column.key not in ("fiscal_year_id", "decided_by_id", "created_by_id")
            ),
            FiscalYear.year.label("fiscal_year"),
            Organisation.code.label("organisation_code"),
            Organisation.name_zh.label("organisation_name_zh"),
            *_target_columns(),
            *_assessment_columns(),
            _held(HoldKind.suspend).label("suspension_reason"),
            _held(HoldKind.stop).label("stop_reason"),
            *_predecessor_columns(),
        )
        .join(FiscalYear, FiscalYear.id == BudgetItem.fiscal_year_id)
        .join(Organisation, Organisation.id == BudgetItem.organisation_id)
    )


_SORTS = {
    "id": BudgetItem.id,
    "code": BudgetItem.code,
    "name": BudgetItem.name,
    "requested_amount": BudgetItem.requested_amount,
    "approved_amount": BudgetItem.approved_amount,
    "organisation": Organisation.code,
    "fiscal_year": FiscalYear.year,
    "kind": BudgetItem.kind,
    "status": declared_order(BudgetItem.status, ItemStatus),
    "submitted_at": BudgetItem.submitted_at,
    "decided_at": BudgetItem.decided_at,
    "created_at": BudgetItem.created_at,
    "updated_at": BudgetItem.updated_at,
}


def list_page(
    session: Session, actor: Actor, filters: BudgetItemFilter
) -> tuple[list[Row[Any]], int]:
    """A page of items as rows (see ``rows``) and the total, in one statement: the total
    rides along as an uncorrelated sub-query, computed once (a second statement counts only
    for a page past the end). Executed on the connection: plain rows, no ORM loading."""
    total = (
        select(func.count())
        .select_from(_filtered(select(BudgetItem.id), actor, filters).subquery())
        .scalar_subquery()
        .label("total")
    )
    order = sort_order(filters.sort, _SORTS, BudgetItem.id)
    page = (
        session.connection()
        .execute(
            _filtered(_readable(), actor, filters)
            .add_columns(total)
            .order_by(*order)
            .limit(filters.limit)
            .offset(filters.offset)
        )
        .all()
    )
    if page:
        return list(page), int(page[0].total)
    return [], count(session, actor, filters)


def count(session: Session, actor: Actor, filters: BudgetItemFilter) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(
                _filtered(select(BudgetItem.id), actor, filters).subquery()
            )
        )
        or 0
    )


def rows(session: Session, item_ids: Sequence[int]) -> list[Row[Any]]:
    """The items as rows, in the order given; the caller has already checked visibility."""
    by_id = {row.id: row for row in session.execute(_readable().where(BudgetItem.id.in_(item_ids)))}
    return [by_id[item_id] for item_id in item_ids]


def add_event(session: Session, event: ItemEvent) -> None:
    session.add(event)


def insert_items(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """New items by one bulk statement; their ids in the order of ``rows``."""
    return insert_many(session, BudgetItem, rows)


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_many(session, ItemEvent, rows)


def events_page(
    session: Session, item_id: int, *, limit: int, offset: int
) -> tuple[list[ItemEvent], int]:
    """The item's transitions, oldest first."""
    query = select(ItemEvent).where(ItemEvent.item_id == item_id)
    return fetch_page(session, query, [ItemEvent.id], limit=limit, offset=offset)
