"""Budget item queries. Every read goes through ``visible``: an object outside the actor's
view is indistinguishable from a missing one."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, aliased

from perfbudget.assessments.models import Assessment, AssessmentReview
from perfbudget.auth.principal import Actor
from perfbudget.budget_items.models import BudgetItem, ItemEvent
from perfbudget.budget_items.schemas import BudgetItemFilter
from perfbudget.evaluations.models import EvaluationStatus, Grade, SelfEvaluation
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation
from perfbudget.pagination import fetch_page
from perfbudget.results.models import RectificationPlan
from perfbudget.users.models import Role

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
    if actor.role in (Role.finance, Role.oversight):
        return query
    return query.where(BudgetItem.id.is_(None))  # deny by default


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


def get_unscoped(session: Session, item_id: int) -> BudgetItem | None:
    return session.get(BudgetItem, item_id)


def list_page(
    session: Session, actor: Actor, filters: BudgetItemFilter
) -> tuple[list[BudgetItem], int]:
    query = visible(select(BudgetItem), actor)
    if filters.fiscal_year is not None:
        query = query.where(
            BudgetItem.fiscal_year_id.in_(
                select(FiscalYear.id).where(FiscalYear.year == filters.fiscal_year)
            )
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
    return fetch_page(session, query, [BudgetItem.id], limit=filters.limit, offset=filters.offset)


def add_event(session: Session, event: ItemEvent) -> None:
    session.add(event)


def events(session: Session, item_id: int) -> Sequence[ItemEvent]:
    return session.scalars(
        select(ItemEvent).where(ItemEvent.item_id == item_id).order_by(ItemEvent.id)
    ).all()


def predecessor_results(
    session: Session, item_ids: Sequence[int]
) -> dict[int, tuple[Grade, Decimal | None, bool]]:
    """For items that continue a graded item: (its grade, its approved amount, whether a
    rectification plan is on file for it), in one statement (S2.5)."""
    if not item_ids:
        return {}
    predecessor = aliased(BudgetItem)
    plan_on_file = exists(
        select(RectificationPlan.id).where(RectificationPlan.item_id == predecessor.id)
    )
    rows = session.execute(
        select(BudgetItem.id, SelfEvaluation.grade, predecessor.approved_amount, plan_on_file)
        .join(predecessor, predecessor.id == BudgetItem.continues_item_id)
        .join(SelfEvaluation, SelfEvaluation.item_id == predecessor.id)
        .where(
            BudgetItem.id.in_(item_ids),
            SelfEvaluation.status == EvaluationStatus.graded,
            SelfEvaluation.grade.is_not(None),
        )
    )
    return {
        item_id: (grade, approved, bool(plan))
        for item_id, grade, approved, plan in rows
        if grade is not None
    }
