"""An assessment and its reviews as the API shows them, and the lookups that answer 404
to an actor who may not see the item."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.assessments import repository
from perfbudget.assessments.models import Assessment, AssessmentDimension, AssessmentReview
from perfbudget.assessments.schemas import AssessmentRead, ReviewRead
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import not_found
from perfbudget.principal import Actor

ATTACHMENT_OWNER = "assessment"


def assessment_of(session: Session, item: BudgetItem) -> Assessment:
    assessment = repository.get_by_item(session, item.id)
    if assessment is None:
        raise not_found("Assessment", "事前绩效评估")
    return assessment


def visible_assessment(
    session: Session, actor: Actor, item_id: int
) -> tuple[BudgetItem, Assessment]:
    """The item and its assessment; 404 when the actor may not see the item, as if missing."""
    item = item_access.get_item(session, actor, item_id)
    return item, assessment_of(session, item)


def review_read(review: AssessmentReview, item_id: int, item_name: str) -> ReviewRead:
    columns = {name for name in ReviewRead.model_fields if name not in ("item_id", "item_name")}
    return ReviewRead.model_validate(
        {
            **{name: getattr(review, name) for name in columns},
            "item_id": item_id,
            "item_name": item_name,
        }
    )


def review_read_of(session: Session, review: AssessmentReview) -> ReviewRead:
    item_id, item_name = repository.items_of(session, [review.assessment_id])[review.assessment_id]
    return review_read(review, item_id, item_name)


def missing_dimensions(dimensions: Mapping[str, Any]) -> list[AssessmentDimension]:
    return [dimension for dimension in AssessmentDimension if dimension.value not in dimensions]


def read_assessment(
    session: Session, actor: Actor, item: BudgetItem, assessment: Assessment
) -> AssessmentRead:
    attachments = attachment_service.list_for_owner(session, ATTACHMENT_OWNER, assessment.id)
    reviews = repository.reviews_of(session, actor, assessment.id)
    computed = {"missing_dimensions", "attachments", "reviews"}
    return AssessmentRead.model_validate(
        {
            **{
                name: getattr(assessment, name)
                for name in AssessmentRead.model_fields
                if name not in computed
            },
            "missing_dimensions": missing_dimensions(assessment.dimensions),
            "attachments": [AttachmentRead.model_validate(row) for row in attachments],
            "reviews": [review_read(review, item.id, item.name) for review in reviews],
        }
    )
