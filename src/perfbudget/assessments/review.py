"""The review of a submitted assessment (S2.1.2): finance assigns experts or a third party,
each gives an opinion on every dimension, and finance records the conclusion."""

from sqlalchemy.orm import Session

from perfbudget.assessments import repository
from perfbudget.assessments.models import (
    TRANSITIONS,
    Assessment,
    AssessmentConclusion,
    AssessmentDimension,
    AssessmentReview,
    AssessmentStatus,
    ReviewStatus,
)
from perfbudget.assessments.reading import (
    read_assessment,
    review_read,
    review_read_of,
    visible_assessment,
)
from perfbudget.assessments.schemas import (
    AssessmentConclusionRequest,
    AssessmentRead,
    ReviewerAssignment,
    ReviewFilter,
    ReviewRead,
    ReviewSubmission,
)
from perfbudget.audit import service as audit
from perfbudget.clock import utcnow
from perfbudget.errors import Conflict, RuleViolation, not_found
from perfbudget.pagination import Page
from perfbudget.principal import Actor, Role
from perfbudget.users import repository as user_repository
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

REVIEWER_ROLES = (Role.expert, Role.third_party)


def _check_awaiting_conclusion(assessment: Assessment) -> None:
    if assessment.status is AssessmentStatus.draft:
        raise RuleViolation(
            "ASSESSMENT_NOT_SUBMITTED",
            "The department has not submitted the assessment yet (S2.1.2).",
            "部门尚未提交事前绩效评估报告（S2.1.2）。",
        )
    if assessment.status is AssessmentStatus.concluded:
        raise RuleViolation(
            "ASSESSMENT_ALREADY_CONCLUDED",
            "The finance bureau has already concluded this assessment's review (S2.1.2).",
            "财政部门已对该事前绩效评估出具评审结论（S2.1.2）。",
        )


def assign_reviewer(
    session: Session, actor: Actor, item_id: int, data: ReviewerAssignment
) -> ReviewRead:
    """S2.1.2: finance puts an expert of the panel, or a third party, on the assessment."""
    item, assessment = visible_assessment(session, actor, item_id)
    _check_awaiting_conclusion(assessment)
    reviewer = user_repository.get(session, data.reviewer_id)
    if reviewer is None or not reviewer.is_active or reviewer.role not in REVIEWER_ROLES:
        raise RuleViolation(
            "REVIEWER_ROLE_INVALID",
            "A reviewer must be an active expert or third-party user (S2.1.2).",
            "评审人须为在用的评审专家或第三方机构用户（S2.1.2）。",
        )
    if repository.find_review(session, assessment.id, reviewer.id) is not None:
        raise Conflict(
            "REVIEWER_ALREADY_ASSIGNED",
            f"{reviewer.username} already reviews this assessment.",
            f"{reviewer.display_name} 已是该评估的评审人。",
        )
    review = AssessmentReview(reviewer_id=reviewer.id, assigned_by_id=actor.user_id, opinions={})
    assessment.reviews.append(review)  # keeps the loaded collection true for later readers
    context = {"assessment_id": assessment.id}
    audit.record_edit(session, actor, "assigned", review, None, context=context)
    return review_read(review, item.id, item.name)


def list_reviews(session: Session, actor: Actor, filters: ReviewFilter) -> Page[ReviewRead]:
    rows, total = repository.list_reviews_page(session, actor, filters)
    items = repository.items_of(session, [row.assessment_id for row in rows])
    return Page[ReviewRead](
        items=[review_read(row, *items[row.assessment_id]) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )


def get_review(session: Session, actor: Actor, review_id: int) -> ReviewRead:
    review = repository.get_review(session, actor, review_id)
    if review is None:
        raise not_found("Assessment review", "评审任务")
    return review_read_of(session, review)


def _check_complete(data: ReviewSubmission) -> None:
    missing = [
        dimension.value for dimension in AssessmentDimension if dimension not in data.opinions
    ]
    if missing:
        raise RuleViolation(
            "REVIEW_INCOMPLETE",
            f"Give an opinion on every dimension (S2.1.2); missing: {', '.join(missing)}.",
            f"须对每个评估方面提出评审意见（S2.1.2）；缺少：{'、'.join(missing)}。",
            extra={"missing": missing},
        )


def submit_review(
    session: Session,
    actor: Actor,
    review_id: int,
    data: ReviewSubmission,
    expected_version: int | None,
) -> ReviewRead:
    """The assigned reviewer's opinion on every dimension and a recommendation (S2.1.2)."""
    review = repository.get_own_review(session, actor.user_id or 0, review_id)
    if review is None:
        raise not_found("Assessment review", "评审任务")
    if review.status is ReviewStatus.submitted:
        raise Conflict(
            "REVIEW_ALREADY_SUBMITTED",
            "You have already submitted this review; it cannot be changed.",
            "该评审意见已提交，不能再修改。",
        )
    assessment = repository.get(session, review.assessment_id)
    if assessment is None:
        raise not_found("Assessment", "事前绩效评估")
    _check_awaiting_conclusion(assessment)
    check_version(review.version, expected_version)
    _check_complete(data)
    before = audit.state(review)
    review.opinions = {
        dimension.value: data.opinions[dimension] for dimension in AssessmentDimension
    }
    review.recommendation = data.recommendation
    review.score = data.score
    review.summary = data.summary
    review.status = ReviewStatus.submitted
    review.submitted_at = utcnow()
    audit.record_edit(session, actor, "submitted", review, before)
    return review_read_of(session, review)


def conclude(
    session: Session,
    actor: Actor,
    item_id: int,
    data: AssessmentConclusionRequest,
    expected_version: int | None,
) -> AssessmentRead:
    """Finance records the review's conclusion, the basis of the budget decision (S2.1.2)."""
    item, assessment = visible_assessment(session, actor, item_id)
    _check_awaiting_conclusion(assessment)
    check_transition(
        TRANSITIONS, "assessment", "事前绩效评估", assessment.status, AssessmentStatus.concluded
    )
    check_version(assessment.version, expected_version)
    if repository.count_submitted_reviews(session, assessment.id) == 0:
        raise RuleViolation(
            "REVIEWS_PENDING",
            "No reviewer has submitted an opinion yet; the conclusion rests on the review "
            "(S2.1.2).",
            "尚无评审人提交评审意见，评审结论须以评审意见为依据（S2.1.2）。",
        )
    note = (data.note or "").strip() or None
    if data.final_conclusion is not AssessmentConclusion.supported and note is None:
        raise RuleViolation(
            "CONCLUSION_NOTE_REQUIRED",
            "Say why, or which changes are required, when the assessment is not simply supported.",
            "评审结论为“调整后予以支持”或“不予支持”时，须说明理由或调整要求。",
        )
    before = audit.state(assessment)
    assessment.final_conclusion = data.final_conclusion
    assessment.final_note = note
    assessment.status = AssessmentStatus.concluded
    assessment.concluded_by_id = actor.user_id
    assessment.concluded_at = utcnow()
    audit.record_edit(session, actor, "concluded", assessment, before)
    return read_assessment(session, actor, item, assessment)
