"""Ex-ante performance assessment (S2.1): the department (or, for capital construction, the
investment authority) files it; finance has it reviewed by experts or a third party and
records the conclusion the budget decision relies on."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import FileResponse

from perfbudget.assessments import repository
from perfbudget.assessments.models import (
    Assessment,
    AssessmentConclusion,
    AssessmentDimension,
    AssessmentReview,
    AssessmentStatus,
    ReviewStatus,
)
from perfbudget.assessments.schemas import (
    AssessmentAction,
    AssessmentConclusionRequest,
    AssessmentDraft,
    AssessmentRead,
    ReviewerAssignment,
    ReviewFilter,
    ReviewRead,
    ReviewSubmission,
)
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.clock import utcnow
from perfbudget.errors import Conflict, Forbidden, RuleViolation, not_found
from perfbudget.pagination import Page
from perfbudget.users import repository as user_repository
from perfbudget.users.models import Role
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

ATTACHMENT_OWNER = "assessment"
TRANSITIONS: Mapping[AssessmentStatus, frozenset[AssessmentStatus]] = {
    AssessmentStatus.draft: frozenset({AssessmentStatus.submitted}),
    AssessmentStatus.submitted: frozenset({AssessmentStatus.concluded}),
    AssessmentStatus.concluded: frozenset(),
}
REVIEWER_ROLES = (Role.expert, Role.third_party)
AUDITED_FIELDS = (
    "status",
    "assessor_role",
    "dimensions",
    "conclusion",
    "final_conclusion",
    "final_note",
)
REVIEW_AUDITED_FIELDS = (
    "reviewer_id",
    "status",
    "opinions",
    "score",
    "recommendation",
    "summary",
)


def requires_assessment(item: BudgetItem) -> bool:
    """S2.1.1: new major policies and projects are assessed before they are funded."""
    return item.new_major and item.kind in (ItemKind.project, ItemKind.policy)


def assessor_role(item: BudgetItem) -> Role:
    """S2.1.1: the investment authority assesses capital construction, the department the rest."""
    return Role.investment if item.capital_construction else Role.department


def _record(
    session: Session,
    actor: Actor,
    action: str,
    assessment: Assessment,
    before: dict[str, Any] | None,
) -> None:
    after = audit.snapshot(assessment, AUDITED_FIELDS)
    audit.record_change(
        session,
        actor,
        action,
        entity_type="assessment",
        entity_id=assessment.id,
        before=before,
        after=after if before is not None else {"item_id": assessment.item_id, **after},
    )


def _record_review(
    session: Session,
    actor: Actor,
    action: str,
    review: AssessmentReview,
    before: dict[str, Any] | None,
) -> None:
    after = audit.snapshot(review, REVIEW_AUDITED_FIELDS)
    audit.record_change(
        session,
        actor,
        action,
        entity_type="assessment_review",
        entity_id=review.id,
        before=before,
        after=after if before is not None else {"assessment_id": review.assessment_id, **after},
    )


# --- reading ---------------------------------------------------------------------------


def _assessment_of(session: Session, item: BudgetItem) -> Assessment:
    assessment = repository.get_by_item(session, item.id)
    if assessment is None:
        raise not_found("Assessment", "事前绩效评估")
    return assessment


def _visible_assessment(
    session: Session, actor: Actor, item_id: int
) -> tuple[BudgetItem, Assessment]:
    """The item and its assessment; 404 when the actor may not see the item, as if missing."""
    item = item_access.get_item(session, actor, item_id)
    return item, _assessment_of(session, item)


def _review_read(review: AssessmentReview, item_id: int, item_name: str) -> ReviewRead:
    columns = {name for name in ReviewRead.model_fields if name not in ("item_id", "item_name")}
    return ReviewRead.model_validate(
        {
            **{name: getattr(review, name) for name in columns},
            "item_id": item_id,
            "item_name": item_name,
        }
    )


def _review_read_of(session: Session, review: AssessmentReview) -> ReviewRead:
    item_id, item_name = repository.items_of(session, [review.assessment_id])[review.assessment_id]
    return _review_read(review, item_id, item_name)


def _read(
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
            "missing_dimensions": _missing_dimensions(assessment.dimensions),
            "attachments": [AttachmentRead.model_validate(row) for row in attachments],
            "reviews": [_review_read(review, item.id, item.name) for review in reviews],
        }
    )


def get_assessment(session: Session, actor: Actor, item_id: int) -> AssessmentRead:
    return _read(session, actor, *_visible_assessment(session, actor, item_id))


def download_attachment(
    session: Session, actor: Actor, item_id: int, attachment_id: int
) -> FileResponse:
    _, assessment = _visible_assessment(session, actor, item_id)
    return attachment_service.open_for_download(
        session, ATTACHMENT_OWNER, assessment.id, attachment_id
    )


# --- filing (S2.1.1) ---------------------------------------------------------------------


def _filable_item(session: Session, actor: Actor, item_id: int) -> BudgetItem:
    """The item, if this actor is the one who assesses it and it needs an assessment."""
    item = item_access.get_item(session, actor, item_id)
    if actor.role is not assessor_role(item):
        if item.capital_construction:
            raise Forbidden(
                "INVESTMENT_AUTHORITY_ASSESSES",
                "The investment authority assesses capital construction projects (S2.1.1).",
                "基建投资项目由投资主管部门开展事前绩效评估（S2.1.1）。",
            )
        raise not_found("Budget item", "预算项目")  # the authority sees only capital construction
    if not requires_assessment(item):
        raise RuleViolation(
            "ASSESSMENT_NOT_APPLICABLE",
            "Ex-ante assessment is for new major policies and projects (S2.1.1); "
            "this item is not one.",
            "事前绩效评估适用于新出台的重大政策和项目（S2.1.1），该预算项目不属于此类。",
        )
    return item


def _check_editable(assessment: Assessment) -> None:
    if assessment.status is not AssessmentStatus.draft:
        raise RuleViolation(
            "ASSESSMENT_NOT_EDITABLE",
            "The assessment has been submitted and can no longer be changed (S2.1.1).",
            "事前绩效评估已提交，不能再修改（S2.1.1）。",
        )


def _dimensions_document(data: AssessmentDraft) -> dict[str, Any]:
    return {
        dimension.value: {"finding": entry.finding, "score": f"{entry.score:.2f}"}
        for dimension in AssessmentDimension
        if (entry := data.dimensions.get(dimension)) is not None
    }


def _missing_dimensions(dimensions: Mapping[str, Any]) -> list[AssessmentDimension]:
    return [dimension for dimension in AssessmentDimension if dimension.value not in dimensions]


def save_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    data: AssessmentDraft,
    expected_version: int | None,
) -> AssessmentRead:
    """Create the assessment, or replace its draft (the version read is then required)."""
    item = _filable_item(session, actor, item_id)
    assessment = repository.get_by_item(session, item.id)
    if assessment is None:
        assessment = Assessment(
            item_id=item.id,
            assessor_role=assessor_role(item).value,
            filed_by_id=actor.user_id,
            dimensions=_dimensions_document(data),
            conclusion=data.conclusion,
        )
        repository.add(session, assessment)
        session.flush()
        _record(session, actor, "assessment.created", assessment, None)
    else:
        _check_editable(assessment)
        check_version(assessment.version, expected_version)
        before = audit.snapshot(assessment, AUDITED_FIELDS)
        assessment.assessor_role = assessor_role(item).value
        assessment.dimensions = _dimensions_document(data)
        assessment.conclusion = data.conclusion
        session.flush()
        _record(session, actor, "assessment.updated", assessment, before)
    return _read(session, actor, item, assessment)


def submit_assessment(
    session: Session,
    actor: Actor,
    item_id: int,
    data: AssessmentAction,
    expected_version: int | None,
) -> AssessmentRead:
    """Send the finished report to the finance bureau (S2.1.1)."""
    item = _filable_item(session, actor, item_id)
    assessment = _assessment_of(session, item)
    check_transition(
        TRANSITIONS, "assessment", "事前绩效评估", assessment.status, AssessmentStatus.submitted
    )
    check_version(assessment.version, expected_version)
    missing: list[str] = list(_missing_dimensions(assessment.dimensions))
    if not assessment.conclusion.strip():
        missing.append("conclusion")
    if missing:
        raise RuleViolation(
            "ASSESSMENT_INCOMPLETE",
            "The report needs a finding and score on all five dimensions and a conclusion "
            f"(S2.1.1); missing: {', '.join(missing)}.",
            f"评估报告须对五个方面逐项给出评估意见和评分并形成结论（S2.1.1）；缺少：{'、'.join(missing)}。",
            extra={"missing": missing},
        )
    before = audit.snapshot(assessment, AUDITED_FIELDS)
    assessment.status = AssessmentStatus.submitted
    assessment.submitted_at = utcnow()
    session.flush()
    _record(session, actor, "assessment.submitted", assessment, before)
    return _read(session, actor, item, assessment)


def _editable_assessment(session: Session, actor: Actor, item_id: int) -> Assessment:
    assessment = _assessment_of(session, _filable_item(session, actor, item_id))
    _check_editable(assessment)
    return assessment


def add_attachment(
    session: Session, actor: Actor, item_id: int, upload: attachment_service.Source
) -> Attachment:
    """Attach a part of the report (PDF, Word, Excel) while the assessment is a draft."""
    assessment = _editable_assessment(session, actor, item_id)
    return attachment_service.store(session, actor, ATTACHMENT_OWNER, assessment.id, upload)


def remove_attachment(session: Session, actor: Actor, item_id: int, attachment_id: int) -> None:
    assessment = _editable_assessment(session, actor, item_id)
    attachment_service.remove(session, actor, ATTACHMENT_OWNER, assessment.id, attachment_id)


# --- review and conclusion (S2.1.2) --------------------------------------------------------


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
    item, assessment = _visible_assessment(session, actor, item_id)
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
    session.flush()
    _record_review(session, actor, "assessment_review.assigned", review, None)
    return _review_read(review, item.id, item.name)


def list_reviews(session: Session, actor: Actor, filters: ReviewFilter) -> Page[ReviewRead]:
    rows, total = repository.list_reviews_page(session, actor, filters)
    items = repository.items_of(session, [row.assessment_id for row in rows])
    return Page[ReviewRead](
        items=[_review_read(row, *items[row.assessment_id]) for row in rows],
        total=total,
        limit=filters.limit,
        offset=filters.offset,
    )


def get_review(session: Session, actor: Actor, review_id: int) -> ReviewRead:
    review = repository.get_review(session, actor, review_id)
    if review is None:
        raise not_found("Assessment review", "评审任务")
    return _review_read_of(session, review)


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
    before = audit.snapshot(review, REVIEW_AUDITED_FIELDS)
    review.opinions = {
        dimension.value: data.opinions[dimension] for dimension in AssessmentDimension
    }
    review.recommendation = data.recommendation
    review.score = data.score
    review.summary = data.summary
    review.status = ReviewStatus.submitted
    review.submitted_at = utcnow()
    session.flush()
    _record_review(session, actor, "assessment_review.submitted", review, before)
    return _review_read_of(session, review)


def conclude(
    session: Session,
    actor: Actor,
    item_id: int,
    data: AssessmentConclusionRequest,
    expected_version: int | None,
) -> AssessmentRead:
    """Finance records the review's conclusion, the basis of the budget decision (S2.1.2)."""
    item, assessment = _visible_assessment(session, actor, item_id)
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
    before = audit.snapshot(assessment, AUDITED_FIELDS)
    assessment.final_conclusion = data.final_conclusion
    assessment.final_note = note
    assessment.status = AssessmentStatus.concluded
    assessment.concluded_by_id = actor.user_id
    assessment.concluded_at = utcnow()
    session.flush()
    _record(session, actor, "assessment.concluded", assessment, before)
    return _read(session, actor, item, assessment)
