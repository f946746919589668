"""The total of DOMAIN §3 and its grade: the sum of the lines' rounded points, read against
the year's grade bands."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perfbudget.evaluations.models import Grade
from perfbudget.evaluations.score_lines import ROUNDING_RULE, ZERO, LineScore
from perfbudget.fiscal_years.parameters import GradeBands


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
