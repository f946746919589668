"""Reading a self-evaluation: its lines against the approved targets, the score (a preview
while a draft) and the completeness checklist."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.attachments import service as attachment_service
from perfbudget.attachments.models import Attachment
from perfbudget.attachments.schemas import AttachmentRead
from perfbudget.budget_items import access as item_access
from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.errors import RuleViolation, not_found
from perfbudget.evaluations import repository, scoring
from perfbudget.evaluations.models import EDITABLE, EvaluationLine, EvaluationStatus, SelfEvaluation
from perfbudget.evaluations.schemas import (
    SECTIONS,
    EvaluationLineRead,
    EvaluationRead,
    ScoringRead,
)
from perfbudget.exports import Download
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.monitoring import repository as monitoring_repository
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor
from perfbudget.targets import lines_in_force as targets_in_force
from perfbudget.targets.models import TargetLine

ATTACHMENT_OWNER = "self_evaluation"
EVALUATED_KINDS = (ItemKind.project, ItemKind.policy, ItemKind.department_overall)
SECTION_LABELS = {
    "overview": "项目概况",
    "achievements": "绩效目标完成情况",
    "problems": "存在的问题及原因",
    "improvements": "改进措施",
}


def target_lines(session: Session, item: BudgetItem) -> list[TargetLine] | None:
    """The approved lines (a department's overall budget: its overall aspects, S2.2.3)."""
    return targets_in_force.target_lines(session, item)


def require_approved(lines: Sequence[TargetLine] | None) -> Sequence[TargetLine]:
    if lines is None:
        raise RuleViolation(
            "TARGETS_NOT_APPROVED",
            "A self-evaluation measures the approved performance targets; there are none (S2.2.2).",
            "绩效自评以批复的绩效目标为依据，该项目尚无批复的绩效目标（S2.2.2）。",
        )
    return lines


def approved_lines(session: Session, item: BudgetItem) -> list[TargetLine]:
    return list(require_approved(target_lines(session, item)))


def evaluation_of(session: Session, item: BudgetItem) -> SelfEvaluation:
    evaluation = repository.of_item(session, item.id)
    if evaluation is None:
        raise not_found("Self-evaluation", "绩效自评")
    return evaluation


# --- answers and the score -----------------------------------------------------------------


def _answer(target: TargetLine, line: EvaluationLine | None) -> scoring.LineAnswer:
    return scoring.LineAnswer(
        target_line_id=target.id,
        name=target.name,
        direction=target.direction,
        weight=target.weight,
        target_value=target.target_value,
        final_actual=None if line is None else line.final_actual,
        qualitative_status=None if line is None else line.qualitative_status,
        qualitative_share=None if line is None else line.qualitative_share,
    )


def answers(evaluation: SelfEvaluation, approved: list[TargetLine]) -> list[scoring.LineAnswer]:
    """Every approved line with the evaluator's answer, answered or not, in target order."""
    by_id = {line.target_line_id: line for line in evaluation.lines}
    return [_answer(target, by_id.get(target.id)) for target in approved]


def unanswered(evaluation: SelfEvaluation, approved: list[TargetLine]) -> list[TargetLine]:
    given = answers(evaluation, approved)
    return [
        target
        for target, answer in zip(approved, given, strict=True)
        if not scoring.answered(answer)
    ]


def scorecard(
    item: BudgetItem,
    evaluation: SelfEvaluation,
    lines: list[scoring.LineAnswer],
    parameters: RuleParameters,
    *,
    preview: bool = False,
) -> scoring.Scorecard:
    """The score of the answered lines (raises ShareOutOfBand); ``preview`` (a draft): of
    every line, each unanswered or out of band listed with 0 points."""
    return scoring.score(
        execution_weight=parameters.score_weights.budget_execution,
        final_execution=evaluation.final_execution,
        approved=item.approved_amount or scoring.ZERO,
        lines=lines if preview else [line for line in lines if scoring.answered(line)],
        bands=parameters.qualitative_bands,
        grade_bands=parameters.grade_bands,
        over_achievement_threshold=parameters.over_achievement_threshold,
        preview=preview,
    )


def plausibility(
    item: BudgetItem,
    evaluation: SelfEvaluation,
    card: scoring.Scorecard,
    given: list[scoring.LineAnswer],
    parameters: RuleParameters,
    history: dict[int, list[tuple[int, Decimal]]],
) -> list[dict[str, Any]]:
    """The plausibility flags of the score, as submitted or as a draft's preview."""
    return scoring.plausibility_flags(
        card,
        parameters=parameters.plausibility,
        final_execution=evaluation.final_execution,
        approved=item.approved_amount or scoring.ZERO,
        answers=given,
        history=history,
    )


def line_weights(evaluation: SelfEvaluation) -> dict[int, Decimal]:
    """The weights scored at submission, by target line."""
    return {
        int(line["target_line_id"]): Decimal(line["weight"])
        for line in evaluation.scoring.get("lines", [])
    }


def adjusted_score(evaluation: SelfEvaluation) -> Decimal:
    """Execution points plus each line's points, finance's where it adjusted them."""
    execution = Decimal(evaluation.scoring.get("execution_points", "0"))
    return execution + sum(
        (
            line.adjusted_points
            if line.adjusted_points is not None
            else (line.computed_points or scoring.ZERO)
            for line in evaluation.lines
        ),
        scoring.ZERO,
    )


def _attachments(session: Session, evaluation: SelfEvaluation) -> Sequence[Attachment]:
    """The report's attachments; none on the draft an evaluation starts from (not saved)."""
    if evaluation.id is None:
        return []
    return attachment_service.list_for_owner(session, ATTACHMENT_OWNER, evaluation.id)


def _check(code: str, zh: str, en: str, ok: bool, **detail: Any) -> dict[str, Any]:
    return {"code": code, "label": {"zh": zh, "en": en}, "ok": ok, "detail": detail}


def completeness(
    session: Session,
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: list[TargetLine],
    parameters: RuleParameters,
    card: scoring.Scorecard | None = None,
) -> list[dict[str, Any]]:
    """The checklist finance reads before its finding (S2.4: completeness)."""
    attachments = len(_attachments(session, evaluation))
    return completeness_of(item, evaluation, approved, parameters, card, attachments=attachments)


def completeness_of(
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: list[TargetLine],
    parameters: RuleParameters,
    card: scoring.Scorecard | None,
    *,
    attachments: int,
) -> list[dict[str, Any]]:
    """``completeness`` over loaded facts: the number of report attachments."""
    sections = evaluation.sections or {}
    empty = [name for name in SECTIONS if not str(sections.get(name, "")).strip()]
    given = answers(evaluation, approved)
    missing = [line.target_line_id for line in given if not scoring.answered(line)]
    if card is None:
        card = scorecard(item, evaluation, given, parameters, preview=True)
    explanations = {line.target_line_id: line.explanation.strip() for line in evaluation.lines}
    unexplained = [
        line.target_line_id
        for line in card.lines
        if scoring.needs_explanation(line) and not explanations.get(line.target_line_id or 0)
    ]
    return [
        _check(
            "SECTIONS_FILLED", "报告各部分已填写", "Report sections filled", not empty, empty=empty
        ),
        _check(
            "LINES_ANSWERED",
            "绩效指标已逐项自评",
            "Every indicator answered",
            not missing,
            target_line_ids=missing,
        ),
        _check(
            "EXPLANATIONS_PRESENT",
            "偏差及超额完成已说明原因",
            "Shortfalls and over-achievements explained",
            not unexplained,
            target_line_ids=unexplained,
        ),
        _check(
            "ATTACHMENTS_PRESENT",
            "已上传自评报告附件",
            "Report attachments present",
            attachments > 0,
            count=attachments,
        ),
    ]


# --- the read ----------------------------------------------------------------------------------


def _line_read(
    line: EvaluationLine, target: TargetLine, previewed: dict[int | None, Decimal]
) -> EvaluationLineRead:
    """``previewed``: a draft's points by line, what submitting would compute."""
    return EvaluationLineRead(
        target_line_id=target.id,
        position=target.position,
        category=target.category,
        name=target.name,
        direction=target.direction,
        target_value=target.target_value,
        unit=target.unit,
        qualitative_standard=target.qualitative_standard,
        weight=target.weight,
        final_actual=line.final_actual,
        qualitative_status=line.qualitative_status,
        qualitative_share=line.qualitative_share,
        explanation=line.explanation,
        computed_points=previewed.get(target.id, line.computed_points),
        adjusted_points=line.adjusted_points,
        adjustment_reason=line.adjustment_reason,
    )


def _scoring(
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: list[TargetLine],
    parameters: RuleParameters,
) -> tuple[dict[str, Any] | None, scoring.Scorecard | None]:
    if evaluation.status not in EDITABLE:
        return ({**evaluation.scoring, "preview": False} if evaluation.scoring else None), None
    # a draft shows what submitting would score: every line, unanswered ones at 0 points
    card = scorecard(item, evaluation, answers(evaluation, approved), parameters, preview=True)
    return {**card.document(), "preview": True}, card


# what EvaluationRead shows that is not read off the evaluation as stored
_COMPUTED = {
    "item_name",
    "kind",
    "fiscal_year",
    "organisation",
    "approved_amount",
    "sections",
    "lines",
    "scoring",
    "plausibility_flags",
    "completeness",
    "adjusted_score",
    "attachments",
}


def _checks(
    session: Session,
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: list[TargetLine],
    parameters: RuleParameters,
    card: scoring.Scorecard | None,
) -> dict[str, Any]:
    """The flags and the checklist: as stored once submitted (the checklist once graded);
    a draft's are those submitting would raise now, by the same functions."""
    return {
        "plausibility_flags": evaluation.plausibility_flags
        if card is None
        else plausibility(
            item,
            evaluation,
            card,
            answers(evaluation, approved),
            parameters,
            repository.monitoring_history(session, item.id),
        ),
        "completeness": evaluation.completeness
        if evaluation.status is EvaluationStatus.graded
        else completeness(session, item, evaluation, approved, parameters, card),
    }


def evaluation_read(
    session: Session,
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: list[TargetLine] | None = None,
) -> EvaluationRead:
    if approved is None:
        approved = target_lines(session, item) or []
    parameters = fiscal_year_service.rule_parameters(item.fiscal_year)
    document, card = _scoring(item, evaluation, approved, parameters)
    targets = monitoring_repository.target_lines_by_id(
        session, [line.target_line_id for line in evaluation.lines]
    )
    attachments = _attachments(session, evaluation)
    previewed = {} if card is None else {line.target_line_id: line.points for line in card.lines}
    submitted = evaluation.status not in EDITABLE
    stored = [name for name in EvaluationRead.model_fields if name not in _COMPUTED]
    return EvaluationRead.model_validate(
        {
            **{name: getattr(evaluation, name) for name in stored},
            "item_name": item.name,
            "kind": item.kind,
            "fiscal_year": item.fiscal_year.year,
            "organisation": OrganisationRef.model_validate(item.organisation),
            "approved_amount": item.approved_amount or scoring.ZERO,
            "sections": {name: str((evaluation.sections or {}).get(name, "")) for name in SECTIONS},
            "lines": [
                _line_read(line, targets[line.target_line_id], previewed)
                for line in evaluation.lines
            ],
            "scoring": None if document is None else ScoringRead.model_validate(document),
            **_checks(session, item, evaluation, approved, parameters, card),
            "adjusted_score": adjusted_score(evaluation) if submitted else None,
            "attachments": [AttachmentRead.model_validate(a) for a in attachments],
        }
    )


def get_evaluation(session: Session, actor: Actor, item_id: int) -> EvaluationRead:
    item = item_access.get_item(session, actor, item_id)
    return evaluation_read(session, item, evaluation_of(session, item))


def list_attachments(
    session: Session, actor: Actor, item_id: int, page: ListQuery
) -> Page[AttachmentRead]:
    item = item_access.get_item(session, actor, item_id)
    evaluation = evaluation_of(session, item)
    return attachment_service.page_for_owner(session, ATTACHMENT_OWNER, evaluation.id, page)


def download_attachment(
    session: Session, actor: Actor, item_id: int, attachment_id: int
) -> Download:
    item = item_access.get_item(session, actor, item_id)
    evaluation = evaluation_of(session, item)
    return attachment_service.open_for_download(
        session, ATTACHMENT_OWNER, evaluation.id, attachment_id
    )
