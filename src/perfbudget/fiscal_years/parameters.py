"""The rule parameters of DOMAIN §3, per fiscal year, with the national defaults."""

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field, model_validator

from perfbudget.schemas import RequestModel

Percent = Annotated[Decimal, Field(ge=0, le=1000, max_digits=7, decimal_places=2)]
Points = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class ScoreWeights(RequestModel):
    """Self-evaluation points (§3): execution 10; output 50 + effect 30 + satisfaction 10."""

    budget_execution: Points = Decimal("10")
    output: Points = Decimal("50")
    effect: Points = Decimal("30")
    satisfaction: Points = Decimal("10")

    @model_validator(mode="after")
    def _total_is_100(self) -> "ScoreWeights":
        total = self.budget_execution + self.output + self.effect + self.satisfaction
        if total != 100:
            raise ValueError(f"score weights must add up to 100, not {total}")
        return self


class Band(RequestModel):
    low: Percent
    high: Percent

    @model_validator(mode="after")
    def _ordered(self) -> "Band":
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


class QualitativeBands(RequestModel):
    """Share of an indicator's weight the evaluator may give per qualitative level (%)."""

    achieved: Band = Band(low=Decimal("80"), high=Decimal("100"))
    partially_achieved: Band = Band(low=Decimal("60"), high=Decimal("80"))
    not_achieved: Band = Band(low=Decimal("0"), high=Decimal("60"))

    @model_validator(mode="after")
    def _descending(self) -> "QualitativeBands":
        if not (
            self.not_achieved.high <= self.partially_achieved.high <= self.achieved.high <= 100
            and self.not_achieved.low <= self.partially_achieved.low <= self.achieved.low
        ):
            raise ValueError(
                "qualitative bands must rise from not achieved to achieved, within 100"
            )
        return self


class GradeBands(RequestModel):
    """Lowest score of each grade: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below."""

    excellent_from: Points = Decimal("90")
    good_from: Points = Decimal("80")
    fair_from: Points = Decimal("60")

    @model_validator(mode="after")
    def _descending(self) -> "GradeBands":
        if not self.excellent_from > self.good_from > self.fair_from:
            raise ValueError("grade bands must descend: excellent > good > fair")
        return self


class ExecutionLight(RequestModel):
    """Execution rate ÷ time progress (%): below red_below red, below yellow_below yellow."""

    red_below: Percent = Decimal("60")
    yellow_below: Percent = Decimal("80")

    @model_validator(mode="after")
    def _ordered(self) -> "ExecutionLight":
        if not self.red_below <= self.yellow_below:
            raise ValueError("red_below must not exceed yellow_below")
        return self


class IndicatorLight(RequestModel):
    """Actual ÷ (target × m ÷ 12) (%): red, yellow, green, and blue from blue_from (ahead)."""

    red_below: Percent = Decimal("60")
    yellow_below: Percent = Decimal("80")
    blue_from: Percent = Decimal("120")

    @model_validator(mode="after")
    def _ordered(self) -> "IndicatorLight":
        if not self.red_below <= self.yellow_below < self.blue_from:
            raise ValueError("thresholds must satisfy red_below ≤ yellow_below < blue_from")
        return self


class Plausibility(RequestModel):
    """Flags for the finance bureau's truthfulness check of a self-evaluation."""

    score_execution_gap: Percent = Decimal("5")
    unspent_share: Percent = Decimal("20")


class RuleParameters(RequestModel):
    score_weights: ScoreWeights = ScoreWeights()
    qualitative_bands: QualitativeBands = QualitativeBands()
    grade_bands: GradeBands = GradeBands()
    execution_light: ExecutionLight = ExecutionLight()
    indicator_light: IndicatorLight = IndicatorLight()
    over_achievement_threshold: Percent = Field(
        default=Decimal("120"), description="Actual ÷ target (%) from which a reason is required"
    )
    plausibility: Plausibility = Plausibility()
    monitoring_due_day: int = Field(
        default=10, ge=1, le=28, description="Monthly report due by this day of the next month"
    )
    overall_monitoring_due: str = Field(
        default="07-15",
        pattern=r"^(0[7-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="MM-DD by which the end-of-June overall report (S2.3.1) is due",
    )
    reminder_lead_days: int = Field(
        default=3,
        ge=0,
        le=31,
        description="Days before a monthly report's due date or a rectification's deadline "
        "from which `perfbudget reminders run` sends a due-soon reminder (0: on the day only)",
    )
    # an unset window is left out of the stored document, which then reads as before
    self_evaluation_opens: date | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="First day self-evaluations (S2.4) may be filed; none: once the year is "
        "executing or closed",
    )
    self_evaluation_due: date | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Last day self-evaluations (S2.4) may be filed; none: no limit",
    )

    @model_validator(mode="after")
    def _window_ordered(self) -> "RuleParameters":
        opens, due = self.self_evaluation_opens, self.self_evaluation_due
        if opens is not None and due is not None and opens > due:
            raise ValueError("self_evaluation_opens must not be after self_evaluation_due")
        return self
