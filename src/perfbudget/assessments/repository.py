"""Assessment and review queries. A review is seen by its reviewer, by finance and oversight,
and by those who may see the item once the assessment is concluded."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from perfbudget.assessments.models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    ReviewStatus,
)
from perfbudget.assessments.schemas import ReviewFilter
from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items.models import BudgetItem
from perfbudget.pagination import declared_order, fetch_page, sort_order
from perfbudget.principal import Actor, Role

Query = TypeVar("Query", bound=Select[Any])


def add(session: Session, row: Assessment | AssessmentReview) -> None:
    session.add(row)


def get(session: Session, assessment_id: int) -> Assessment | None:
    return session.get(Assessment, assessment_id)


def get_by_item(session: Session, item_id: int) -> Assessment | None:
    return session.scalars(select(Assessment).where(Assessment.item_id == item_id)).first()


def visible_reviews(query: Query, actor: Actor) -> Query:
    if actor.role in (Role.expert, Role.third_party):
        return query.where(AssessmentReview.reviewer_id == actor.user_id)
    if actor.role in (Role.finance, Role.oversight):
        return query
    if actor.role in (Role.department, Role.investment):
        # the filer learns the panel's opinions with the conclusion, not while it deliberates
        concluded = item_repository.visible(
            select(Assessment.id)
            .join(BudgetItem, BudgetItem.id == Assessment.item_id)
            .where(Assessment.status == AssessmentStatus.concluded),
            actor,
        )
        return query.where(
            AssessmentReview.status == ReviewStatus.submitted,
            AssessmentReview.assessment_id.in_(concluded),
        )
    return query.where(false())  # deny by default


def reviews_of(session: Session, actor: Actor, assessment_id: int) -> list[AssessmentReview]:
    query = select(AssessmentReview).where(AssessmentReview.assessment_id == assessment_id)
    return list(session.scalars(visible_reviews(query, actor).order_by(AssessmentReview.id)))


def get_review(session: Session, actor: Actor, review_id: int) -> AssessmentReview | None:
    query = select(AssessmentReview).where(AssessmentReview.id == review_id)
    return session.scalars(visible_reviews(query, actor)).first()


def get_own_review(session: Session, reviewer_id: int, review_id: int) -> AssessmentReview | None:
    return session.scalars(
        select(AssessmentReview).where(
            AssessmentReview.id == review_id, AssessmentReview.reviewer_id == reviewer_id
        )
    ).first()


def find_review(session: Session, assessment_id: int, reviewer_id: int) -> AssessmentReview | None:
    return session.scalars(
        select(AssessmentReview).where(
            AssessmentReview.assessment_id == assessment_id,
            AssessmentReview.reviewer_id == reviewer_id,
        )
    ).first()


def count_submitted_reviews(session: Session, assessment_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AssessmentReview)
            .where(
                AssessmentReview.assessment_id == assessment_id,
                AssessmentReview.status == ReviewStatus.submitted,
            )
        )
        or 0
    )


_REVIEW_SORTS = {
    "id": AssessmentReview.id,
    "assessment_id": AssessmentReview.assessment_id,
    "reviewer_id": AssessmentReview.reviewer_id,
    "status": declared_order(AssessmentReview.status, ReviewStatus),
    "score": AssessmentReview.score,
    "submitted_at": AssessmentReview.submitted_at,
    "created_at": AssessmentReview.created_at,
    "updated_at": AssessmentReview.updated_at,
}


def list_reviews_page(
    session: Session, actor: Actor, filters: ReviewFilter
) -> tuple[list[AssessmentReview], int]:
    query = visible_reviews(select(AssessmentReview), actor)
    if filters.status is not None:
        query = query.where(AssessmentReview.status == filters.status)
    if filters.item_id is not None:
        query = query.where(
            AssessmentReview.assessment_id.in_(
                select(Assessment.id).where(Assessment.item_id == filters.item_id)
            )
        )
    order = sort_order(filters.sort, _REVIEW_SORTS, AssessmentReview.id)
    return fetch_page(session, query, order, limit=filters.limit, offset=filters.offset)


def items_of(session: Session, assessment_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """assessment id → (item id, item name), in one statement."""
    if not assessment_ids:
        return {}
    rows = session.execute(
        select(Assessment.id, BudgetItem.id, BudgetItem.name)
        .join(BudgetItem, BudgetItem.id == Assessment.item_id)
        .where(Assessment.id.in_(set(assessment_ids)))
    )
    return {assessment_id: (item_id, name) for assessment_id, item_id, name in rows}
