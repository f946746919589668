"""The gates between a budget request and its money. One function decides them, and both
the funding decision and GET …/gates call it, so the explanation cannot disagree with
the refusal."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from perfbudget.assessments.models import AssessmentConclusion, AssessmentStatus
from perfbudget.budget_items.models import ItemKind, ItemStatus
from perfbudget.evaluations.models import Grade
from perfbudget.i18n import pick
from perfbudget.payments.models import HoldKind


class GatedItem(Protocol):
    """What the gates read of an item: a ``BudgetItem`` or a list page's row."""

    @property
    def kind(self) -> ItemKind: ...
    @property
    def status(self) -> ItemStatus: ...
    @property
    def new_major(self) -> bool: ...
    @property
    def capital_construction(self) -> bool: ...
    @property
    def requested_amount(self) -> Decimal: ...


class GatedAssessment(Protocol):
    @property
    def status(self) -> AssessmentStatus: ...
    @property
    def assessor_role(self) -> str: ...
    @property
    def final_conclusion(self) -> AssessmentConclusion | None: ...


class GatedHold(Protocol):
    @property
    def kind(self) -> HoldKind: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class Gate:
    code: str
    clause: str
    satisfied: bool
    blocking: bool
    zh: str
    en: str

    @property
    def message(self) -> str:
        return pick(self.zh, self.en)


@dataclass(frozen=True)
class GateContext:
    """What the gates read about one item, loaded in bulk for lists."""

    item: GatedItem
    targets_approved: bool
    assessment: GatedAssessment | None
    active_holds: tuple[GatedHold, ...] = ()
    # the graded result of the item this one continues (S2.5)
    predecessor_grade: Grade | None = None
    predecessor_approved: Decimal | None = None
    rectification_plan_on_file: bool = False


def evaluate(context: GateContext, proposed_amount: Decimal | None = None) -> list[Gate]:
    """The gates on ``context.item``; ``proposed_amount`` is the amount about to be approved
    (without one, the requested amount stands in)."""
    gates = _gates(context)
    gates.extend(_result_gates(context, proposed_amount))
    return gates


def _gates(context: GateContext) -> list[Gate]:
    item = context.item
    gates: list[Gate] = []
    if item.kind is not ItemKind.department_overall:
        ok = context.targets_approved
        gates.append(
            Gate(
                "TARGETS_NOT_APPROVED",
                "S2.2.2",
                ok,
                True,
                "绩效目标已审核通过。"
                if ok
                else "绩效目标未经财政审核通过，不安排预算（S2.2.2）。",
                "The performance targets are approved."
                if ok
                else "No approved performance targets, no budget (S2.2.2).",
            )
        )
    if item.new_major and item.kind in (ItemKind.project, ItemKind.policy):
        gates.extend(_assessment_gates(item, context.assessment))
    if item.status is ItemStatus.funded:
        gates.extend(_payment_gates(context.active_holds))
    return gates


def _payment_gates(holds: tuple[GatedHold, ...]) -> list[Gate]:
    """Once funded, the money flows unless finance has held it (S2.3.2)."""
    stop = next((hold for hold in holds if hold.kind is HoldKind.stop), None)
    suspension = next((hold for hold in holds if hold.kind is HoldKind.suspend), None)
    return [
        Gate(
            "PAYMENT_HOLD",
            "S2.3.2",
            suspension is None,
            True,
            f"暂缓拨款，待整改核实后恢复：{suspension.reason}" if suspension else "未暂缓拨款。",
            f"Payments suspended until the rectification is verified: {suspension.reason}"
            if suspension
            else "Payments are not suspended.",
        ),
        Gate(
            "ITEM_STOPPED",
            "S2.3.2",
            stop is None,
            True,
            f"已停止拨款：{stop.reason}" if stop else "未停止拨款。",
            f"Payments stopped for the rest of the year: {stop.reason}"
            if stop
            else "Payments are not stopped.",
        ),
    ]


def _assessment_gates(item: GatedItem, assessment: GatedAssessment | None) -> list[Gate]:
    """S2.1: a new major policy or project is assessed before it is funded, and not refused."""
    concluded = assessment is not None and assessment.status is AssessmentStatus.concluded
    if item.capital_construction:
        ok = concluded and assessment is not None and assessment.assessor_role == "investment"
        required = _investment_assessment(ok)
    else:
        required = _assessment(concluded)
    refused = (
        concluded
        and assessment is not None
        and assessment.final_conclusion is AssessmentConclusion.not_supported
    )
    return [required, _not_supported(refused)]


def _investment_assessment(ok: bool) -> Gate:
    return Gate(
        "INVESTMENT_ASSESSMENT_REQUIRED",
        "S2.1.1",
        ok,
        True,
        "投资主管部门的事前评估已完成评审。"
        if ok
        else "基建投资项目须由投资主管部门开展事前绩效评估并经评审（S2.1.1）。",
        "The investment authority's assessment has been reviewed."
        if ok
        else "A capital construction project needs an ex-ante assessment by the "
        "investment authority, reviewed and concluded (S2.1.1).",
    )


def _assessment(concluded: bool) -> Gate:
    return Gate(
        "ASSESSMENT_REQUIRED",
        "S2.1.1",
        concluded,
        True,
        "事前绩效评估已完成评审。"
        if concluded
        else "新出台重大政策、项目须开展事前绩效评估并经财政评审（S2.1.1）。",
        "The ex-ante assessment has been reviewed."
        if concluded
        else "A new major policy or project needs an ex-ante performance assessment, "
        "reviewed and concluded by the finance bureau (S2.1.1).",
    )


def _not_supported(refused: bool) -> Gate:
    return Gate(
        "ASSESSMENT_NOT_SUPPORTED",
        "S2.1.2",
        not refused,
        True,
        "事前绩效评估评审结论为“不予支持”，不安排预算（S2.1.2）。"
        if refused
        else "事前绩效评估评审结论未否定该项目。",
        "The ex-ante assessment review concluded 'not supported' (S2.1.2)."
        if refused
        else "The assessment review has not rejected the item.",
    )


def _result_gates(context: GateContext, proposed: Decimal | None) -> list[Gate]:
    """S2.5: a poor predecessor means less money or none; a fair one, a plan on file."""
    item = context.item
    if item.status in (ItemStatus.funded, ItemStatus.rejected) or context.predecessor_grade is None:
        return []
    if context.predecessor_grade is Grade.poor and context.predecessor_approved is not None:
        ceiling = context.predecessor_approved
        amount = proposed if proposed is not None else item.requested_amount
        ok = amount < ceiling
        return [
            Gate(
                "POOR_RESULT_REQUIRES_REDUCTION",
                "S2.5",
                ok,
                True,
                f"上年评价为“差”，批复金额 {amount} 已低于上年 {ceiling}。"
                if ok
                else f"上年绩效评价为“差”，须调减（低于上年批复 {ceiling} 元）或取消（S2.5）。",
                f"Last year's result was poor; {amount} is below last year's {ceiling}."
                if ok
                else f"Last year's result was poor: approve less than last year's {ceiling}, "
                "or reject (S2.5).",
            )
        ]
    if context.predecessor_grade is Grade.fair:
        ok = context.rectification_plan_on_file
        return [
            Gate(
                "RECTIFICATION_PLAN_EXPECTED",
                "S2.5",
                ok,
                False,
                "上年评价为“中”，整改计划已报送。"
                if ok
                else "上年绩效评价为“中”，安排预算前应报送整改计划（S2.5）。",
                "Last year's result was fair; the rectification plan is on file."
                if ok
                else "Last year's result was fair: a rectification plan is expected before "
                "funding (S2.5).",
            )
        ]
    return []


def blocking_failures(gates: list[Gate]) -> list[Gate]:
    return [gate for gate in gates if gate.blocking and not gate.satisfied]
