"""What a continued item's or an adjustment's targets are compared with (S2.2.2): a line
should not aim below what last year reached, nor an adjustment below the target in force."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from perfbudget.targets.findings import FilingCheck, name_key, plain
from perfbudget.targets.models import TargetLine


@dataclass(frozen=True)
class Baseline:
    """What a line must not aim below (WEAKER_THAN_LAST_YEAR): last year's approved lines of
    a continued item with their graded self-evaluation's final actuals by line id, or, for
    an adjustment, the version in force (``in_force``)."""

    lines: list[TargetLine] = field(default_factory=list)
    actuals: Mapping[int, Decimal] = field(default_factory=dict)
    in_force: bool = False


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


def weaker_than_before(lines: list[TargetLine], baseline: Baseline) -> list[FilingCheck]:
    """A continued item should not aim lower than last year reached — its final actual, or
    its approved target where there is none — nor an adjustment lower than the target in
    force."""
    before: dict[str, tuple[str, Decimal, bool]] = {}
    for last in baseline.lines:
        reached = _compared(last, baseline)
        if reached is not None and last.direction.is_quantitative:
            before[name_key(last.name)] = (*reached, last.direction.is_reverse)
    checks = []
    for line in lines:
        old = before.get(name_key(line.name))
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
            target, compared = plain(line.target_value), plain(old_value)
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
