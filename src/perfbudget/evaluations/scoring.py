"""The self-evaluation score of DOMAIN §3, as pure functions of Decimals.

Rounding rule (``figures``, the one for every figure shown): each line's points (budget
execution and every indicator) are computed exactly, bounded to 0…weight, then rounded half
up to 0.01; the total is the sum of the rounded lines, so the lines shown always add up to
the total, and the grade and the over-achievement threshold are read from the figures shown.
Every line comes with its formula with the numbers filled in, the parameters used and an
explanation naming the clause, any bound applied and the rounding rule.

Indicator weights are those set in the approved targets; the filing check already made
them total the indicator share (90). "Without satisfaction indicators their weight goes to
effect" (§3) is therefore already in the line weights and is not redistributed here.

This is the public module: the pieces live in ``score_lines`` (a line and its working),
``quantitative_lines``, ``qualitative_lines``, ``scorecard`` (the total and the grade) and
``plausibility`` (the truthfulness flags)."""

from collections.abc import Iterable
from decimal import Decimal

from perfbudget.evaluations.plausibility import plausibility_flags
from perfbudget.evaluations.qualitative_lines import (
    ShareOutOfBand,
    band_points,
    band_text,
    check_share,
    qualitative_band,
    qualitative_score,
)
from perfbudget.evaluations.quantitative_lines import (
    execution_score,
    positive_score,
    reverse_score,
    zero_target_score,
)
from perfbudget.evaluations.score_lines import (
    CLAUSE,
    ROUNDING_RULE,
    ROUNDING_RULE_ZH,
    ZERO,
    LineAnswer,
    LineScore,
    Working,
    plain,
    rounded,
    scored,
)
from perfbudget.evaluations.scorecard import Scorecard, grade_of
from perfbudget.fiscal_years.parameters import GradeBands, QualitativeBands
from perfbudget.indicators.models import Direction

__all__ = [
    "CLAUSE",
    "ROUNDING_RULE",
    "ROUNDING_RULE_ZH",
    "ZERO",
    "LineAnswer",
    "LineScore",
    "Scorecard",
    "ShareOutOfBand",
    "Working",
    "answered",
    "band_points",
    "band_text",
    "check_share",
    "execution_score",
    "grade_of",
    "line_score",
    "needs_explanation",
    "plausibility_flags",
    "qualitative_band",
    "rounded",
    "score",
]


def _unanswered(line: LineAnswer) -> LineScore:
    """A draft's line not answered yet: listed with 0 points, as submitting would refuse it."""
    return scored(
        line,
        ZERO,
        Working(
            "未填报：0 分",
            "not answered: 0 points",
            ("提交前须逐项自评（S2.4），未填报的指标暂计 0 分",),
            (
                "every line is answered before submission (S2.4); an unanswered one counts 0 "
                "for now",
            ),
        ),
        {"weight": str(line.weight)},
        {"weight": plain(line.weight)},
        answered=False,
    )


def line_score(
    line: LineAnswer, bands: QualitativeBands, threshold: Decimal, *, preview: bool = False
) -> LineScore:
    """One indicator's points (§3); raises ShareOutOfBand for a qualitative share outside
    its level's band. ``preview`` (a draft): an unanswered line, or one out of band, is
    listed with 0 points instead."""
    if not answered(line):
        if not preview:
            raise ValueError("an unanswered line has no score")
        return _unanswered(line)
    if line.direction is Direction.qualitative:
        return qualitative_score(line, bands, preview)
    assert line.final_actual is not None and line.target_value is not None
    target, actual = line.target_value, line.final_actual
    if target == 0 and (line.direction is Direction.eq or line.direction.is_reverse):
        return zero_target_score(line, actual)
    if line.direction.is_reverse:
        return reverse_score(line, target, actual)
    return positive_score(line, target, actual, threshold)


def answered(line: LineAnswer) -> bool:
    if line.direction is Direction.qualitative:
        return line.qualitative_status is not None and line.qualitative_share is not None
    return line.final_actual is not None and line.target_value is not None


def score(
    *,
    execution_weight: Decimal,
    final_execution: Decimal,
    approved: Decimal,
    lines: Iterable[LineAnswer],
    bands: QualitativeBands,
    grade_bands: GradeBands,
    over_achievement_threshold: Decimal,
    preview: bool = False,
) -> Scorecard:
    """The whole score of the lines, all answered (and in band) unless ``preview`` (a
    draft: each unanswered line, and any out of band, listed with 0 points)."""
    return Scorecard(
        execution=execution_score(execution_weight, final_execution, approved),
        lines=[
            line_score(line, bands, over_achievement_threshold, preview=preview) for line in lines
        ],
        grade_bands=grade_bands,
    )


def needs_explanation(line: LineScore) -> bool:
    """§3 and S2.4: a shortfall, and an over-achievement from the threshold, are explained."""
    return line.below_target or line.over_achieved
