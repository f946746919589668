"""A scored line of DOMAIN §3 and how its points are worked out: the answer scored, the
working shown (formula with the numbers filled in, notes naming the clause and any bound) and
the one rounding rule (``figures``) every line's points follow. ``scoring`` is the public
module; the quantitative and qualitative rules build their lines from these pieces."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from perfbudget import figures
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import QualitativeStatus

EXACT = figures.EXACT
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
CLAUSE = "§3"
ROUNDING_RULE = (
    f"{figures.RULE_EN[0].upper()}{figures.RULE_EN[1:]}: each line's points are computed "
    "exactly, bounded to 0…weight and rounded; the total is the sum of the rounded lines."
)
ROUNDING_RULE_ZH = (
    f"{figures.RULE_ZH}：各项得分精确计算、限定在 0 至分值之间后舍入，总分为各项舍入后得分之和。"
)


def rounded(value: Decimal) -> Decimal:
    return figures.shown(value)


plain = figures.plain


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


def scored(
    line: LineAnswer,
    points: Decimal,
    working: Working,
    inputs: dict[str, str],
    parameters: dict[str, str],
    *,
    below_target: bool = False,
    over_achieved: bool = False,
    achievement: Decimal | None = None,
    answered: bool = True,
) -> LineScore:
    """An indicator line's score, under the line's id, name and weight."""
    return LineScore(
        target_line_id=line.target_line_id,
        name=line.name,
        weight=line.weight,
        points=points,
        working=working,
        inputs=inputs,
        parameters=parameters,
        below_target=below_target,
        over_achieved=over_achieved,
        achievement=achievement,
        answered=answered,
    )


def computed(
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
            (f"得分不超过分值 {plain(weight)}：计算值 {value} 按 {points} 分计",),
            (f"a score never passes the weight {plain(weight)}: {value} counts as {points}",),
        )
    return points, Working(zh, en)


def decided(
    condition: tuple[str, str], numbers: str, full: bool, weight: Decimal
) -> tuple[Decimal, Working]:
    """Points by a condition met or not: the full weight, or 0."""
    points = rounded(weight) if full else ZERO
    return points, Working(
        f"{condition[0]}：{numbers}，得{'满分' if full else ''} {points} 分",
        f"{condition[1]}: {numbers}, {'full weight ' if full else ''}{points} points",
    )


def noted(working: Working, zh: str, en: str, *, last: bool = False) -> Working:
    """``working`` with a note added: first (the case of §3 applied), or last."""
    notes_zh = (*working.notes_zh, zh) if last else (zh, *working.notes_zh)
    notes_en = (*working.notes_en, en) if last else (en, *working.notes_en)
    return Working(working.formula_zh, working.formula_en, notes_zh, notes_en)
