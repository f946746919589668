"""Filing checks on a target set (S2.2.2, DOMAIN §3): run on submit and on demand.

Each check is blocking (the set cannot be submitted) or a warning (the reviewer should look)."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.fiscal_years.parameters import RuleParameters, ScoreWeights
from perfbudget.i18n import pick
from perfbudget.indicators.models import Direction, FirstLevel, IndicatorCategory
from perfbudget.targets.models import TargetLine, TargetSet

Severity = Literal["blocking", "warning"]
OVERALL_ASPECTS = [c for c in IndicatorCategory if c.is_overall_aspect]


@dataclass(frozen=True)
class FilingCheck:
    code: str
    severity: Severity
    zh: str
    en: str
    line: int | None = None
    clause: str = "S2.2.2"
    # the figures the message names, decimals as plain strings
    data: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return pick(self.zh, self.en)


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def _plain(value: Decimal) -> str:
    """50.00 → "50", 12.50 → "12.5": a weight or a value as a person writes it."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Baseline:
    """What a line must not aim below (WEAKER_THAN_LAST_YEAR): last year's approved lines of
    a continued item with their graded self-evaluation's final actuals by line id, or, for
    an adjustment, the version in force (``in_force``)."""

    lines: list[TargetLine] = field(default_factory=list)
    actuals: Mapping[int, Decimal] = field(default_factory=dict)
    in_force: bool = False


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
    checks += _weaker_than_before(lines, baseline)
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
            f"指标权重合计为 {_plain(total)} 分，应为 {_plain(share)} 分（本年度指标分值）。",
            f"Indicator weights add up to {_plain(total)}; the year's indicator share is "
            f"{_plain(share)}.",
            None,
            "§3",
            {"expected": _plain(share), "found": _plain(total)},
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
            moved_zh = f"（未设满意度指标，其 {_plain(weights.satisfaction)} 分计入效益指标）"
            moved_en = (
                f" (with satisfaction's {_plain(weights.satisfaction)}: the set has no "
                "satisfaction indicator)"
            )
        zh.append(
            f"{name_zh}应为 {_plain(expected[level])} 分{moved_zh}，实为 {_plain(found[level])} 分"
        )
        en.append(
            f"{name_en} expected {_plain(expected[level])}{moved_en}, found {_plain(found[level])}"
        )
    data = {
        f"{level.value}_{which}": _plain(figures[level])
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
    counts = Counter(_key(line.name) for line in lines)
    seen: set[str] = set()
    checks = []
    for line in lines:
        key = _key(line.name)
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


# what a weaker target is compared with: (zh, en) of its name in the message
COMPARED_WITH = {
    "last_year_actual": ("上年实际值", "last year's actual"),
    "last_year_target": ("上年目标值", "last year's target"),
    "approved_target": ("现行批复目标值", "the target in force"),
}


def _compared(line: TargetLine, baseline: Baseline) -> tuple[str, Decimal] | None:
    """What ``line`` (of the baseline) says was reached: last year's final actual where its
    self-evaluation was graded, else its approved target."""
    if baseline.in_force:
        return None if line.target_value is None else ("approved_target", line.target_value)
    actual = baseline.actuals.get(line.id)
    if actual is not None:
        return "last_year_actual", actual
    return None if line.target_value is None else ("last_year_target", line.target_value)


def _weaker_than_before(lines: list[TargetLine], baseline: Baseline) -> list[FilingCheck]:
    """A continued item should not aim lower than last year reached — its final actual, or
    its approved target where there is none — nor an adjustment lower than the target in
    force."""
    before: dict[str, tuple[str, Decimal, bool]] = {}
    for last in baseline.lines:
        reached = _compared(last, baseline)
        if reached is not None and last.direction.is_quantitative:
            before[_key(last.name)] = (*reached, last.direction.is_reverse)
    checks = []
    for line in lines:
        old = before.get(_key(line.name))
        if old is None or line.target_value is None or not line.direction.is_quantitative:
            continue
        basis, old_value, old_reverse = old
        if old_reverse != line.direction.is_reverse:
            continue
        weaker = (
            line.target_value > old_value
            if line.direction.is_reverse
            else line.target_value < old_value
        )
        if weaker:
            target, compared = _plain(line.target_value), _plain(old_value)
            basis_zh, basis_en = COMPARED_WITH[basis]
            checks.append(
                FilingCheck(
                    "WEAKER_THAN_LAST_YEAR",
                    "warning",
                    f"指标“{line.name}”目标值 {target} 弱于{basis_zh} {compared}。",
                    f"'{line.name}' aims at {target}, weaker than {basis_en} {compared}.",
                    line.position,
                    data={
                        "target_value": target,
                        "compared_with": basis,
                        "compared_value": compared,
                    },
                )
            )
    return checks


def _outside_framework(lines: list[TargetLine], known_names: set[str]) -> list[FilingCheck]:
    known = {_key(name) for name in known_names}
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
        and _key(line.name) not in known
    ]
