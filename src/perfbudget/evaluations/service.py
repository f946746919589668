"""Self-evaluation (自评, S2.4): the owner files the year's final actuals, execution and report;
a unit's evaluation passes its parent department (S3); finance checks truthfulness and
completeness, may adjust lines or adopt a third party's score, and determines the grade."""

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget import clock
from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.audit import service as audit
from perfbudget.auth.principal import Actor
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem
from perfbudget.errors import Forbidden, RuleViolation, Unprocessable, not_found
from perfbudget.evaluations import filing, reading, repository, scoring
from perfbudget.evaluations.models import (
    Consequence,
    EvaluationLine,
    EvaluationStatus,
    Grade,
    SelfEvaluation,
)
from perfbudget.evaluations.schemas import (
    DepartmentReview,
    EvaluationAction,
    EvaluationDraft,
    EvaluationRead,
    GradeDecision,
    LineAdjustment,
    ThirdPartyCommission,
    ThirdPartyEvaluation,
)
from perfbudget.events import service as events
from perfbudget.events.models import EventType
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import schedule
from perfbudget.payments import service as payment_service
from perfbudget.users.models import Role
from perfbudget.versioning import check_version

CONSEQUENCES = {
    Grade.excellent: Consequence.support,
    Grade.good: Consequence.support,
    Grade.fair: Consequence.rectify,
    Grade.poor: Consequence.reduce_or_cancel,
}
AUDITED_FIELDS = (
    "status",
    "final_execution",
    "sections",
    "computed_score",
    "final_score",
    "grade",
    "grade_override_reason",
    "finance_finding",
    "third_party_id",
    "third_party_score",
    "third_party_adopted",
    "return_reason",
)
ENTITY = "self_evaluation"
EDITABLE_LINE_FIELDS = ("final_actual", "qualitative_status", "qualitative_share", "explanation")


def consequence(grade: Grade) -> Consequence:
    """S2.5: 优/良 supported, 中 rectified, 差 reduced or cancelled."""
    return CONSEQUENCES[grade]


# --- audit and transitions -------------------------------------------------------------------


def _snapshot(evaluation: SelfEvaluation) -> dict[str, Any]:
    return {
        **audit.snapshot(evaluation, AUDITED_FIELDS),
        "lines": [
            {
                "target_line_id": line.target_line_id,
                "final_actual": None if line.final_actual is None else str(line.final_actual),
                "qualitative_status": line.qualitative_status,
                "qualitative_share": None
                if line.qualitative_share is None
                else str(line.qualitative_share),
                "explanation": line.explanation,
                "adjusted_points": None
                if line.adjusted_points is None
                else str(line.adjusted_points),
            }
            for line in evaluation.lines
        ],
    }


def _record(
    session: Session,
    actor: Actor,
    action: str,
    evaluation: SelfEvaluation,
    before: dict[str, Any] | None,
) -> None:
    after = _snapshot(evaluation)
    audit.record_change(
        session,
        actor,
        f"{ENTITY}.{action}",
        entity_type=ENTITY,
        entity_id=evaluation.id,
        before=before,
        after=after if before is not None else {"item_id": evaluation.item_id, **after},
    )


def _move(
    session: Session,
    actor: Actor,
    evaluation: SelfEvaluation,
    target: EvaluationStatus,
    action: str,
    reason: str | None = None,
) -> None:
    filing.check_transition_to(evaluation.status, target)
    before = evaluation.status
    evaluation.status = target
    session.flush()
    audit.record(
        session,
        actor,
        f"{ENTITY}.{action}",
        entity_type=ENTITY,
        entity_id=evaluation.id,
        changes={
            "before": {"status": before.value},
            "after": {
                "status": target.value,
                "computed_score": evaluation.computed_score,
                "final_score": evaluation.final_score,
                "grade": evaluation.grade,
            },
            "item_id": evaluation.item_id,
            "reason": reason,
        },
    )


# --- filing ------------------------------------------------------------------------------------


def _filable(session: Session, actor: Actor, item_id: int) -> tuple[BudgetItem, RuleParameters]:
    item = item_access.get_item(session, actor, item_id)
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    filing.check_filer(actor, item, parameters, schedule.local_today())
    return item, parameters


def _replace_lines(evaluation: SelfEvaluation, lines: list[EvaluationLine]) -> None:
    """Update answered lines in place: a line's row is unique per target line, and a
    delete-then-insert of the same target line would collide before the delete is flushed."""
    existing = {line.target_line_id: line for line in evaluation.lines}
    kept = []
    for line in lines:
        row = existing.get(line.target_line_id)
        if row is None:
            kept.append(line)
            continue
        for name in EDITABLE_LINE_FIELDS:
            setattr(row, name, getattr(line, name))
        row.computed_points = row.adjusted_points = row.adjustment_reason = None
        kept.append(row)
    evaluation.lines = kept


def read_evaluation(session: Session, actor: Actor, item_id: int) -> EvaluationRead:
    """The self-evaluation; before its first save, the draft it starts from (not saved: no
    id, no version), or the refusal the first save would meet (S2.4)."""
    item = item_access.get_item(session, actor, item_id)
    evaluation = repository.of_item(session, item.id)
    if evaluation is not None:
        return reading.evaluation_read(session, item, evaluation)
    approved = reading.target_lines(session, item)
    checked = filing.first_draft(
        item,
        approved=approved,
        disbursed=_disbursed(session, item),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        today=schedule.local_today(),
    )
    draft = _new_evaluation(item, checked, created_by_id=None)
    return reading.evaluation_read(session, item, draft, list(reading.require_approved(approved)))


def _disbursed(session: Session, item: BudgetItem) -> Decimal:
    """What a save without ``final_execution`` records: every disbursement to the item."""
    return payment_service.disbursed_totals(session, [item.id]).get(item.id, scoring.ZERO)


def _new_evaluation(
    item: BudgetItem, checked: filing.Draft, *, created_by_id: int | None
) -> SelfEvaluation:
    """A self-evaluation as its first save stores it (not yet added to the session)."""
    return SelfEvaluation(
        item_id=item.id,
        fiscal_year_id=item.fiscal_year_id,
        organisation_id=item.organisation_id,
        status=EvaluationStatus.draft,
        final_execution=checked.final_execution,
        sections=checked.sections,
        scoring={},
        plausibility_flags=[],
        completeness=[],
        third_party_adopted=False,
        created_by_id=created_by_id,
        lines=[filing.new_line(entry) for entry in checked.lines],
    )


def save_draft(
    session: Session,
    actor: Actor,
    item_id: int,
    data: EvaluationDraft,
    expected_version: int | None,
) -> EvaluationRead:
    """Create the self-evaluation, or replace its draft (the version read is then required)."""
    item = item_access.get_item(session, actor, item_id)
    approved = reading.target_lines(session, item)
    evaluation = repository.of_item(session, item.id)
    checked = filing.draft(
        actor,
        item,
        data,
        approved=approved,
        stored=evaluation,
        disbursed=_disbursed(session, item),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        today=schedule.local_today(),
        expected_version=expected_version,
    )
    if evaluation is None:
        evaluation = _new_evaluation(item, checked, created_by_id=actor.user_id)
        repository.add(session, evaluation)
        session.flush()
        _record(session, actor, "created", evaluation, None)
    else:
        before = _snapshot(evaluation)
        evaluation.final_execution = checked.final_execution
        evaluation.sections = checked.sections
        _replace_lines(evaluation, [filing.new_line(entry) for entry in checked.lines])
        session.flush()
        _record(session, actor, "updated", evaluation, before)
    return reading.evaluation_read(session, item, evaluation, list(approved or []))


def submit(
    session: Session,
    actor: Actor,
    item_id: int,
    data: EvaluationAction,
    expected_version: int | None,
) -> EvaluationRead:
    """Score the self-evaluation and send it on: to the parent department for a unit (S3),
    else to finance."""
    item, parameters = _filable(session, actor, item_id)
    evaluation = reading.evaluation_of(session, item)
    route = filing.check_submittable(evaluation, item, expected_version)
    approved = reading.target_lines(session, item)
    filing.submit(
        item,
        evaluation,
        approved,
        parameters=parameters,
        history=repository.monitoring_history(session, item.id),
        attachments=len(
            attachment_service.list_for_owner(session, reading.ATTACHMENT_OWNER, evaluation.id)
        ),
        now=clock.utcnow(),
    )
    _move(session, actor, evaluation, route, "submitted")
    return reading.evaluation_read(session, item, evaluation, list(approved or []))


def add_attachment(
    session: Session, actor: Actor, item_id: int, upload: attachment_service.Source
) -> Attachment:
    """A report attachment (PDF, Word, Excel) while the self-evaluation can be changed."""
    item = item_access.get_item(session, actor, item_id)
    rules.require_owner_side(actor, item)
    evaluation = reading.evaluation_of(session, item)
    filing.check_editable(evaluation)
    return attachment_service.store(session, actor, reading.ATTACHMENT_OWNER, evaluation.id, upload)


# --- review ----------------------------------------------------------------------------------


def _required(text: str | None, code: str, en: str, zh: str) -> str:
    if not (text or "").strip():
        raise Unprocessable(code, en, zh)
    return (text or "").strip()


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
    filing.CHAIN.check_reviewer(actor.user_id, evaluation.created_by_id)
    target = (
        EvaluationStatus.finance_review if data.decision == "approve" else EvaluationStatus.returned
    )
    filing.check_transition_to(evaluation.status, target)
    check_version(evaluation.version, expected_version)
    if data.decision == "approve":
        _move(session, actor, evaluation, target, "department_approved", data.reason)
    else:
        reason = _required(
            data.reason, "REASON_REQUIRED", "Give the reasons for returning it.", "退回须说明理由。"
        )
        evaluation.return_reason = reason
        _move(session, actor, evaluation, target, "department_returned", reason)
    return reading.evaluation_read(session, item, evaluation)


def _in_finance_review(evaluation: SelfEvaluation) -> None:
    if evaluation.status is not EvaluationStatus.finance_review:
        raise RuleViolation(
            "EVALUATION_NOT_IN_FINANCE_REVIEW",
            "Finance adjusts and grades a self-evaluation while it is in finance review (S2.4).",
            "财政部门在审核阶段调整自评得分、评定等级（S2.4）。",
            extra={"evaluation_status": evaluation.status.value},
        )


def _not_graded(evaluation: SelfEvaluation) -> None:
    if evaluation.status is EvaluationStatus.graded:
        raise RuleViolation(
            "EVALUATION_GRADED",
            "The self-evaluation is graded; its result stands.",
            "该绩效自评已评定等级，不能再变更。",
        )


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
    _in_finance_review(evaluation)
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
    reason = _required(
        data.reason,
        "REASON_REQUIRED",
        "Give the reason for the adjustment.",
        "调整得分须说明理由。",
    )
    before = _snapshot(evaluation)
    line.adjusted_points = data.points
    line.adjustment_reason = reason
    if not evaluation.third_party_adopted:
        evaluation.final_score = reading.adjusted_score(evaluation)
    session.flush()
    _record(session, actor, "line_adjusted", evaluation, before)
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
    filing.check_transition_to(evaluation.status, target)
    check_version(evaluation.version, expected_version)
    finding = _required(
        data.finding,
        "FINDING_REQUIRED",
        "State the finding on truthfulness and completeness (S2.4).",
        "须出具真实性、完整性审核意见（S2.4）。",
    )
    evaluation.finance_finding = finding
    if target is EvaluationStatus.returned:
        evaluation.return_reason = finding
        _move(session, actor, evaluation, target, "finance_returned", finding)
        return reading.evaluation_read(session, item, evaluation)
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    final = (
        evaluation.third_party_score
        if evaluation.third_party_adopted and evaluation.third_party_score is not None
        else reading.adjusted_score(evaluation)
    )
    implied = scoring.grade_of(final, parameters.grade_bands)
    override_reason = None
    if data.grade_override is not None and data.grade_override is not implied:
        override_reason = _required(
            data.override_reason,
            "REASON_REQUIRED",
            "A grade other than the final score's needs the reason.",
            "评定等级与最终得分对应等级不一致的，须说明理由。",
        )
    approved = reading.target_lines(session, item) or []
    evaluation.completeness = reading.completeness(session, item, evaluation, approved, parameters)
    evaluation.final_score = final
    evaluation.grade = data.grade_override or implied
    evaluation.grade_override_reason = override_reason
    evaluation.graded_at = clock.utcnow()
    evaluation.graded_by_id = actor.user_id
    _move(session, actor, evaluation, target, "graded", override_reason)
    events.emit(
        session,
        EventType.evaluation_graded,
        {
            "item_id": item.id,
            "item_code": item.code,
            "organisation_code": item.organisation.code,
            "fiscal_year": item.fiscal_year.year,
            "final_score": str(final),
            "grade": (data.grade_override or implied).value,
        },
    )
    return reading.evaluation_read(session, item, evaluation)


# --- third party -------------------------------------------------------------------------------


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
    _not_graded(evaluation)
    check_version(evaluation.version, expected_version)
    user = repository.user(session, data.third_party_id)
    if user is None or user.role is not Role.third_party or not user.is_active:
        raise RuleViolation(
            "NOT_A_THIRD_PARTY",
            "Commission an active third-party agency account.",
            "须委托在用的第三方机构账号。",
            extra={"third_party_id": data.third_party_id},
        )
    before = _snapshot(evaluation)
    if evaluation.third_party_id != user.id:
        evaluation.third_party_id = user.id
        evaluation.third_party_score = None
        evaluation.third_party_report = None
        evaluation.third_party_submitted_at = None
        if evaluation.third_party_adopted:
            evaluation.third_party_adopted = False
            evaluation.final_score = reading.adjusted_score(evaluation)
    session.flush()
    _record(session, actor, "third_party_commissioned", evaluation, before)
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
    _not_graded(evaluation)
    check_version(evaluation.version, expected_version)
    before = _snapshot(evaluation)
    evaluation.third_party_score = data.score
    evaluation.third_party_report = data.report
    evaluation.third_party_submitted_at = clock.utcnow()
    if evaluation.third_party_adopted:
        evaluation.final_score = data.score
    session.flush()
    _record(session, actor, "third_party_evaluated", evaluation, before)
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
    _in_finance_review(evaluation)
    check_version(evaluation.version, expected_version)
    if evaluation.third_party_score is None:
        raise RuleViolation(
            "THIRD_PARTY_SCORE_MISSING",
            "No third-party score has been submitted yet.",
            "第三方机构尚未提交评价得分。",
        )
    before = _snapshot(evaluation)
    evaluation.third_party_adopted = True
    evaluation.final_score = evaluation.third_party_score
    session.flush()
    _record(session, actor, "third_party_adopted", evaluation, before)
    return reading.evaluation_read(session, item, evaluation)
