"""The finance bureau's truthfulness check of a self-evaluation: flags, not refusals."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from perfbudget import figures
from perfbudget.evaluations.score_lines import LineAnswer, plain, rounded
from perfbudget.evaluations.scorecard import Scorecard
from perfbudget.fiscal_years.parameters import Plausibility
from perfbudget.indicators.models import Direction


def _flag(code: str, zh: str, en: str, **inputs: Any) -> dict[str, Any]:
    return {"code": code, "message": {"zh": zh, "en": en}, "inputs": inputs}


def _execution_gap(card: Scorecard, parameters: Plausibility) -> dict[str, Any] | None:
    """The indicator score share too far above the execution score share."""
    execution = card.execution
    if not (card.indicator_weight > 0 and execution.weight > 0):
        return None
    # the shares as shown, and their difference: the flag reads the figures it shows
    indicator_share = rounded(figures.percent(card.indicator_points, card.indicator_weight))
    execution_share = rounded(figures.percent(execution.points, execution.weight))
    gap = indicator_share - execution_share
    if gap <= parameters.score_execution_gap:
        return None
    return _flag(
        "SCORE_OUT_OF_LINE_WITH_EXECUTION",
        f"指标得分率比预算执行得分率高 {gap} 个百分点，超过 {parameters.score_execution_gap}。",
        f"The indicator score share exceeds the execution score share by "
        f"{gap} points, more than {parameters.score_execution_gap}.",
        indicator_share=str(indicator_share),
        execution_share=str(execution_share),
        gap=str(gap),
    )


def _unspent(
    parameters: Plausibility, final_execution: Decimal, approved: Decimal
) -> dict[str, Any] | None:
    """Much of the approved amount left unspent."""
    if approved <= 0:
        return None
    unspent = rounded(figures.percent(approved - final_execution, approved))
    if unspent <= parameters.unspent_share:
        return None
    return _flag(
        "LARGE_UNSPENT_SHARE",
        f"结余 {unspent}%，超过 {parameters.unspent_share}%。",
        f"{unspent}% unspent, more than {parameters.unspent_share}%.",
        unspent_share=str(unspent),
    )


def _contradiction(answer: LineAnswer, history: list[tuple[int, Decimal]]) -> dict[str, Any] | None:
    """The first month whose cumulative actual the final contradicts: a positive line's final
    below it, a reverse line's above it."""
    final = answer.final_actual
    if final is None or answer.direction is Direction.qualitative:
        return None
    reverse = answer.direction.is_reverse
    for month, earlier in history:
        contradicts = final > earlier if reverse else final < earlier
        if contradicts:
            return _flag(
                "FINAL_CONTRADICTS_MONITORING",
                f"“{answer.name}”年终实际值 {plain(final)} "
                f"{'高于' if reverse else '低于'} {month} 月监控累计值 {plain(earlier)}。",
                f"'{answer.name}': final {plain(final)} is "
                f"{'above' if reverse else 'below'} month {month}'s cumulative "
                f"{plain(earlier)}.",
                target_line_id=answer.target_line_id,
                month=month,
                monitored=plain(earlier),
                final=plain(final),
            )
    return None


def plausibility_flags(
    card: Scorecard,
    *,
    parameters: Plausibility,
    final_execution: Decimal,
    approved: Decimal,
    answers: Sequence[LineAnswer],
    history: dict[int, list[tuple[int, Decimal]]],
) -> list[dict[str, Any]]:
    """Flags, not refusals: score out of line with execution; much left unspent; final
    actuals contradicting the monthly reports (``history``: line id → (month, cumulative
    actual)). A positive line's final below an earlier month's actual, a reverse line's
    above it, contradicts the history."""
    found = [
        _execution_gap(card, parameters),
        _unspent(parameters, final_execution, approved),
        *(_contradiction(answer, history.get(answer.target_line_id, [])) for answer in answers),
    ]
    return [flag for flag in found if flag is not None]
