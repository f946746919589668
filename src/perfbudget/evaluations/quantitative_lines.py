"""Quantitative lines of DOMAIN §3: budget execution, and the indicators measured against a
target value (positive, reverse, and a target of 0)."""

from decimal import Decimal

from perfbudget import figures
from perfbudget.evaluations.score_lines import (
    CLAUSE,
    EXACT,
    LineAnswer,
    LineScore,
    Working,
    computed,
    decided,
    noted,
    plain,
    rounded,
    scored,
)

# --- budget execution ----------------------------------------------------------------------


def execution_score(weight: Decimal, final_execution: Decimal, approved: Decimal) -> LineScore:
    """min(execution rate × weight, weight); execution rate = final execution ÷ approved."""
    inputs = {
        "final_execution": str(final_execution),
        "approved_amount": str(approved),
        "weight": str(weight),
    }
    if approved > 0:
        points, working = computed(
            ("执行数 ÷ 批复数 × 分值", "final execution ÷ approved × weight"),
            f"{plain(final_execution)} ÷ {plain(approved)} × {plain(weight)}",
            EXACT.divide(EXACT.multiply(final_execution, weight), approved),
            weight,
        )
        rate = rounded(figures.percent(final_execution, approved))
        working = noted(
            working,
            f"{CLAUSE} 预算执行按执行率 × 分值计分，至多 {plain(weight)} 分：执行率 {rate}%",
            f"{CLAUSE} budget execution scores the rate × the weight, at most {plain(weight)}: "
            f"execution rate {rate}%",
        )
    else:
        points, working = decided(
            ("批复数为 0", "nothing approved"), f"{plain(approved)}", False, weight
        )
        working = noted(
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
        parameters={"weight": plain(weight)},
        below_target=final_execution < approved,
    )


# --- indicators ----------------------------------------------------------------------------


def zero_target_score(line: LineAnswer, actual: Decimal) -> LineScore:
    """A target of 0 with = or a reverse direction: met by an actual of at most 0."""
    met = actual <= 0
    points, working = decided(
        (
            "目标值为 0，实际值 ≤ 0 得满分，否则 0 分",
            "target 0: full weight when actual ≤ 0, else 0",
        ),
        f"{plain(actual)} {'≤' if met else '>'} 0",
        met,
        line.weight,
    )
    return scored(
        line,
        points,
        noted(
            working,
            f"{CLAUSE} 目标值为 0 的“=”或反向指标：实际值 ≤ 0 得满分，否则 0 分",
            f"{CLAUSE} a target of 0 with = or a reverse direction: full weight when the actual is "
            "at most 0, else 0",
        ),
        {"target_value": "0", "actual": plain(actual), "weight": str(line.weight)},
        {"weight": plain(line.weight)},
        below_target=not met,
    )


def _over_achievement(achievement: Decimal, threshold: Decimal) -> tuple[bool, str, str]:
    over = achievement >= threshold
    if over:
        return (
            over,
            f"完成率 {achievement}% 达到超额完成阈值 {plain(threshold)}%，须说明原因",
            f"achievement {achievement}% reaches the over-achievement threshold "
            f"{plain(threshold)}%: a reason is required",
        )
    return (
        over,
        f"完成率 {achievement}%，低于超额完成阈值 {plain(threshold)}%",
        f"achievement {achievement}%, below the over-achievement threshold {plain(threshold)}%",
    )


def _positive_zero_target(line: LineAnswer, actual: Decimal) -> tuple[Decimal, Working, bool]:
    """≥ 0 or > 0: met by any non-negative actual."""
    met = actual >= 0
    points, working = decided(
        (
            "目标值为 0，实际值 ≥ 0 得满分，否则 0 分",
            "target 0: full weight when actual ≥ 0, else 0",
        ),
        f"{plain(actual)} {'≥' if met else '<'} 0",
        met,
        line.weight,
    )
    return (
        points,
        noted(
            working,
            f"{CLAUSE} 正向指标，目标值为 0：实际值 ≥ 0 即达到目标",
            f"{CLAUSE} positive line with a target of 0: any actual of at least 0 meets it",
        ),
        met,
    )


def _positive_points(line: LineAnswer, target: Decimal, actual: Decimal) -> tuple[Decimal, Working]:
    """The full weight when the target is met, else the share of the target reached."""
    if actual >= target:
        points, working = decided(
            ("实际值 ≥ 目标值", "actual ≥ target"),
            f"{plain(actual)} ≥ {plain(target)}",
            True,
            line.weight,
        )
        return points, noted(
            working,
            f"{CLAUSE} 正向指标达到目标值得满分",
            f"{CLAUSE} a positive line that meets its target scores the full weight",
        )
    points, working = computed(
        ("实际值 ÷ 目标值 × 分值", "actual ÷ target × weight"),
        f"{plain(actual)} ÷ {plain(target)} × {plain(line.weight)}",
        EXACT.divide(EXACT.multiply(actual, line.weight), target),
        line.weight,
    )
    return points, noted(
        working,
        f"{CLAUSE} 正向指标未达目标值，按完成比例计分",
        f"{CLAUSE} a positive line below its target scores its share of the target",
    )


def positive_score(
    line: LineAnswer, target: Decimal, actual: Decimal, threshold: Decimal
) -> LineScore:
    inputs = {"target_value": plain(target), "actual": plain(actual), "weight": str(line.weight)}
    parameters = {"weight": plain(line.weight), "over_achievement_threshold": plain(threshold)}
    if target == 0:
        points, working, met = _positive_zero_target(line, actual)
        return scored(
            line,
            points,
            working,
            inputs,
            parameters,
            below_target=not met,
        )
    achievement = rounded(figures.percent(actual, target))
    over, over_zh, over_en = _over_achievement(achievement, threshold)
    points, working = _positive_points(line, target, actual)
    return scored(
        line,
        points,
        noted(working, over_zh, over_en, last=True),
        inputs,
        parameters,
        below_target=actual < target,
        over_achieved=over,
        achievement=achievement,
    )


def _reverse_points(line: LineAnswer, target: Decimal, actual: Decimal) -> tuple[Decimal, Working]:
    """Full weight within the target, 0 from twice it, the share over it lost in between."""
    if actual <= target:
        points, working = decided(
            ("实际值 ≤ 目标值", "actual ≤ target"),
            f"{plain(actual)} ≤ {plain(target)}",
            True,
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标不超过目标值得满分",
            f"{CLAUSE} a reverse line within its target scores the full weight",
        )
    elif actual < 2 * target:
        points, working = computed(
            (
                "(1 − (实际值 − 目标值) ÷ 目标值) × 分值",
                "(1 − (actual − target) ÷ target) × weight",
            ),
            f"(1 − ({plain(actual)} − {plain(target)}) ÷ {plain(target)}) × {plain(line.weight)}",
            EXACT.multiply(1 - EXACT.divide(actual - target, target), line.weight),
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标超出目标值、低于 2 倍目标值，按超出比例扣分",
            f"{CLAUSE} a reverse line above its target and below twice it loses the share it "
            "is over",
        )
    else:
        points, working = decided(
            ("实际值 ≥ 2 × 目标值", "actual ≥ 2 × target"),
            f"{plain(actual)} ≥ 2 × {plain(target)}",
            False,
            line.weight,
        )
        case = (
            f"{CLAUSE} 反向指标达到 2 倍目标值及以上得 0 分",
            f"{CLAUSE} a reverse line at twice its target or more scores 0",
        )
    return points, noted(working, *case)


def reverse_score(line: LineAnswer, target: Decimal, actual: Decimal) -> LineScore:
    points, working = _reverse_points(line, target, actual)
    return scored(
        line,
        points,
        working,
        {"target_value": plain(target), "actual": plain(actual), "weight": str(line.weight)},
        {"weight": plain(line.weight)},
        below_target=actual > target,
    )
