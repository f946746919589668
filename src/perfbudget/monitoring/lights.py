"""The monitoring lights of DOMAIN §3, as pure functions of Decimals.

Each light comes with its formula, inputs and the parameter values used, so a user can see
why it is red. Ratios are one exact division in a wide context, then rounded by the one
rule of ``figures`` (half up to 0.01); the light is read from that rounded ratio, the one
shown, so a ratio shown as 80.00 % is never yellow."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from perfbudget import figures
from perfbudget.fiscal_years.parameters import ExecutionLight, IndicatorLight
from perfbudget.indicators.models import Direction
from perfbudget.monitoring.models import Light, QualitativeStatus

_EXACT = figures.EXACT
_TWELVE = Decimal(12)

QUALITATIVE_LIGHTS = {
    QualitativeStatus.achieved: Light.green,
    QualitativeStatus.partially_achieved: Light.yellow,
    QualitativeStatus.not_achieved: Light.red,
}


@dataclass(frozen=True)
class LightResult:
    light: Light
    formula_zh: str
    formula_en: str
    explanation_zh: str
    explanation_en: str
    inputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    ratio: Decimal | None = None  # percent, as shown (``figures.shown``)

    def document(self) -> dict[str, Any]:
        """The JSON stored on the report and returned by the API."""
        return {
            "light": self.light.value,
            "formula": {"zh": self.formula_zh, "en": self.formula_en},
            "explanation": {"zh": self.explanation_zh, "en": self.explanation_en},
            "inputs": self.inputs,
            "parameters": self.parameters,
            "ratio": None if self.ratio is None else shown(self.ratio),
        }


def shown(percent: Decimal) -> str:
    return str(figures.shown(percent))


def _pct(percent: Decimal) -> str:
    return f"{shown(percent)}%"


_plain = figures.plain


def _percent_of(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator ÷ denominator × 100 as shown: exact, then rounded by the one rule."""
    return figures.shown(figures.percent(numerator, denominator))


def _ruled(text: tuple[str, str]) -> tuple[str, str]:
    """An explanation of a rounded ratio states the rounding rule it was read by."""
    return f"{text[0]}（{figures.RULE_ZH}）", f"{text[1]} ({figures.RULE_EN})"


def _bands(ratio: Decimal, red_below: Decimal, yellow_below: Decimal) -> Light:
    if ratio < red_below:
        return Light.red
    if ratio < yellow_below:
        return Light.yellow
    return Light.green


def _band_text(
    light: Light, ratio: Decimal, red_below: Decimal, yellow_below: Decimal
) -> tuple[str, str]:
    if light is Light.red:
        return (
            f"{_pct(ratio)} 低于 {_pct(red_below)}：红灯",
            f"{_pct(ratio)} is below {_pct(red_below)}: red",
        )
    if light is Light.yellow:
        return (
            f"{_pct(ratio)} 不低于 {_pct(red_below)} 且低于 {_pct(yellow_below)}：黄灯",
            f"{_pct(ratio)} is at least {_pct(red_below)} and below {_pct(yellow_below)}: yellow",
        )
    return (
        f"{_pct(ratio)} 不低于 {_pct(yellow_below)}：绿灯",
        f"{_pct(ratio)} is at least {_pct(yellow_below)}: green",
    )


# --- budget execution --------------------------------------------------------------------


@dataclass(frozen=True)
class _Progress:
    """Time progress, %, as shown; the execution ratio as one exact division; its basis."""

    percent: Decimal
    ratio_of: tuple[Decimal, Decimal]
    basis_zh: str
    basis_en: str


def _time_progress(
    month: int,
    cumulative_execution: Decimal,
    approved_amount: Decimal,
    planned_cumulative: Decimal | None,
) -> _Progress:
    """The spending plan's (planned cumulative ÷ approved) when the item has one, else the
    straight line m ÷ 12."""
    if planned_cumulative is not None:
        progress = (
            _percent_of(planned_cumulative, approved_amount) if approved_amount else Decimal(0)
        )
        # (exec ÷ approved) ÷ (planned ÷ approved) = exec ÷ planned: one exact division
        return _Progress(
            progress, (cumulative_execution, planned_cumulative), "用款计划", "the spending plan"
        )
    return _Progress(
        _percent_of(Decimal(month), _TWELVE),
        (
            _EXACT.multiply(cumulative_execution, _TWELVE),
            _EXACT.multiply(approved_amount, Decimal(month)),
        ),
        f"{month} ÷ 12",
        f"{month} ÷ 12",
    )


def _execution_inputs(
    month: int,
    cumulative_execution: Decimal,
    approved_amount: Decimal,
    planned_cumulative: Decimal | None,
    rate: Decimal,
    progress: Decimal,
) -> dict[str, str]:
    inputs = {
        "month": str(month),
        "cumulative_execution": f"{cumulative_execution:.2f}",
        "approved_amount": f"{approved_amount:.2f}",
        "execution_rate": shown(rate),
        "time_progress": shown(progress),
        "time_progress_basis": "plan" if planned_cumulative is not None else "straight",
    }
    if planned_cumulative is not None:
        inputs["planned_cumulative"] = f"{planned_cumulative:.2f}"
    return inputs


def execution_light(
    parameters: ExecutionLight,
    *,
    month: int,
    cumulative_execution: Decimal,
    approved_amount: Decimal,
    planned_cumulative: Decimal | None = None,
) -> LightResult:
    """Execution rate ÷ time progress (§3). Time progress follows the item's spending plan
    when it has one (planned cumulative ÷ approved), else the straight line m ÷ 12."""
    red_below, yellow_below = parameters.red_below, parameters.yellow_below
    params = {"red_below": f"{red_below}", "yellow_below": f"{yellow_below}"}
    rate = _percent_of(cumulative_execution, approved_amount) if approved_amount else Decimal(0)
    progress = _time_progress(month, cumulative_execution, approved_amount, planned_cumulative)
    inputs = _execution_inputs(
        month, cumulative_execution, approved_amount, planned_cumulative, rate, progress.percent
    )
    basis_zh, basis_en = progress.basis_zh, progress.basis_en
    if approved_amount == 0 or progress.ratio_of[1] == 0:
        return LightResult(
            Light.green,
            f"执行率 {_pct(rate)}；时间进度（{basis_zh}）为 0",
            f"execution rate {_pct(rate)}; time progress ({basis_en}) is 0",
            "时间进度为 0，尚无应执行进度：绿灯",
            "no spending is due yet (time progress 0): green",
            inputs,
            params,
        )
    ratio = _percent_of(*progress.ratio_of)
    light = _bands(ratio, red_below, yellow_below)
    explanation = _band_text(light, ratio, red_below, yellow_below)
    return LightResult(
        light,
        f"执行率 ÷ 时间进度（{basis_zh}）= {_pct(rate)} ÷ {_pct(progress.percent)} = {_pct(ratio)}",
        f"execution rate ÷ time progress ({basis_en}) = {_pct(rate)} ÷ {_pct(progress.percent)}"
        f" = {_pct(ratio)}",
        *_ruled(explanation),
        inputs,
        params,
        ratio,
    )


# --- indicators --------------------------------------------------------------------------


def indicator_light(
    parameters: IndicatorLight,
    *,
    month: int,
    direction: Direction,
    target_value: Decimal | None = None,
    actual: Decimal | None = None,
    qualitative_status: QualitativeStatus | None = None,
) -> LightResult:
    """One indicator's light (§3): positive against the target's share of the year,
    reverse within the target, qualitative by its status."""
    if direction is Direction.qualitative:
        if qualitative_status is None:
            raise ValueError("a qualitative indicator needs its status")
        return _qualitative(qualitative_status)
    if actual is None or target_value is None:
        raise ValueError("a quantitative indicator needs its target and actual")
    if direction.is_reverse:
        return _reverse(direction, target_value, actual)
    return _positive(parameters, month, direction, target_value, actual)


def _qualitative(status: QualitativeStatus) -> LightResult:
    light = QUALITATIVE_LIGHTS[status]
    return LightResult(
        light,
        f"定性指标：{status.label_zh}",
        f"qualitative indicator: {status.label_en.lower()}",
        f"{status.label_zh}：{light.label_zh}",
        f"{status.label_en.lower()}: {light.value}",
        {"qualitative_status": status.value},
    )


_SYMBOLS = {
    Direction.gte: "≥",
    Direction.gt: ">",
    Direction.eq: "=",
    Direction.lte: "≤",
    Direction.lt: "<",
}


def _reverse(direction: Direction, target: Decimal, actual: Decimal) -> LightResult:
    within = actual <= target if direction is Direction.lte else actual < target
    symbol = _SYMBOLS[direction]
    light = Light.green if within else Light.red
    inputs = {
        "direction": direction.value,
        "target_value": _plain(target),
        "actual": _plain(actual),
    }
    formula_zh = f"反向指标：实际值 {_plain(actual)}，目标 {symbol} {_plain(target)}"
    formula_en = f"reverse indicator: actual {_plain(actual)}, target {symbol} {_plain(target)}"
    if within:
        return LightResult(
            light, formula_zh, formula_en, "在目标以内：绿灯", "within the target: green", inputs
        )
    return LightResult(
        light, formula_zh, formula_en, "超出目标：红灯", "outside the target: red", inputs
    )


def _positive_reading(ratio: Decimal, parameters: IndicatorLight) -> tuple[Light, tuple[str, str]]:
    """Blue from ``blue_from`` (ahead: the target may be low), else the red/yellow/green bands."""
    red_below, yellow_below, blue_from = (
        parameters.red_below,
        parameters.yellow_below,
        parameters.blue_from,
    )
    if ratio >= blue_from:
        return Light.blue, (
            f"{_pct(ratio)} 不低于 {_pct(blue_from)}：蓝灯（进度超前，请复核目标是否偏低）",
            f"{_pct(ratio)} is at least {_pct(blue_from)}: blue (ahead: check the target)",
        )
    light = _bands(ratio, red_below, yellow_below)
    if light is Light.green:
        return light, (
            f"{_pct(ratio)} 不低于 {_pct(yellow_below)} 且低于 {_pct(blue_from)}：绿灯",
            f"{_pct(ratio)} is at least {_pct(yellow_below)} and below {_pct(blue_from)}: green",
        )
    return light, _band_text(light, ratio, red_below, yellow_below)


def _positive(
    parameters: IndicatorLight, month: int, direction: Direction, target: Decimal, actual: Decimal
) -> LightResult:
    params = {
        "red_below": f"{parameters.red_below}",
        "yellow_below": f"{parameters.yellow_below}",
        "blue_from": f"{parameters.blue_from}",
    }
    inputs = {
        "month": str(month),
        "direction": direction.value,
        "target_value": _plain(target),
        "actual": _plain(actual),
    }
    if target <= 0:
        return _against_zero(direction, target, actual, inputs)
    expected = _EXACT.divide(_EXACT.multiply(target, Decimal(month)), _TWELVE)
    inputs["expected_to_date"] = _plain(
        expected.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP, context=_EXACT)
    )
    ratio = _percent_of(_EXACT.multiply(actual, _TWELVE), _EXACT.multiply(target, Decimal(month)))
    light, explanation = _positive_reading(ratio, parameters)
    return LightResult(
        light,
        f"实际值 ÷ (目标值 × {month} ÷ 12) = {_plain(actual)} ÷ ({_plain(target)} × {month} ÷ 12)"
        f" = {_pct(ratio)}",
        f"actual ÷ (target × {month} ÷ 12) = {_plain(actual)} ÷ ({_plain(target)} × {month} ÷ 12)"
        f" = {_pct(ratio)}",
        *_ruled(explanation),
        inputs,
        params,
        ratio,
    )


def _against_zero(
    direction: Direction, target: Decimal, actual: Decimal, inputs: dict[str, str]
) -> LightResult:
    """A target of 0 (or below) has no share of the year: "= 0" is met when nothing
    happened (actual ≤ 0, as in §3 scoring); "≥" and ">" when the actual reaches it."""
    if direction is Direction.eq:
        met = actual <= target
    elif direction is Direction.gte:
        met = actual >= target
    else:
        met = actual > target
    symbol = _SYMBOLS[direction]
    return LightResult(
        Light.green if met else Light.red,
        f"目标值为 {_plain(target)}：实际值 {_plain(actual)}，目标 {symbol} {_plain(target)}",
        f"target {_plain(target)}: actual {_plain(actual)}, target {symbol} {_plain(target)}",
        "达到目标：绿灯" if met else "未达到目标：红灯",
        "target met: green" if met else "target not met: red",
        inputs,
    )


# --- the item ----------------------------------------------------------------------------


def worst(lights: Sequence[Light]) -> Light:
    return max(lights, key=lambda light: light.severity, default=Light.green)


def item_light(lights: Sequence[tuple[str, str, str, Light]]) -> LightResult:
    """An object's light is the worst of its lights (§3); entries are (key, zh, en, light)."""
    light = worst([entry[3] for entry in lights])
    listed_zh = "；".join(f"{zh} {entry.label_zh}" for _, zh, _, entry in lights)
    listed_en = "; ".join(f"{en} {entry.value}" for _, _, en, entry in lights)
    return LightResult(
        light,
        f"取各灯中最差者（红 > 黄 > 蓝 > 绿）：{listed_zh}",
        f"the worst of the lights (red > yellow > blue > green): {listed_en}",
        f"项目灯：{light.label_zh}",
        f"item light: {light.value}",
        {key: entry.value for key, _, _, entry in lights},
    )
