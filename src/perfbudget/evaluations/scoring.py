"""The self-evaluation score of DOMAIN §3, as pure functions of Decimals.

Rounding rule: each line's points (budget execution and every indicator) are computed
exactly, then rounded half-up to two decimals; the total is the sum of the rounded lines,
so the lines shown always add up to the total. Grades compare that total with the fiscal
year's grade bands. Every line comes with its formula and inputs.

Indicator weights are those set in the approved targets; the filing check already made
them total the indicator share (90). "Without satisfaction indicators their weight goes to
effect" (§3) is therefore already in the line weights and is not redistributed here."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from perfbudget.evaluations.models import Grade
from perfbudget.fiscal_years.parameters import Band, GradeBands, Plausibility, QualitativeBands
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus

_EXACT = Context(prec=60)
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDING_RULE = (
    "Each line's points are computed exactly and rounded half-up to 2 decimals; the total "
    "is the sum of the rounded lines."
)


class ShareOutOfBand(ValueError):
    """A qualitative share outside its level's band (§3)."""

    def __init__(self, share: Decimal, band: Band, target_line_id: int | None = None) -> None:
        super().__init__(f"{share} outside {band.low}–{band.high}")
        self.share = share
        self.band = band
        self.target_line_id = target_line_id


def rounded(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _clamp(value: Decimal, weight: Decimal) -> Decimal:
    return max(Decimal(0), min(value, weight))


@dataclass(frozen=True)
class LineAnswer:
    """An indicator line as scored: the target's side and the evaluator's answer."""

    target_line_id: int
    name: str
    direction: Direction
    weight: Decimal
    target_value: Decimal | None
    final_actual: Decimal | None = None
    qualitative_status: QualitativeStatus | None = None
    qualitative_share: Decimal | None = None


@dataclass(frozen=True)
class LineScore:
    target_line_id: int | None
    name: str
    weight: Decimal
    exact: Decimal
    formula_zh: str
    formula_en: str
    inputs: dict[str, str] = field(default_factory=dict)
    below_target: bool = False
    over_achieved: bool = False
    achievement: Decimal | None = None  # actual ÷ target, % (positive lines)

    @property
    def points(self) -> Decimal:
        return rounded(self.exact)

    def document(self) -> dict[str, Any]:
        return {
            "target_line_id": self.target_line_id,
            "name": self.name,
            "weight": str(self.weight),
            "formula": {"zh": self.formula_zh, "en": self.formula_en},
            "inputs": self.inputs,
            "points": str(self.points),
            "below_target": self.below_target,
            "over_achieved": self.over_achieved,
        }


# --- budget execution ----------------------------------------------------------------------


def execution_score(weight: Decimal, final_execution: Decimal, approved: Decimal) -> LineScore:
    """min(execution rate × weight, weight); execution rate = final execution ÷ approved."""
    exact = (
        _clamp(_EXACT.divide(_EXACT.multiply(final_execution, weight), approved), weight)
        if approved > 0
        else Decimal(0)
    )
    return LineScore(
        target_line_id=None,
        name="预算执行率",
        weight=weight,
        exact=exact,
        formula_zh="min(执行数 ÷ 批复数 × 分值, 分值)",
        formula_en="min(final execution ÷ approved × weight, weight)",
        inputs={
            "final_execution": str(final_execution),
            "approved_amount": str(approved),
            "weight": str(weight),
        },
        below_target=final_execution < approved,
    )


# --- indicators ----------------------------------------------------------------------------


def qualitative_band(bands: QualitativeBands, status: QualitativeStatus) -> Band:
    band: Band = getattr(bands, status.value)
    return band


def check_share(
    bands: QualitativeBands,
    status: QualitativeStatus,
    share: Decimal,
    target_line_id: int | None = None,
) -> None:
    band = qualitative_band(bands, status)
    if not band.low <= share <= band.high:
        raise ShareOutOfBand(share, band, target_line_id)


def _qualitative(line: LineAnswer, bands: QualitativeBands) -> LineScore:
    assert line.qualitative_status is not None and line.qualitative_share is not None
    check_share(bands, line.qualitative_status, line.qualitative_share, line.target_line_id)
    band = qualitative_band(bands, line.qualitative_status)
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        _EXACT.divide(_EXACT.multiply(line.qualitative_share, line.weight), _HUNDRED),
        f"评价比例 × 分值（{line.qualitative_status.label_zh}：{band.low}%–{band.high}%）",
        f"share × weight ({line.qualitative_status.value}: {band.low}%–{band.high}%)",
        {
            "qualitative_status": line.qualitative_status.value,
            "qualitative_share": str(line.qualitative_share),
            "weight": str(line.weight),
        },
        below_target=line.qualitative_status is not QualitativeStatus.achieved,
    )


def _zero_target(line: LineAnswer, actual: Decimal) -> LineScore:
    met = actual <= 0
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        line.weight if met else Decimal(0),
        "目标值为 0：实际值 ≤ 0 得满分，否则 0 分",
        "target 0: full weight when actual ≤ 0, else 0",
        {"target_value": "0", "actual": _plain(actual), "weight": str(line.weight)},
        below_target=not met,
    )


def _positive(line: LineAnswer, target: Decimal, actual: Decimal, threshold: Decimal) -> LineScore:
    inputs = {"target_value": _plain(target), "actual": _plain(actual), "weight": str(line.weight)}
    if target == 0:  # ≥ 0 or > 0: met by any non-negative actual
        met = actual >= 0
        return LineScore(
            line.target_line_id,
            line.name,
            line.weight,
            line.weight if met else Decimal(0),
            "目标值为 0：实际值 ≥ 0 得满分，否则 0 分",
            "target 0: full weight when actual ≥ 0, else 0",
            inputs,
            below_target=not met,
        )
    achievement = _EXACT.divide(_EXACT.multiply(actual, _HUNDRED), target)
    if actual >= target:
        exact, zh, en = line.weight, "实际值 ≥ 目标值：满分", "actual ≥ target: full weight"
    else:
        exact = _clamp(_EXACT.divide(_EXACT.multiply(actual, line.weight), target), line.weight)
        zh, en = "实际值 ÷ 目标值 × 分值", "actual ÷ target × weight"
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        exact,
        zh,
        en,
        inputs,
        below_target=actual < target,
        over_achieved=achievement >= threshold,
        achievement=achievement,
    )


def _reverse(line: LineAnswer, target: Decimal, actual: Decimal) -> LineScore:
    inputs = {"target_value": _plain(target), "actual": _plain(actual), "weight": str(line.weight)}
    if actual <= target:
        exact, zh, en = line.weight, "实际值 ≤ 目标值：满分", "actual ≤ target: full weight"
    elif actual < 2 * target:
        share = 1 - _EXACT.divide(actual - target, target)
        exact = _EXACT.multiply(share, line.weight)
        zh = "(1 − (实际值 − 目标值) ÷ 目标值) × 分值"
        en = "(1 − (actual − target) ÷ target) × weight"
    else:
        exact, zh, en = Decimal(0), "实际值 ≥ 2 × 目标值：0 分", "actual ≥ 2 × target: 0"
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        _clamp(exact, line.weight),
        zh,
        en,
        inputs,
        below_target=actual > target,
    )


def line_score(line: LineAnswer, bands: QualitativeBands, threshold: Decimal) -> LineScore:
    """One indicator's points (§3); raises ShareOutOfBand for a qualitative share outside
    its level's band. The line must be answered (see ``answered``)."""
    if line.direction is Direction.qualitative:
        return _qualitative(line, bands)
    assert line.final_actual is not None and line.target_value is not None
    target, actual = line.target_value, line.final_actual
    if target == 0 and (line.direction is Direction.eq or line.direction.is_reverse):
        return _zero_target(line, actual)
    if line.direction.is_reverse:
        return _reverse(line, target, actual)
    return _positive(line, target, actual, threshold)


def answered(line: LineAnswer) -> bool:
    if line.direction is Direction.qualitative:
        return line.qualitative_status is not None and line.qualitative_share is not None
    return line.final_actual is not None and line.target_value is not None


# --- the total and the grade ---------------------------------------------------------------


def grade_of(score: Decimal, bands: GradeBands) -> Grade:
    if score >= bands.excellent_from:
        return Grade.excellent
    if score >= bands.good_from:
        return Grade.good
    if score >= bands.fair_from:
        return Grade.fair
    return Grade.poor


@dataclass(frozen=True)
class Scorecard:
    execution: LineScore
    lines: list[LineScore]
    grade_bands: GradeBands

    @property
    def indicator_points(self) -> Decimal:
        return sum((line.points for line in self.lines), ZERO)

    @property
    def indicator_weight(self) -> Decimal:
        return sum((line.weight for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.execution.points + self.indicator_points

    @property
    def grade(self) -> Grade:
        return grade_of(self.total, self.grade_bands)

    def document(self) -> dict[str, Any]:
        return {
            "rounding": ROUNDING_RULE,
            "execution": self.execution.document(),
            "lines": [line.document() for line in self.lines],
            "execution_points": str(self.execution.points),
            "indicator_points": str(self.indicator_points),
            "total": str(self.total),
            "grade": self.grade.value,
            "grade_bands": {
                name: str(value) for name, value in self.grade_bands.model_dump().items()
            },
        }


def score(
    *,
    execution_weight: Decimal,
    final_execution: Decimal,
    approved: Decimal,
    lines: Iterable[LineAnswer],
    bands: QualitativeBands,
    grade_bands: GradeBands,
    over_achievement_threshold: Decimal,
) -> Scorecard:
    """The whole score of the answered lines."""
    return Scorecard(
        execution=execution_score(execution_weight, final_execution, approved),
        lines=[line_score(line, bands, over_achievement_threshold) for line in lines],
        grade_bands=grade_bands,
    )


def needs_explanation(line: LineScore) -> bool:
    """§3 and S2.4: a shortfall, and an over-achievement from the threshold, are explained."""
    return line.below_target or line.over_achieved


# --- plausibility (the finance bureau's truthfulness check) -------------------------------


def _flag(code: str, zh: str, en: str, **inputs: Any) -> dict[str, Any]:
    return {"code": code, "message": {"zh": zh, "en": en}, "inputs": inputs}


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
    flags = []
    execution = card.execution
    if card.indicator_weight > 0 and execution.weight > 0:
        indicator_share = _EXACT.divide(card.indicator_points * _HUNDRED, card.indicator_weight)
        execution_share = _EXACT.divide(execution.points * _HUNDRED, execution.weight)
        gap = indicator_share - execution_share
        if gap > parameters.score_execution_gap:
            flags.append(
                _flag(
                    "SCORE_OUT_OF_LINE_WITH_EXECUTION",
                    f"指标得分率比预算执行得分率高 {rounded(gap)} 个百分点，超过 "
                    f"{parameters.score_execution_gap}。",
                    f"The indicator score share exceeds the execution score share by "
                    f"{rounded(gap)} points, more than {parameters.score_execution_gap}.",
                    indicator_share=str(rounded(indicator_share)),
                    execution_share=str(rounded(execution_share)),
                    gap=str(rounded(gap)),
                )
            )
    if approved > 0:
        unspent = _EXACT.divide((approved - final_execution) * _HUNDRED, approved)
        if unspent > parameters.unspent_share:
            flags.append(
                _flag(
                    "LARGE_UNSPENT_SHARE",
                    f"结余 {rounded(unspent)}%，超过 {parameters.unspent_share}%。",
                    f"{rounded(unspent)}% unspent, more than {parameters.unspent_share}%.",
                    unspent_share=str(rounded(unspent)),
                )
            )
    for answer in answers:
        if answer.final_actual is None or answer.direction is Direction.qualitative:
            continue
        reverse = answer.direction.is_reverse
        for month, earlier in history.get(answer.target_line_id, []):
            contradicts = (
                answer.final_actual > earlier if reverse else answer.final_actual < earlier
            )
            if contradicts:
                flags.append(
                    _flag(
                        "FINAL_CONTRADICTS_MONITORING",
                        f"“{answer.name}”年终实际值 {_plain(answer.final_actual)} "
                        f"{'高于' if reverse else '低于'} {month} 月监控累计值 {_plain(earlier)}。",
                        f"'{answer.name}': final {_plain(answer.final_actual)} is "
                        f"{'above' if reverse else 'below'} month {month}'s cumulative "
                        f"{_plain(earlier)}.",
                        target_line_id=answer.target_line_id,
                        month=month,
                        monitored=_plain(earlier),
                        final=_plain(answer.final_actual),
                    )
                )
                break
    return flags
