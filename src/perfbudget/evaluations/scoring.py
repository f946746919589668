"""The self-evaluation score of DOMAIN §3, as pure functions of Decimals.

Rounding rule (``figures``, the one for every figure shown): each line's points (budget
execution and every indicator) are computed exactly, bounded to 0…weight, then rounded half
up to 0.01; the total is the sum of the rounded lines, so the lines shown always add up to
the total, and the grade and the over-achievement threshold are read from the figures shown.
Every line comes with its formula with the numbers filled in, the parameters used and an
explanation naming the clause, any bound applied and the rounding rule.

Indicator weights are those set in the approved targets; the filing check already made
them total the indicator share (90). "Without satisfaction indicators their weight goes to
effect" (§3) is therefore already in the line weights and is not redistributed here."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfbudget import figures
from perfbudget.evaluations.models import Grade
from perfbudget.fiscal_years.parameters import Band, GradeBands, Plausibility, QualitativeBands
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus

_EXACT = figures.EXACT
_HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
CLAUSE = "§3"
ROUNDING_RULE = (
    f"{figures.RULE_EN[0].upper()}{figures.RULE_EN[1:]}: each line's points are computed "
    "exactly, bounded to 0…weight and rounded; the total is the sum of the rounded lines."
)
ROUNDING_RULE_ZH = (
    f"{figures.RULE_ZH}：各项得分精确计算、限定在 0 至分值之间后舍入，总分为各项舍入后得分之和。"
)


class ShareOutOfBand(ValueError):
    """A qualitative share outside its level's band (§3); ``weight``: the line's, to name
    the band in points."""

    def __init__(
        self,
        share: Decimal,
        band: Band,
        target_line_id: int | None = None,
        *,
        status: QualitativeStatus,
        weight: Decimal,
    ) -> None:
        super().__init__(f"{share} outside {band.low}–{band.high}")
        self.share = share
        self.band = band
        self.target_line_id = target_line_id
        self.status = status
        self.weight = weight

    @property
    def points(self) -> tuple[Decimal, Decimal]:
        return band_points(self.band, self.weight)


def rounded(value: Decimal) -> Decimal:
    return figures.shown(value)


_plain = figures.plain


def band_points(band: Band, weight: Decimal) -> tuple[Decimal, Decimal]:
    """A qualitative band in points of a line's weight (80 %–100 % of 10: 8.00–10.00)."""
    return (
        rounded(_EXACT.divide(_EXACT.multiply(band.low, weight), _HUNDRED)),
        rounded(_EXACT.divide(_EXACT.multiply(band.high, weight), _HUNDRED)),
    )


def band_text(status: QualitativeStatus, band: Band, weight: Decimal) -> tuple[str, str]:
    """ "部分达成: 60%–80%，即本项 30 分中的 18.00–24.00 分" and its English."""
    low, high = band_points(band, weight)
    return (
        f"{status.label_zh}：{_plain(band.low)}%–{_plain(band.high)}%，即本项 {_plain(weight)} 分"
        f"中的 {low}–{high} 分",
        f"{status.label_en.lower()}: {_plain(band.low)}%–{_plain(band.high)}%, "
        f"{low}–{high} points of this line's {_plain(weight)}",
    )


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
class Working:
    """How a line's points came about, in both languages: the formula with the numbers
    filled in (ending with the points), and why that formula (the case of §3 applied, any
    bound, the threshold read)."""

    formula_zh: str
    formula_en: str
    notes_zh: tuple[str, ...] = ()
    notes_en: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineScore:
    target_line_id: int | None
    name: str
    weight: Decimal
    points: Decimal  # bounded to 0…weight and rounded by the one rule
    working: Working
    inputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    below_target: bool = False
    over_achieved: bool = False
    achievement: Decimal | None = None  # actual ÷ target, % as shown (positive lines)
    answered: bool = True

    @property
    def formula_zh(self) -> str:
        return self.working.formula_zh

    @property
    def formula_en(self) -> str:
        return self.working.formula_en

    @property
    def explanation_zh(self) -> str:
        return "；".join((*self.working.notes_zh, figures.RULE_ZH)) + "。"

    @property
    def explanation_en(self) -> str:
        return "; ".join((*self.working.notes_en, figures.RULE_EN)) + "."

    def document(self) -> dict[str, Any]:
        return {
            "target_line_id": self.target_line_id,
            "name": self.name,
            "weight": str(self.weight),
            "formula": {"zh": self.formula_zh, "en": self.formula_en},
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "inputs": self.inputs,
            "parameters": self.parameters,
            "points": str(self.points),
            "achievement": None if self.achievement is None else str(self.achievement),
            "answered": self.answered,
            "below_target": self.below_target,
            "over_achieved": self.over_achieved,
        }


def _computed(
    template: tuple[str, str], numbers: str, exact: Decimal, weight: Decimal
) -> tuple[Decimal, Working]:
    """A formula's points: ``exact`` bounded to 0…weight (§3: never below 0, never above
    the weight), rounded; the working shows the numbers, the bound when one applied."""
    points = rounded(max(Decimal(0), min(exact, weight)))
    value = rounded(exact)
    zh = f"{template[0]} = {numbers} = {value}"
    en = f"{template[1]} = {numbers} = {value}"
    if exact < 0:
        return points, Working(
            f"{zh} → {points}",
            f"{en} → {points}",
            (f"得分不低于 0 分：计算值 {value} 按 0 分计",),
            (f"a score is never below 0: {value} counts as 0",),
        )
    if exact > weight:
        return points, Working(
            f"{zh} → {points}",
            f"{en} → {points}",
            (f"得分不超过分值 {_plain(weight)}：计算值 {value} 按 {points} 分计",),
            (f"a score never passes the weight {_plain(weight)}: {value} counts as {points}",),
        )
    return points, Working(zh, en)


def _decided(
    condition: tuple[str, str], numbers: str, full: bool, weight: Decimal
) -> tuple[Decimal, Working]:
    """Points by a condition met or not: the full weight, or 0."""
    points = rounded(weight) if full else ZERO
    return points, Working(
        f"{condition[0]}：{numbers}，得{'满分' if full else ''} {points} 分",
        f"{condition[1]}: {numbers}, {'full weight ' if full else ''}{points} points",
    )


def _noted(working: Working, zh: str, en: str, *, last: bool = False) -> Working:
    """``working`` with a note added: first (the case of §3 applied), or last."""
    notes_zh = (*working.notes_zh, zh) if last else (zh, *working.notes_zh)
    notes_en = (*working.notes_en, en) if last else (en, *working.notes_en)
    return Working(working.formula_zh, working.formula_en, notes_zh, notes_en)


# --- budget execution ----------------------------------------------------------------------


def execution_score(weight: Decimal, final_execution: Decimal, approved: Decimal) -> LineScore:
    """min(execution rate × weight, weight); execution rate = final execution ÷ approved."""
    inputs = {
        "final_execution": str(final_execution),
        "approved_amount": str(approved),
        "weight": str(weight),
    }
    if approved > 0:
        points, working = _computed(
            ("执行数 ÷ 批复数 × 分值", "final execution ÷ approved × weight"),
            f"{_plain(final_execution)} ÷ {_plain(approved)} × {_plain(weight)}",
            _EXACT.divide(_EXACT.multiply(final_execution, weight), approved),
            weight,
        )
        rate = rounded(figures.percent(final_execution, approved))
        working = _noted(
            working,
            f"{CLAUSE} 预算执行按执行率 × 分值计分，至多 {_plain(weight)} 分：执行率 {rate}%",
            f"{CLAUSE} budget execution scores the rate × the weight, at most {_plain(weight)}: "
            f"execution rate {rate}%",
        )
    else:
        points, working = _decided(
            ("批复数为 0", "nothing approved"), f"{_plain(approved)}", False, weight
        )
        working = _noted(
            working,
            f"{CLAUSE} 预算执行按执行率 × 分值计分：批复数为 0，无执行率可计",
            f"{CLAUSE} budget execution scores the rate × the weight: nothing approved, no rate",
        )
    return LineScore(
        target_line_id=None,
        name="预算执行率",
        weight=weight,
        points=points,
        working=working,
        inputs=inputs,
        parameters={"weight": _plain(weight)},
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
    *,
    weight: Decimal,
) -> None:
    band = qualitative_band(bands, status)
    if not band.low <= share <= band.high:
        raise ShareOutOfBand(share, band, target_line_id, status=status, weight=weight)


def _qualitative(line: LineAnswer, bands: QualitativeBands, preview: bool) -> LineScore:
    status, share = line.qualitative_status, line.qualitative_share
    assert status is not None and share is not None
    band = qualitative_band(bands, status)
    zh, en = band_text(status, band, line.weight)
    low, high = band_points(band, line.weight)
    inputs = {
        "qualitative_status": status.value,
        "qualitative_share": str(share),
        "weight": str(line.weight),
    }
    parameters = {
        "weight": _plain(line.weight),
        "band_low": _plain(band.low),
        "band_high": _plain(band.high),
        "band_points": f"{low}–{high}",
    }
    try:
        check_share(bands, status, share, line.target_line_id, weight=line.weight)
    except ShareOutOfBand:
        if not preview:
            raise
        # a draft saved before the year's bands changed: submitting will refuse it
        return LineScore(
            line.target_line_id,
            line.name,
            line.weight,
            ZERO,
            Working(
                f"评价比例 {_plain(share)}% 不在区间内：暂计 0 分",
                f"share {_plain(share)}% outside the band: 0 points for now",
                (f"{CLAUSE} 定性指标按达成等级在区间内评分（{zh}），提交时将被拒绝",),
                (
                    f"{CLAUSE} qualitative lines score within their level's band ({en}); "
                    "submitting will refuse it",
                ),
            ),
            inputs,
            parameters,
            below_target=status is not QualitativeStatus.achieved,
        )
    points, working = _computed(
        ("评价比例 × 分值", "share × weight"),
        f"{_plain(share)}% × {_plain(line.weight)}",
        _EXACT.divide(_EXACT.multiply(share, line.weight), _HUNDRED),
        line.weight,
    )
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        points,
        _noted(
            working,
            f"{CLAUSE} 定性指标在达成等级的区间内评分：{zh}",
            f"{CLAUSE} qualitative lines score within their level's band: {en}",
        ),
        inputs,
        parameters,
        below_target=status is not QualitativeStatus.achieved,
    )


def _zero_target(line: LineAnswer, actual: Decimal) -> LineScore:
    met = actual <= 0
    points, working = _decided(
        (
            "目标值为 0，实际值 ≤ 0 得满分，否则 0 分",
            "target 0: full weight when actual ≤ 0, else 0",
        ),
        f"{_plain(actual)} {'≤' if met else '>'} 0",
        met,
        line.weight,
    )
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        points,
        _noted(
            working,
            f"{CLAUSE} 目标值为 0 的“=”或反向指标：实际值 ≤ 0 得满分，否则 0 分",
            f"{CLAUSE} a target of 0 with = or a reverse direction: full weight when the actual is "
            "at most 0, else 0",
        ),
        {"target_value": "0", "actual": _plain(actual), "weight": str(line.weight)},
        {"weight": _plain(line.weight)},
        below_target=not met,
    )


def _over_achievement(achievement: Decimal, threshold: Decimal) -> tuple[bool, str, str]:
    over = achievement >= threshold
    if over:
        return (
            over,
            f"完成率 {achievement}% 达到超额完成阈值 {_plain(threshold)}%，须说明原因",
            f"achievement {achievement}% reaches the over-achievement threshold "
            f"{_plain(threshold)}%: a reason is required",
        )
    return (
        over,
        f"完成率 {achievement}%，低于超额完成阈值 {_plain(threshold)}%",
        f"achievement {achievement}%, below the over-achievement threshold {_plain(threshold)}%",
    )


def _positive(line: LineAnswer, target: Decimal, actual: Decimal, threshold: Decimal) -> LineScore:
    inputs = {"target_value": _plain(target), "actual": _plain(actual), "weight": str(line.weight)}
    parameters = {"weight": _plain(line.weight), "over_achievement_threshold": _plain(threshold)}
    if target == 0:  # ≥ 0 or > 0: met by any non-negative actual
        met = actual >= 0
        points, working = _decided(
            (
                "目标值为 0，实际值 ≥ 0 得满分，否则 0 分",
                "target 0: full weight when actual ≥ 0, else 0",
            ),
            f"{_plain(actual)} {'≥' if met else '<'} 0",
            met,
            line.weight,
        )
        return LineScore(
            line.target_line_id,
            line.name,
            line.weight,
            points,
            _noted(
                working,
                f"{CLAUSE} 正向指标，目标值为 0：实际值 ≥ 0 即达到目标",
                f"{CLAUSE} positive line with a target of 0: any actual of at least 0 meets it",
            ),
            inputs,
            parameters,
            below_target=not met,
        )
    achievement = rounded(figures.percent(actual, target))
    over, over_zh, over_en = _over_achievement(achievement, threshold)
    if actual >= target:
        points, working = _decided(
            ("实际值 ≥ 目标值", "actual ≥ target"),
            f"{_plain(actual)} ≥ {_plain(target)}",
            True,
            line.weight,
        )
        case_zh, case_en = (
            f"{CLAUSE} 正向指标达到目标值得满分",
            f"{CLAUSE} a positive line that meets its target scores the full weight",
        )
    else:
        points, working = _computed(
            ("实际值 ÷ 目标值 × 分值", "actual ÷ target × weight"),
            f"{_plain(actual)} ÷ {_plain(target)} × {_plain(line.weight)}",
            _EXACT.divide(_EXACT.multiply(actual, line.weight), target),
            line.weight,
        )
        case_zh, case_en = (
            f"{CLAUSE} 正向指标未达目标值，按完成比例计分",
            f"{CLAUSE} a positive line below its target scores its share of the target",
        )
    working = _noted(_noted(working, case_zh, case_en), over_zh, over_en, last=True)
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        points,
        working,
        inputs,
        parameters,
        below_target=actual < target,
        over_achieved=over,
        achievement=achievement,
    )


def _reverse(line: LineAnswer, target: Decimal, actual: Decimal) -> LineScore:
    inputs = {"target_value": _plain(target), "actual": _plain(actual), "weight": str(line.weight)}
    if actual <= target:
        points, working = _decided(
            ("实际值 ≤ 目标值", "actual ≤ target"),
            f"{_plain(actual)} ≤ {_plain(target)}",
            True,
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标不超过目标值得满分",
            f"{CLAUSE} a reverse line within its target scores the full weight",
        )
    elif actual < 2 * target:
        points, working = _computed(
            (
                "(1 − (实际值 − 目标值) ÷ 目标值) × 分值",
                "(1 − (actual − target) ÷ target) × weight",
            ),
            f"(1 − ({_plain(actual)} − {_plain(target)}) ÷ {_plain(target)}) × "
            f"{_plain(line.weight)}",
            _EXACT.multiply(1 - _EXACT.divide(actual - target, target), line.weight),
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标超出目标值、低于 2 倍目标值，按超出比例扣分",
            f"{CLAUSE} a reverse line above its target and below twice it loses the share it "
            "is over",
        )
    else:
        points, working = _decided(
            ("实际值 ≥ 2 × 目标值", "actual ≥ 2 × target"),
            f"{_plain(actual)} ≥ 2 × {_plain(target)}",
            False,
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标达到 2 倍目标值及以上得 0 分",
            f"{CLAUSE} a reverse line at twice its target or more scores 0",
        )
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
        points,
        _noted(working, *case),
        inputs,
        {"weight": _plain(line.weight)},
        below_target=actual > target,
    )


def _unanswered(line: LineAnswer) -> LineScore:
    """A draft's line not answered yet: listed with 0 points, as submitting would refuse it."""
    return LineScore(
        line.target_line_id,
        line.name,
        line.weight,
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
        {"weight": _plain(line.weight)},
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
        return _qualitative(line, bands, preview)
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
        # the shares as shown, and their difference: the flag reads the figures it shows
        indicator_share = rounded(figures.percent(card.indicator_points, card.indicator_weight))
        execution_share = rounded(figures.percent(execution.points, execution.weight))
        gap = indicator_share - execution_share
        if gap > parameters.score_execution_gap:
            flags.append(
                _flag(
                    "SCORE_OUT_OF_LINE_WITH_EXECUTION",
                    f"指标得分率比预算执行得分率高 {gap} 个百分点，超过 "
                    f"{parameters.score_execution_gap}。",
                    f"The indicator score share exceeds the execution score share by "
                    f"{gap} points, more than {parameters.score_execution_gap}.",
                    indicator_share=str(indicator_share),
                    execution_share=str(execution_share),
                    gap=str(gap),
                )
            )
    if approved > 0:
        unspent = rounded(figures.percent(approved - final_execution, approved))
        if unspent > parameters.unspent_share:
            flags.append(
                _flag(
                    "LARGE_UNSPENT_SHARE",
                    f"结余 {unspent}%，超过 {parameters.unspent_share}%。",
                    f"{unspent}% unspent, more than {parameters.unspent_share}%.",
                    unspent_share=str(unspent),
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
