"""Ex-ante performance assessment (S2.1): the department (or, for capital construction, the
investment authority) files it; finance has it reviewed by experts or a third party and
records the conclusion the budget decision relies on."""

from typing import Any

from sqlalchemy.orm import Session

from perfbudget.assessments import repository
from perfbudget.assessments.models import (
    TRANSITIONS,
    Assessment,
    AssessmentDimension,
    AssessmentStatus,
)
from perfbudget.assessments.reading import (
    ATTACHMENT_OWNER,
    assessment_of,
    missing_dimensions,
    read_assessment,
)
from perfbudget.assessments.reading import visible_assessment as _visible_assessment
from perfbudget.assessments.review import assign_reviewer, conclude, submit_review
from perfbudget.assessments.schemas import AssessmentAction, AssessmentDraft, AssessmentRead
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.clock import utcnow
from perfbudget.errors import Forbidden, RuleViolation, not_found
from perfbudget.exports import Download
from perfbudget.principal import Actor, Role
from perfbudget.versioning import check_version
from perfbudget.workflow import check_transition

# the review (S2.1.2) lives in ``review``; these stay importable from here for other stages
__all__ = ["assign_reviewer", "conclude", "submit_review"]


def requires_assessment(item: BudgetItem) -> bool:
    """S2.1.1: new major policies and projects are assessed before they are funded."""
    return item.new_major and item.kind in (ItemKind.project, ItemKind.policy)


def assessor_role(item: BudgetItem) -> Role:
    """S2.1.1: the investment authority assesses capital construction, the department the rest."""
    return Role.investment if item.capital_construction else Role.department


# --- reading ---------------------------------------------------------------------------


def get_assessment(session: Session, actor: Actor, item_id: int) -> AssessmentRead:
    return read_assessment(session, actor, *_visible_assessment(session, actor, item_id))


def download_attachment(
    session: Session, actor: Actor, item_id: int, attachment_id: int
) -> Download:
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
        context = {"item_id": assessment.item_id}
        audit.record_edit(session, actor, "created", assessment, None, context=context)
    else:
        _check_editable(assessment)
        check_version(assessment.version, expected_version)
        before = audit.state(assessment)
        assessment.assessor_role = assessor_role(item).value
        assessment.dimensions = _dimensions_document(data)
        assessment.conclusion = data.conclusion
        audit.record_edit(session, actor, "updated", assessment, before)
    return read_assessment(session, actor, item, assessment)


def submit_assessment(
    session: Session,
    actor: Actor,
    item_id: int,
    data: AssessmentAction,
    expected_version: int | None,
) -> AssessmentRead:
    """Send the finished report to the finance bureau (S2.1.1)."""
    item = _filable_item(session, actor, item_id)
    assessment = assessment_of(session, item)
    check_transition(
        TRANSITIONS, "assessment", "事前绩效评估", assessment.status, AssessmentStatus.submitted
    )
    check_version(assessment.version, expected_version)
    missing: list[str] = list(missing_dimensions(assessment.dimensions))
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
    before = audit.state(assessment)
    assessment.status = AssessmentStatus.submitted
    assessment.submitted_at = utcnow()
    audit.record_edit(session, actor, "submitted", assessment, before)
    return read_assessment(session, actor, item, assessment)


def _editable_assessment(session: Session, actor: Actor, item_id: int) -> Assessment:
    assessment = assessment_of(session, _filable_item(session, actor, item_id))
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
