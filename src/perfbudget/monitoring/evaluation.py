"""What a monthly report answers, and how it lights up (DOMAIN §3): the item's approved
target lines, its spending plan and the fiscal year's thresholds."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from perfbudget import figures
from perfbudget.budget_items.models import BudgetItem, ItemKind
from perfbudget.errors import Unprocessable
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.fiscal_years.parameters import RuleParameters
from perfbudget.indicators.models import Direction
from perfbudget.monitoring import lights
from perfbudget.payments import service as payment_service
from perfbudget.targets.models import TargetLine

if TYPE_CHECKING:
    from perfbudget.monitoring.filing import Answer, Report

ZERO = Decimal("0.00")
MONITORED_KINDS = (ItemKind.project, ItemKind.policy, ItemKind.department_overall)


def answered(target: TargetLine, line: "Answer") -> bool:
    if target.direction is Direction.qualitative:
        return line.qualitative_status is not None
    return line.actual is not None and target.target_value is not None


def check_actuals(
    by_id: Mapping[int, TargetLine], actuals: Iterable[tuple[int, Decimal | None]]
) -> None:
    """A quantitative line's actual, monthly (S2.3.1) or final (S2.4), is not negative: §3
    scores it as a share of its target and lights it against the year's progress. No
    indicator says it may go below zero (target lines carry no such flag), so the rule holds
    for every quantitative line; ``actuals`` are (target line id, actual) of lines of
    ``by_id``."""
    negative = [
        (by_id[line_id], actual)
        for line_id, actual in actuals
        if actual is not None and actual < 0 and by_id[line_id].direction.is_quantitative
    ]
    if negative:
        raise Unprocessable(
            "NEGATIVE_ACTUAL",
            "A quantitative indicator's actual cannot be negative: "
            + "; ".join(f"'{line.name}' {figures.plain(actual)}" for line, actual in negative)
            + ".",
            "定量指标的实际值不能为负数："
            + "；".join(f"“{line.name}” {figures.plain(actual)}" for line, actual in negative)
            + "。",
            extra={
                "target_line_ids": [line.id for line, _ in negative],
                "lines": [
                    {"target_line_id": line.id, "name": line.name, "actual": str(actual)}
                    for line, actual in negative
                ],
            },
        )


def planned_by(plan: dict[int, Decimal], month: int) -> Decimal:
    """The plan's cumulative amount at the month (the last planned month before it if the
    month itself is missing)."""
    earlier = [m for m in plan if m <= month]
    return plan[max(earlier)] if earlier else ZERO


def evaluate(
    session: Session,
    item: BudgetItem,
    report: "Report",
    approved: Sequence[TargetLine],
    *,
    preview: bool,
) -> dict[str, Any]:
    """Every light of the report with its formula, inputs and the year's parameters (§3)."""
    return lights_document(
        item,
        report,
        report.lines,
        approved,
        plan=payment_service.plans_for(session, [item.id]).get(item.id),
        parameters=fiscal_year_service.rule_parameters(item.fiscal_year),
        preview=preview,
    )


def lights_document(
    item: BudgetItem,
    report: "Report",
    lines: Sequence["Answer"],
    approved: Sequence[TargetLine],
    *,
    plan: dict[int, Decimal] | None,
    parameters: RuleParameters,
    preview: bool,
) -> dict[str, Any]:
    """``evaluate`` over loaded facts: the item's spending plan and the year's parameters."""
    month = report.month
    execution = lights.execution_light(
        parameters.execution_light,
        month=month,
        cumulative_execution=report.cumulative_execution,
        approved_amount=item.approved_amount or ZERO,
        planned_cumulative=None if plan is None else planned_by(plan, month),
    )
    indicators = _indicator_lights(parameters, month, lines, approved)
    overall = lights.item_light(
        [
            ("execution", "预算执行", "budget execution", execution.light),
            *((f"line:{t.id}", t.name, t.name, result.light) for t, result in indicators),
        ]
    )
    return {
        "preview": preview,
        "month_basis": month,
        "item": overall.document(),
        "execution": execution.document(),
        "indicators": [_indicator_document(target, result) for target, result in indicators],
    }


def _indicator_lights(
    parameters: RuleParameters,
    month: int,
    lines: Sequence["Answer"],
    approved: Sequence[TargetLine],
) -> list[tuple[TargetLine, lights.LightResult]]:
    """The light of every approved target line the report answers, in the approved order."""
    answers = {line.target_line_id: line for line in lines}
    indicators: list[tuple[TargetLine, lights.LightResult]] = []
    for target in approved:
        answer = answers.get(target.id)
        if answer is None or not answered(target, answer):
            continue
        indicators.append(
            (
                target,
                lights.indicator_light(
                    parameters.indicator_light,
                    month=month,
                    direction=target.direction,
                    target_value=target.target_value,
                    actual=answer.actual,
                    qualitative_status=answer.qualitative_status,
                ),
            )
        )
    return indicators


def _indicator_document(target: TargetLine, result: lights.LightResult) -> dict[str, Any]:
    return {
        **result.document(),
        "target_line_id": target.id,
        "name": target.name,
        "direction": target.direction.value,
    }
