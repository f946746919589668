"""A third party's evaluation (S2.4): finance commissions an agency, the agency submits its
score and report, and finance may adopt the score as the final score."""

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.audit import service as audit
from perfbudget.budget_items import access as item_access
from perfbudget.errors import Forbidden, RuleViolation
from perfbudget.evaluations import reading, repository, review
from perfbudget.evaluations.models import EvaluationStatus, SelfEvaluation
from perfbudget.evaluations.schemas import (
    EvaluationAction,
    EvaluationRead,
    ThirdPartyCommission,
    ThirdPartyEvaluation,
)
from perfbudget.principal import Actor, Role
from perfbudget.versioning import check_version


def _check_not_graded(evaluation: SelfEvaluation) -> None:
    if evaluation.status is EvaluationStatus.graded:
        raise RuleViolation(
            "EVALUATION_GRADED",
            "The self-evaluation is graded; its result stands.",
            "该绩效自评已评定等级，不能再变更。",
        )


def commission_third_party(
    session: Session,
    actor: Actor,
    item_id: int,
    data: ThirdPartyCommission,
    expected_version: int | None,
) -> EvaluationRead:
    """Finance brings in a third party (S2.4); it then sees this item and its history."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    _check_not_graded(evaluation)
    check_version(evaluation.version, expected_version)
    user = repository.user(session, data.third_party_id)
    if user is None or user.role is not Role.third_party or not user.is_active:
        raise RuleViolation(
            "NOT_A_THIRD_PARTY",
            "Commission an active third-party agency account.",
            "须委托在用的第三方机构账号。",
            extra={"third_party_id": data.third_party_id},
        )
    before = audit.state(evaluation)
    if evaluation.third_party_id != user.id:
        evaluation.third_party_id = user.id
        evaluation.third_party_score = None
        evaluation.third_party_report = None
        evaluation.third_party_submitted_at = None
        if evaluation.third_party_adopted:
            evaluation.third_party_adopted = False
            evaluation.final_score = reading.adjusted_score(evaluation)
    audit.record_edit(session, actor, "third_party_commissioned", evaluation, before)
    return reading.evaluation_read(session, item, evaluation)


def third_party_evaluation(
    session: Session,
    actor: Actor,
    item_id: int,
    data: ThirdPartyEvaluation,
    expected_version: int | None,
) -> EvaluationRead:
    """The commissioned third party's score and report."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    if evaluation.third_party_id is None or evaluation.third_party_id != actor.user_id:
        raise Forbidden(
            "NOT_COMMISSIONED",
            "Only the third party commissioned for this item evaluates it.",
            "仅受托的第三方机构可对该项目开展评价。",
        )
    _check_not_graded(evaluation)
    check_version(evaluation.version, expected_version)
    before = audit.state(evaluation)
    evaluation.third_party_score = data.score
    evaluation.third_party_report = data.report
    evaluation.third_party_submitted_at = clock.utcnow()
    if evaluation.third_party_adopted:
        evaluation.final_score = data.score
    audit.record_edit(session, actor, "third_party_evaluated", evaluation, before)
    return reading.evaluation_read(session, item, evaluation)


def adopt_third_party(
    session: Session,
    actor: Actor,
    item_id: int,
    data: EvaluationAction,
    expected_version: int | None,
) -> EvaluationRead:
    """Finance adopts the third party's score as the final score."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    review.check_in_finance_review(evaluation)
    check_version(evaluation.version, expected_version)
    if evaluation.third_party_score is None:
        raise RuleViolation(
            "THIRD_PARTY_SCORE_MISSING",
            "No third-party score has been submitted yet.",
            "第三方机构尚未提交评价得分。",
        )
    before = audit.state(evaluation)
    evaluation.third_party_adopted = True
    evaluation.final_score = evaluation.third_party_score
    audit.record_edit(session, actor, "third_party_adopted", evaluation, before)
    return reading.evaluation_read(session, item, evaluation)
