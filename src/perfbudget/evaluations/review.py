"""The S3 review chain of a self-evaluation: each move on the audit trail; the parent
department passes a unit's on to finance or returns it (S3); finance checks truthfulness and
completeness, may adjust lines, and determines the grade or returns it with the finding
(S2.4)."""

from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import RuleViolation, Unprocessable, not_found
from perfbudget.evaluations import filing, reading, scoring
from perfbudget.evaluations.models import Consequence, EvaluationStatus, Grade, SelfEvaluation
from perfbudget.evaluations.schemas import (
    DepartmentReview,
    EvaluationRead,
    GradeDecision,
    LineAdjustment,
)
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.principal import Actor
from perfbudget.versioning import check_version
from perfbudget.workflow import require_reason

CONSEQUENCES = {
    Grade.excellent: Consequence.support,
    Grade.good: Consequence.support,
    Grade.fair: Consequence.rectify,
    Grade.poor: Consequence.reduce_or_cancel,
}


def consequence(grade: Grade) -> Consequence:
    """S2.5: 优/良 supported, 中 rectified, 差 reduced or cancelled."""
    return CONSEQUENCES[grade]


def _send_back(
    session: Session, actor: Actor, evaluation: SelfEvaluation, action: str, reason: str
) -> None:
    """Return it for changes with the reasons (S3)."""
    filing.CHAIN.send_back(
        session,
        actor,
        evaluation,
        EvaluationStatus.returned,
        action,
        reason,
    )


def check_in_finance_review(evaluation: SelfEvaluation) -> None:
    if evaluation.status is not EvaluationStatus.finance_review:
        raise RuleViolation(
            "EVALUATION_NOT_IN_FINANCE_REVIEW",
            "Finance adjusts and grades a self-evaluation while it is in finance review (S2.4).",
            "财政部门在审核阶段调整自评得分、评定等级（S2.4）。",
            extra={"evaluation_status": evaluation.status.value},
        )


def department_review(
    session: Session,
    actor: Actor,
    item_id: int,
    data: DepartmentReview,
    expected_version: int | None,
) -> EvaluationRead:
    """The parent department passes a unit's self-evaluation to finance, or returns it (S3)."""
    item = item_access.get_item(session, actor, item_id)
    rules.require_parent_reviewer(actor, item)
    evaluation = reading.evaluation_of(session, item)
    filing.CHAIN.decide_as_department(
        session,
        actor,
        evaluation,
        approve=data.decision == "approve",
        reason=data.reason,
        expected_version=expected_version,
        authors=(evaluation.created_by_id,),
    )
    return reading.evaluation_read(session, item, evaluation)


def adjust_line(
    session: Session,
    actor: Actor,
    item_id: int,
    target_line_id: int,
    data: LineAdjustment,
    expected_version: int | None,
) -> EvaluationRead:
    """Finance sets a line's points, with its reason (audited, S2.4)."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    check_in_finance_review(evaluation)
    check_version(evaluation.version, expected_version)
    line = next((ln for ln in evaluation.lines if ln.target_line_id == target_line_id), None)
    weights = reading.line_weights(evaluation)
    if line is None or target_line_id not in weights:
        raise not_found("Self-evaluation line", "自评指标")
    weight = weights[target_line_id]
    if data.points > weight:
        raise Unprocessable(
            "ADJUSTMENT_OUT_OF_RANGE",
            f"A line's points lie between 0 and its weight {weight}.",
            f"调整后得分须在 0 至该指标分值 {weight} 之间。",
            extra={"weight": str(weight)},
        )
    reason = require_reason(
        data.reason, "Give the reason for the adjustment.", "调整得分须说明理由。"
    )
    before = audit.state(evaluation)
    line.adjusted_points = data.points
    line.adjustment_reason = reason
    if not evaluation.third_party_adopted:
        evaluation.final_score = reading.adjusted_score(evaluation)
    audit.record_edit(session, actor, "line_adjusted", evaluation, before)
    return reading.evaluation_read(session, item, evaluation)


def grade(
    session: Session, actor: Actor, item_id: int, data: GradeDecision, expected_version: int | None
) -> EvaluationRead:
    """Finance's finding and grade: the grade follows the final score unless overridden with
    a reason (S2.4); or the self-evaluation goes back with the finding."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    filing.CHAIN.check_reviewer(actor.user_id, evaluation.created_by_id)
    target = EvaluationStatus.graded if data.decision == "approve" else EvaluationStatus.returned
    filing.CHAIN.check(evaluation.status, target)
    check_version(evaluation.version, expected_version)
    finding = (data.finding or "").strip()
    if not finding:
        raise Unprocessable(
            "FINDING_REQUIRED",
            "State the finding on truthfulness and completeness (S2.4).",
            "须出具真实性、完整性审核意见（S2.4）。",
        )
    evaluation.finance_finding = finding
    if target is EvaluationStatus.returned:
        _send_back(session, actor, evaluation, "finance_returned", finding)
    else:
        _grade(session, actor, item, evaluation, data)
    return reading.evaluation_read(session, item, evaluation)


def _final_score(evaluation: SelfEvaluation) -> Decimal:
    """The adopted third party's score, else the score after finance's line adjustments."""
    if evaluation.third_party_adopted and evaluation.third_party_score is not None:
        return evaluation.third_party_score
    return reading.adjusted_score(evaluation)


def _grade(
    session: Session,
    actor: Actor,
    item: BudgetItem,
    evaluation: SelfEvaluation,
    data: GradeDecision,
) -> None:
    """Grade an evaluation whose finding is recorded, and tell the subscribers."""
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    final = _final_score(evaluation)
    implied = scoring.grade_of(final, parameters.grade_bands)
    override_reason = None
    if data.grade_override is not None and data.grade_override is not implied:
        override_reason = require_reason(
            data.override_reason,
            "A grade other than the final score's needs the reason.",
            "评定等级与最终得分对应等级不一致的，须说明理由。",
        )
    approved = reading.target_lines(session, item) or []
    evaluation.completeness = reading.completeness(session, item, evaluation, approved, parameters)
    decided = data.grade_override or implied
    evaluation.final_score = final
    evaluation.grade = decided
    evaluation.grade_override_reason = override_reason
    evaluation.graded_at = clock.utcnow()
    evaluation.graded_by_id = actor.user_id
    filing.CHAIN.move_to(
        session, actor, evaluation, EvaluationStatus.graded, "graded", reason=override_reason
    )
    events.emit(
        session,
        EventType.evaluation_graded,
        {
            "item_id": item.id,
            "item_code": item.code,
            "organisation_code": item.organisation.code,
            "fiscal_year": item.fiscal_year.year,
            "final_score": str(final),
            "grade": decided.value,
        },
    )
