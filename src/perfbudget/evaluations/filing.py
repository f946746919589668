"""The rules of filing a self-evaluation (S2.4), as pure functions over loaded facts: the
single evaluation's endpoints and a batch upload load the facts their own way and call
these same functions."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from perfbudget import figures
from perfbudget.audit import service as audit
from perfbudget.budget_items import rules
from perfbudget.budget_items.models import BudgetItem, ItemStatus
from perfbudget.errors import RuleViolation, Unprocessable
from perfbudget.evaluations import reading, scoring
from perfbudget.evaluations.models import EDITABLE, EvaluationLine, EvaluationStatus, SelfEvaluation
from perfbudget.evaluations.schemas import EvaluationDraft, EvaluationLineIn, Sections
from perfbudget.fiscal_years.models import FiscalYearStatus
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import evaluation as monitoring_lines
from perfbudget.principal import Actor
from perfbudget.targets import service as target_service
from perfbudget.targets.models import TargetLine
from perfbudget.versioning import check_version
from perfbudget.workflow import ReviewChain, Trail


def _trail(evaluation: SelfEvaluation) -> Trail:
    """A move's audit event carries the scores and the grade, and the item."""
    scores = {
        "computed_score": evaluation.computed_score,
        "final_score": evaluation.final_score,
        "grade": evaluation.grade,
    }
    return Trail(scores, {"item_id": evaluation.item_id})


CHAIN = ReviewChain(
    "self-evaluation",
    "绩效自评",
    states=EvaluationStatus,
    outcomes=(EvaluationStatus.graded,),
    audited=SelfEvaluation,
    recorder=audit.record,
    trail=_trail,
)


# --- what may be filed, and when -------------------------------------------------------------


def check_applicable(item: BudgetItem) -> None:
    if item.status is not ItemStatus.funded or item.kind not in reading.EVALUATED_KINDS:
        raise RuleViolation(
            "EVALUATION_NOT_APPLICABLE",
            "Self-evaluations are filed for funded projects, policies and department overall "
            "budgets (S2.4).",
            "已安排预算的项目、政策和部门整体支出开展绩效自评（S2.4）。",
            extra={"item_status": item.status.value, "kind": item.kind.value},
        )


def check_open(item: BudgetItem, parameters: RuleParameters, today: date) -> None:
    """S2.4: on the budget-preparation calendar, once the budget is executed."""
    opens, due = parameters.self_evaluation_opens, parameters.self_evaluation_due
    if (
        item.fiscal_year.status not in (FiscalYearStatus.executing, FiscalYearStatus.closed)
        or (opens is not None and today < opens)
        or (due is not None and today > due)
    ):
        raise RuleViolation(
            "EVALUATION_NOT_OPEN",
            "Self-evaluations are filed once the budget is executed, within the window the "
            "fiscal year sets (S2.4).",
            "绩效自评在预算执行后、按年度规定的时间窗口内开展（S2.4）。",
            extra={
                "fiscal_year_status": item.fiscal_year.status.value,
                "opens_on": None if opens is None else opens.isoformat(),
                "due_on": None if due is None else due.isoformat(),
            },
        )


def check_filer(actor: Actor, item: BudgetItem, parameters: RuleParameters, today: date) -> None:
    """The owner files, for an item evaluated, within the year's window."""
    rules.require_owner_side(actor, item)
    check_applicable(item)
    check_open(item, parameters, today)


def check_editable(evaluation: SelfEvaluation) -> None:
    if evaluation.status not in EDITABLE:
        raise RuleViolation(
            "EVALUATION_NOT_EDITABLE",
            "Only a draft or returned self-evaluation can be changed.",
            "仅草稿或退回状态的绩效自评可以修改。",
            extra={"evaluation_status": evaluation.status.value},
        )


# --- the draft -------------------------------------------------------------------------------


def share_out_of_band(line_id: int, name: str, error: scoring.ShareOutOfBand) -> Unprocessable:
    """The refusal names the band in points of the line's weight, as the evaluator thinks."""
    band_zh, band_en = scoring.band_text(error.status, error.band, error.weight)
    low, high = error.points
    share = figures.plain(error.share)
    return Unprocessable(
        "QUALITATIVE_SHARE_OUT_OF_BAND",
        f"'{name}': the share {share}% of the weight lies outside its level's band — "
        f"{band_en} (§3).",
        f"“{name}”：评价比例 {share}% 不在该达成等级的区间内——{band_zh}（§3）。",
        extra={
            "target_line_id": line_id,
            "target_line_ids": [line_id],
            "band": {
                "low": str(error.band.low),
                "high": str(error.band.high),
                "low_points": str(low),
                "high_points": str(high),
                "weight": str(error.weight),
            },
        },
    )


def checked_lines(
    data: list[EvaluationLineIn], approved: Sequence[TargetLine], parameters: RuleParameters
) -> list[EvaluationLineIn]:
    by_id = target_service.answered_lines(approved, [entry.target_line_id for entry in data])
    mismatched = []
    for entry in data:
        qualitative = by_id[entry.target_line_id].direction is Direction.qualitative
        if qualitative:
            wrong = entry.final_actual is not None or (
                entry.qualitative_share is not None and entry.qualitative_status is None
            )
        else:
            wrong = entry.qualitative_status is not None or entry.qualitative_share is not None
        if wrong:
            mismatched.append(entry.target_line_id)
    if mismatched:
        raise Unprocessable(
            "LINE_VALUE_MISMATCH",
            "Quantitative lines take a final actual, qualitative lines a level and a share.",
            "定量指标填写实际完成值，定性指标填写达成等级和评价比例。",
            extra={"target_line_ids": mismatched},
        )
    monitoring_lines.check_actuals(
        by_id, [(entry.target_line_id, entry.final_actual) for entry in data]
    )
    for entry in data:
        if entry.qualitative_status is not None and entry.qualitative_share is not None:
            target = by_id[entry.target_line_id]
            try:
                scoring.check_share(
                    parameters.qualitative_bands,
                    entry.qualitative_status,
                    entry.qualitative_share,
                    weight=target.weight,
                )
            except scoring.ShareOutOfBand as error:
                raise share_out_of_band(target.id, target.name, error) from None
    return data


@dataclass(frozen=True)
class Draft:
    final_execution: Decimal
    sections: dict[str, Any]
    lines: list[EvaluationLineIn]


def check_startable(
    item: BudgetItem,
    parameters: RuleParameters,
    approved: Sequence[TargetLine] | None,
    today: date,
) -> Sequence[TargetLine]:
    """A self-evaluation can be started, whoever asks (S2.4): the item is evaluated, the
    year's window is open, and its targets are approved (the lines in force are returned)."""
    check_applicable(item)
    check_open(item, parameters, today)
    return reading.require_approved(approved)


def draft(
    actor: Actor,
    item: BudgetItem,
    data: EvaluationDraft,
    *,
    approved: Sequence[TargetLine] | None,
    stored: SelfEvaluation | None,
    disbursed: Decimal,
    parameters: RuleParameters,
    today: date,
    expected_version: int | None,
) -> Draft:
    """Every rule of saving the draft: the first that refuses raises."""
    rules.require_owner_side(actor, item)
    lines_in_force = check_startable(item, parameters, approved, today)
    execution = rules.stated_execution(
        item, data.final_execution, disbursed, "Final execution", "执行数"
    )
    lines = checked_lines(data.lines, lines_in_force, parameters)
    if stored is not None:
        check_editable(stored)
        check_version(stored.version, expected_version)
    return Draft(execution, data.sections.model_dump(), lines)


def first_draft(
    item: BudgetItem,
    *,
    approved: Sequence[TargetLine] | None,
    disbursed: Decimal,
    parameters: RuleParameters,
    today: date,
) -> Draft:
    """The draft a self-evaluation starts from before its first save, for whoever may read
    the item: what a save of every approved line unanswered would store (the final execution
    disbursed); refused where that save would be, the owner's check aside."""
    lines_in_force = check_startable(item, parameters, approved, today)
    lines = [EvaluationLineIn(target_line_id=target.id) for target in lines_in_force]
    return Draft(disbursed, Sections().model_dump(), lines)


# --- submission ------------------------------------------------------------------------------


def submit(
    item: BudgetItem,
    evaluation: SelfEvaluation,
    approved: Sequence[TargetLine] | None,
    *,
    parameters: RuleParameters,
    history: dict[int, list[tuple[int, Decimal]]],
    attachments: int,
    now: datetime,
) -> dict[str, Any]:
    """Score the evaluation (after ``CHAIN.check_submission``): complete, scored line by line,
    explained (§3, S2.4), with its plausibility flags and completeness checklist. Sets them
    on ``evaluation`` (stored or about to be) and its lines, and returns the evaluation's
    own fields it set."""
    lines_in_force = list(reading.require_approved(approved))
    check_complete(evaluation, lines_in_force)
    current = {target.id for target in lines_in_force}
    evaluation.lines = [line for line in evaluation.lines if line.target_line_id in current]
    answers = reading.answers(evaluation, lines_in_force)
    try:
        card = reading.scorecard(item, evaluation, answers, parameters)
    except scoring.ShareOutOfBand as error:  # the year's bands changed since the draft
        line_id = error.target_line_id or 0
        names = {target.id: target.name for target in lines_in_force}
        raise share_out_of_band(line_id, names.get(line_id, ""), error) from None
    check_explained(card, evaluation)
    points = {line.target_line_id: line.points for line in card.lines}
    for line in evaluation.lines:
        line.computed_points = points[line.target_line_id]
        line.adjusted_points = None
        line.adjustment_reason = None
    fields: dict[str, Any] = {
        "scoring": card.document(),
        "computed_score": card.total,
        "final_score": card.total,
        "plausibility_flags": reading.plausibility(
            item, evaluation, card, answers, parameters, history
        ),
        "completeness": reading.completeness_of(
            item, evaluation, lines_in_force, parameters, card, attachments=attachments
        ),
        "third_party_adopted": False,
        "submitted_at": now,
        "return_reason": None,
    }
    for name, value in fields.items():
        setattr(evaluation, name, value)
    return fields


def check_complete(evaluation: SelfEvaluation, approved: list[TargetLine]) -> None:
    missing = reading.unanswered(evaluation, approved)
    if missing:
        raise RuleViolation(
            "EVALUATION_INCOMPLETE",
            "Evaluate every approved indicator: a final actual, or a level and a share for "
            f"qualitative ones (S2.4); missing: {', '.join(t.name for t in missing)}.",
            f"须逐项自评批复的绩效指标（S2.4）；缺少：{'、'.join(t.name for t in missing)}。",
            extra={"lines": [{"target_line_id": t.id, "name": t.name} for t in missing]},
        )


def check_explained(card: scoring.Scorecard, evaluation: SelfEvaluation) -> None:
    explanations = {line.target_line_id: line.explanation.strip() for line in evaluation.lines}
    missing = [
        line
        for line in card.lines
        if scoring.needs_explanation(line) and not explanations.get(line.target_line_id or 0)
    ]
    if missing:
        raise RuleViolation(
            "EXPLANATION_REQUIRED",
            "Explain every indicator below its target and every over-achievement from the "
            f"threshold (§3, S2.4): {', '.join(line.name for line in missing)}.",
            f"未完成目标或超额完成达到阈值的指标须说明原因（§3、S2.4）："
            f"{'、'.join(line.name for line in missing)}。",
            extra={
                "lines": [
                    {
                        "target_line_id": line.target_line_id,
                        "name": line.name,
                        "below_target": line.below_target,
                        "over_achieved": line.over_achieved,
                    }
                    for line in missing
                ]
            },
        )


def new_line(entry: EvaluationLineIn) -> EvaluationLine:
    return EvaluationLine(**entry.model_dump())
