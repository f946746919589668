"""Filing checks on a target set (S2.2.2, DOMAIN §3): run on submit and on demand."""

from collections import Counter
from decimal import Decimal

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.fiscal_years.parameters import RuleParameters, ScoreWeights
from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.targets.baseline import Baseline, weaker_than_before
from perfbudget.targets.findings import FilingCheck, name_key, plain
from perfbudget.targets.models import TargetLine, TargetSet

OVERALL_ASPECTS = [c for c in IndicatorCategory if c.is_overall_aspect]


def run_checks(
    item: BudgetItem,
    target_set: TargetSet,
    parameters: RuleParameters,
    *,
    baseline: Baseline,
    known_names: set[str],
) -> list[FilingCheck]:
    """All failed checks, blocking first; an empty list means the set may be filed."""
    lines = target_set.lines
    overall = item.kind is ItemKind.department_overall
    checks: list[FilingCheck] = []
    if not target_set.overall_goal.strip():
        checks.append(
            FilingCheck(
                "OVERALL_GOAL_REQUIRED",
                "blocking",
                "须填写总体绩效目标。",
                "State the overall performance goal.",
            )
        )
    if not lines:
        checks.append(
            FilingCheck(
                "INDICATORS_REQUIRED", "blocking", "须设置绩效指标。", "Add performance indicators."
            )
        )
        return checks
    checks += _categories(lines, overall)
    checks += _values(lines)
    checks += _weights(lines, parameters)
    checks += _duplicates(lines)
    if overall:
        checks += _aspects(lines)
    else:
        checks += level_weights(lines, parameters.score_weights)
        checks += _coverage(item, lines)
    if sum(1 for line in lines if line.direction is Direction.qualitative) * 2 > len(lines):
        checks.append(
            FilingCheck(
                "MOSTLY_QUALITATIVE",
                "warning",
                "定性指标超过半数，目标应尽量细化量化。",
                "More than half the indicators are qualitative; quantify them.",
            )
        )
    checks += weaker_than_before(lines, baseline)
    checks += _outside_framework(lines, known_names)
    return sorted(checks, key=lambda check: (check.severity != "blocking", check.line or 0))


def _categories(lines: list[TargetLine], overall: bool) -> list[FilingCheck]:
    wrong = [line for line in lines if line.category.is_overall_aspect != overall]
    zh = (
        "部门整体绩效目标须按六个方面设置。"
        if overall
        else "项目和政策指标须使用产出、成本、效益、满意度下的二级指标。"
    )
    en = (
        "Overall targets use the six aspects of S2.2.3."
        if overall
        else "Project and policy indicators use the second-level categories of §3."
    )
    return [
        FilingCheck(
            "CATEGORY_NOT_ALLOWED",
            "blocking",
            zh,
            en,
            line.position,
            "S2.2.3" if overall else "S2.2.1",
        )
        for line in wrong
    ]


def _values(lines: list[TargetLine]) -> list[FilingCheck]:
    checks = []
    for line in lines:
        if line.direction.is_quantitative and (line.target_value is None or not line.unit):
            checks.append(
                FilingCheck(
                    "QUANTITATIVE_VALUE_REQUIRED",
                    "blocking",
                    f"定量指标“{line.name}”须填写指标值和计量单位。",
                    f"The quantitative indicator '{line.name}' needs a target value and a unit.",
                    line.position,
                )
            )
        if (
            line.direction is Direction.qualitative
            and not (line.qualitative_standard or "").strip()
        ):
            checks.append(
                FilingCheck(
                    "QUALITATIVE_STANDARD_REQUIRED",
                    "blocking",
                    f"定性指标“{line.name}”须写明评判标准。",
                    f"The qualitative indicator '{line.name}' needs its standard.",
                    line.position,
                )
            )
    return checks


def _weights(lines: list[TargetLine], parameters: RuleParameters) -> list[FilingCheck]:
    share = Decimal(100) - parameters.score_weights.budget_execution
    total = sum((line.weight for line in lines), Decimal(0))
    if total == share:
        return []
    return [
        FilingCheck(
            "WEIGHTS_MUST_TOTAL",
            "blocking",
            f"指标权重合计为 {plain(total)} 分，应为 {plain(share)} 分（本年度指标分值）。",
            f"Indicator weights add up to {plain(total)}; the year's indicator share is "
            f"{plain(share)}.",
            None,
            "§3",
            {"expected": plain(share), "found": plain(total)},
        )
    ]


# §3 scores a project's or policy's indicators by first level; cost indicators (财预〔2021〕
# 101号) have no points of their own and count with output, as the provinces' 产出指标（含成本
# 指标）does. The six aspects of a department's overall targets (S2.2.3) are not split.
SCORED_LEVEL = {
    FirstLevel.output: FirstLevel.output,
    FirstLevel.cost: FirstLevel.output,
    FirstLevel.effect: FirstLevel.effect,
    FirstLevel.satisfaction: FirstLevel.satisfaction,
}
SCORED_LEVELS = (FirstLevel.output, FirstLevel.effect, FirstLevel.satisfaction)


def expected_level_weights(
    weights: ScoreWeights, *, has_satisfaction: bool
) -> dict[FirstLevel, Decimal]:
    """The year's points per level (§3); without a satisfaction indicator its points go to
    effect."""
    if has_satisfaction:
        return {
            FirstLevel.output: weights.output,
            FirstLevel.effect: weights.effect,
            FirstLevel.satisfaction: weights.satisfaction,
        }
    return {
        FirstLevel.output: weights.output,
        FirstLevel.effect: weights.effect + weights.satisfaction,
        FirstLevel.satisfaction: Decimal(0),
    }


def level_weights(lines: list[TargetLine], weights: ScoreWeights) -> list[FilingCheck]:
    """A project's or policy's line weights per level equal the year's score weights (§3):
    output (with cost) 50, effect 30, satisfaction 10 by default."""
    found = dict.fromkeys(SCORED_LEVELS, Decimal(0))
    for line in lines:
        level = SCORED_LEVEL.get(line.category.first_level)
        if level is not None:
            found[level] += line.weight
    has_satisfaction = any(line.category.first_level is FirstLevel.satisfaction for line in lines)
    expected = expected_level_weights(weights, has_satisfaction=has_satisfaction)
    wrong = [level for level in SCORED_LEVELS if found[level] != expected[level]]
    if not wrong:
        return []
    with_cost = any(line.category.first_level is FirstLevel.cost for line in lines)
    zh, en = [], []
    for level in wrong:
        name_zh, name_en = level.label_zh, level.label_en.lower()
        if level is FirstLevel.output and with_cost:
            name_zh, name_en = f"{name_zh}（含成本指标）", f"{name_en} (with cost)"
        moved_zh = moved_en = ""
        if level is FirstLevel.effect and not has_satisfaction and weights.satisfaction:
            moved_zh = f"（未设满意度指标，其 {plain(weights.satisfaction)} 分计入效益指标）"
            moved_en = (
                f" (with satisfaction's {plain(weights.satisfaction)}: the set has no "
                "satisfaction indicator)"
            )
        zh.append(
            f"{name_zh}应为 {plain(expected[level])} 分{moved_zh}，实为 {plain(found[level])} 分"
        )
        en.append(
            f"{name_en} expected {plain(expected[level])}{moved_en}, found {plain(found[level])}"
        )
    data = {
        f"{level.value}_{which}": plain(figures[level])
        for level in SCORED_LEVELS
        for which, figures in (("expected", expected), ("found", found))
    }
    return [
        FilingCheck(
            "LEVEL_WEIGHTS_MISMATCH",
            "blocking",
            f"各级指标权重与本年度分值不符：{'；'.join(zh)}（§3）。",
            f"The level weights differ from the year's: {'; '.join(en)} (§3).",
            None,
            "§3",
            data,
        )
    ]


def _duplicates(lines: list[TargetLine]) -> list[FilingCheck]:
    counts = Counter(name_key(line.name) for line in lines)
    seen: set[str] = set()
    checks = []
    for line in lines:
        key = name_key(line.name)
        if counts[key] > 1 and key in seen:
            checks.append(
                FilingCheck(
                    "DUPLICATE_INDICATOR",
                    "blocking",
                    f"指标“{line.name}”重复设置。",
                    f"The indicator '{line.name}' appears twice.",
                    line.position,
                )
            )
        seen.add(key)
    return checks


def _coverage(item: BudgetItem, lines: list[TargetLine]) -> list[FilingCheck]:
    levels = {line.category.first_level for line in lines}
    checks = []
    if FirstLevel.output not in levels:
        checks.append(
            FilingCheck(
                "OUTPUT_INDICATOR_REQUIRED",
                "blocking",
                "须至少设置一项产出指标。",
                "Add at least one output indicator.",
            )
        )
    if FirstLevel.effect not in levels:
        checks.append(
            FilingCheck(
                "EFFECT_INDICATOR_REQUIRED",
                "blocking",
                "须至少设置一项效益指标。",
                "Add at least one effect indicator.",
            )
        )
    if item.serves_public and FirstLevel.satisfaction not in levels:
        checks.append(
            FilingCheck(
                "SATISFACTION_INDICATOR_EXPECTED",
                "warning",
                "面向社会公众的项目宜设置服务对象满意度指标。",
                "An item serving the public should measure satisfaction.",
            )
        )
    return checks


def _aspects(lines: list[TargetLine]) -> list[FilingCheck]:
    present = {line.category for line in lines}
    return [
        FilingCheck(
            "ASPECT_MISSING",
            "warning",
            f"部门整体绩效目标缺少“{aspect.label_zh}”方面。",
            f"The overall targets say nothing on '{aspect.label_en}'.",
            None,
            "S2.2.3",
        )
        for aspect in OVERALL_ASPECTS
        if aspect not in present
    ]


def _outside_framework(lines: list[TargetLine], known_names: set[str]) -> list[FilingCheck]:
    known = {name_key(name) for name in known_names}
    return [
        FilingCheck(
            "OUTSIDE_FRAMEWORK",
            "warning",
            f"指标“{line.name}”不在共性指标框架和部门指标库中。",
            f"'{line.name}' is in neither the common framework nor the department's library.",
            line.position,
            "S2.2.1",
        )
        for line in lines
        if line.library_indicator_id is None
        and line.framework_indicator_id is None
        and name_key(line.name) not in known
    ]
