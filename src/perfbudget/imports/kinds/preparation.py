"""Budget preparation uploads: items and their targets."""

from collections.abc import Sequence
from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from perfbudget.auth.policy import Permission
from perfbudget.budget_items import batch as item_batch
from perfbudget.budget_items.models import BudgetBook, FundCategory, ItemKind
from perfbudget.budget_items.schemas import BudgetItemCreate
from perfbudget.bulk import Batch
from perfbudget.imports.kinds.base import (
    Column,
    ImportKind,
    Kind,
    Options,
    Requests,
    Row,
    RowErrors,
    by_item,
    per_object,
    per_row,
)
from perfbudget.indicators.models import Direction, IndicatorCategory
from perfbudget.principal import Actor
from perfbudget.schemas import RowId, Text
from perfbudget.targets import batch as target_batch
from perfbudget.targets.schemas import TargetLineIn, TargetSetWrite

# --- budget items (S1.1) and, keyed by item, their target lines (S2.2.2) -----------------


def _items(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_row(rows, item_batch.Entry)


def _check_items(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return item_batch.plan(session, actor, entries)


BUDGET_ITEMS = Kind(
    ImportKind.budget_items,
    "预算项目",
    Permission.item_write,
    BudgetItemCreate,
    (
        Column("fiscal_year", "预算年度", 2027, required=True),
        Column("organisation_id", "机构编号", 1, required=True),
        Column("code", "项目编码", "2027-JY-001"),
        Column("name", "项目名称", "教师培训项目", required=True),
        Column("kind", "项目类型", "项目支出", required=True, choices=ItemKind),
        Column("budget_book", "预算类别", "", choices=BudgetBook),
        Column("fund_category", "资金性质", "", choices=FundCategory),
        Column("new_major", "新增重大政策或项目", "否", boolean=True),
        Column("capital_construction", "基建投资", "否", boolean=True),
        Column("mid_year_addition", "年中追加", "否", boolean=True),
        Column("serves_public", "直接服务公众", "否", boolean=True),
        Column("requested_amount", "申报金额（元）", "1000000.00", required=True),
        Column("description", "项目概述", ""),
        Column("continues_item_id", "延续上年项目编号", ""),
    ),
    {
        "NOT_FOUND": "organisation_id",
        "FISCAL_YEAR_NOT_PREPARING": "fiscal_year",
        "MID_YEAR_ADDITION_NOT_OPEN": "mid_year_addition",
        "CONTINUED_ITEM_INVALID": "continues_item_id",
    },
    requests=_items,
    check=_check_items,
)


class TargetLineRow(TargetLineIn):
    item_id: RowId
    overall_goal: Text = Field(default="", max_length=4000)
    version: RowId | None = Field(default=None, ge=1)


def _target_set(rows: list[TargetLineRow]) -> TargetSetWrite:
    return TargetSetWrite(
        version=rows[0].version,
        overall_goal=rows[0].overall_goal,
        lines=[
            TargetLineIn.model_validate(row.model_dump(include=set(TargetLineIn.model_fields)))
            for row in rows
        ],
    )


def _target_sets(rows: Sequence[Row], options: Options, errors: RowErrors) -> Requests:
    return per_object(
        rows,
        errors,
        key=by_item,
        shared=("overall_goal", "version"),
        build=_target_set,
        entry=lambda item_id, data: target_batch.Entry(item_id, item_id, data),
    )


def _check_targets(
    session: Session, actor: Actor, entries: Sequence[Any], options: Options, lock: bool
) -> Batch[Any]:
    return target_batch.plan(session, actor, entries, lock=lock)


TARGET_LINES = Kind(
    ImportKind.target_lines,
    "绩效目标",
    Permission.item_write,
    TargetLineRow,
    (
        Column("item_id", "项目编号", 1, required=True),
        Column("overall_goal", "总体目标", "完成全县教师轮训"),
        Column("category", "指标类别", "数量指标", required=True, choices=IndicatorCategory),
        Column("name", "指标名称", "培训教师人数", required=True),
        Column("direction", "指标方向", "≥（正向）", required=True, choices=Direction),
        Column("target_value", "指标值", "500"),
        Column("unit", "计量单位", "人次"),
        Column("qualitative_standard", "定性标准", ""),
        Column("weight", "权重（分）", "30", required=True),
        Column("library_indicator_id", "指标库指标编号", ""),
        Column("framework_indicator_id", "共性指标编号", ""),
        Column("version", "目标版本号", ""),
    ),
    {
        "NOT_FOUND": "item_id",
        "TARGETS_NOT_EDITABLE": "item_id",
        "OVERALL_TARGETS_AFTER_DECISION": "item_id",
        "VERSION_CONFLICT": "version",
        "VERSION_REQUIRED": "version",
    },
    requests=_target_sets,
    check=_check_targets,
)
