"""Filing checks on a target set (S2.2.2, DOMAIN §3): run on submit and on demand.

Each check is blocking (the set cannot be submitted) or a warning (the reviewer should look)."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.fiscal_years.parameters import RuleParameters
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

    @property
    def message(self) -> str:
        return pick(self.zh, self.en)


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def run_checks(
    item: BudgetItem,
    target_set: TargetSet,
    parameters: RuleParameters,
    *,
    previous_lines: list[TargetLine],
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
    checks += _weaker_than_before(lines, previous_lines)
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
            f"指标权重合计为 {total} 分，应为 {share} 分（本年度指标分值）。",
            f"Indicator weights add up to {total}; the year's indicator share is {share}.",
            None,
            "§3",
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


def _weaker_than_before(lines: list[TargetLine], previous: list[TargetLine]) -> list[FilingCheck]:
    """A continued item should not aim lower than last year's approved target."""
    before = {
        _key(line.name): (line.target_value, line.direction.is_reverse)
        for line in previous
        if line.target_value is not None
    }
    checks = []
    for line in lines:
        old = before.get(_key(line.name))
        if old is None or line.target_value is None or not line.direction.is_quantitative:
            continue
        old_value, old_reverse = old
        if old_reverse != line.direction.is_reverse:
            continue
        weaker = (
            line.target_value > old_value
            if line.direction.is_reverse
            else line.target_value < old_value
        )
        if weaker:
            checks.append(
                FilingCheck(
                    "WEAKER_THAN_LAST_YEAR",
                    "warning",
                    f"指标“{line.name}”目标值 {line.target_value} 低于上年 {old_value}。",
                    f"'{line.name}' aims at {line.target_value}, weaker than last year's "
                    f"{old_value}.",
                    line.position,
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
