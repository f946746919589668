"""Lists as spreadsheets: ?format=xlsx|csv on the list endpoints, every matching row.

The filters and the visibility are the list's own (the list's service does the querying);
only paging is lifted, up to MAX_EXPORT_ROWS, beyond which the export is refused.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import Field
from sqlalchemy.orm import Session

from perfbudget.budget_items import repository as item_repository
from perfbudget.budget_items import service as item_service
from perfbudget.budget_items.schemas import BudgetItemFilter
from perfbudget.enums import LabeledEnum
from perfbudget.errors import Unprocessable
from perfbudget.exports import (
    CSV,
    XLSX,
    Download,
    add_sheet,
    csv_download,
    new_workbook,
    xlsx_download,
)
from perfbudget.overview import repository as overview_repository
from perfbudget.overview import service as overview_service
from perfbudget.overview.schemas import QueueFilter
from perfbudget.pagination import ListQuery, Page
from perfbudget.principal import Actor
from perfbudget.targets import service as target_service

ExportFormat = Literal["json", "xlsx", "csv"]
SpreadsheetFormat = Literal["xlsx", "csv"]
Q = TypeVar("Q", bound=ListQuery)
T = TypeVar("T")
MAX_EXPORT_ROWS = 10_000
_FORMAT_DESCRIPTION = "xlsx or csv: every matching row (at most 10,000) as a spreadsheet, no paging"

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {XLSX: {}, CSV: {}},
        "description": "JSON, or a spreadsheet with ?format=xlsx|csv",
    }
}


class BudgetItemExportQuery(BudgetItemFilter):
    format: ExportFormat = Field(default="json", description=_FORMAT_DESCRIPTION)


class QueueExportQuery(QueueFilter):
    format: ExportFormat = Field(default="json", description=_FORMAT_DESCRIPTION)


class TargetVersionsQuery(ListQuery):
    format: ExportFormat = Field(
        default="json", description="xlsx or csv: every version, one row per line, no paging"
    )


ITEM_HEADERS = (
    "编号",
    "预算年度",
    "单位代码",
    "单位名称",
    "项目代码",
    "项目名称",
    "项目类型",
    "预算类别",
    "资金性质",
    "新增重大",
    "申请金额",
    "批复金额",
    "状态",
    "提交时间",
    "决定时间",
)
QUEUE_HEADERS = (
    "报告编号",
    "预算年度",
    "月份",
    "项目代码",
    "项目名称",
    "单位代码",
    "单位名称",
    "状态",
    "项目灯",
    "执行灯",
    "提交时间",
    "截止日期",
    "是否逾期",
)
TARGET_HEADERS = (
    "版本",
    "状态",
    "总体目标",
    "批准时间",
    "序号",
    "指标类别",
    "一级指标",
    "指标名称",
    "方向",
    "目标值",
    "计量单位",
    "定性标准",
    "权重",
)


def budget_items(
    session: Session, actor: Actor, filters: BudgetItemFilter, fmt: SpreadsheetFormat
) -> Download:
    page = _whole_list(
        lambda query: item_repository.list_page(session, actor, query)[1],
        lambda query: item_service.list_items(session, actor, query),
        filters,
    )
    rows = (
        (
            item.id,
            item.fiscal_year,
            item.organisation.code,
            item.organisation.name_zh,
            item.code,
            item.name,
            item.kind,
            item.budget_book,
            item.fund_category,
            item.new_major,
            item.requested_amount,
            item.approved_amount,
            item.status,
            item.submitted_at,
            item.decided_at,
        )
        for item in page.items
    )
    return spreadsheet(fmt, "预算项目", ITEM_HEADERS, rows, "预算项目")


def report_queue(
    session: Session, actor: Actor, filters: QueueFilter, fmt: SpreadsheetFormat
) -> Download:
    page = _whole_list(
        lambda query: overview_repository.queue_page(session, actor, query)[1],
        lambda query: overview_service.report_queue(session, actor, query),
        filters,
    )
    rows = (
        (
            row.id,
            row.fiscal_year,
            row.month,
            row.item.code,
            row.item.name,
            row.organisation.code,
            row.organisation.name_zh,
            row.status,
            row.item_light,
            row.execution_light,
            row.submitted_at,
            row.due_on,
            row.late,
        )
        for row in page.items
    )
    return spreadsheet(fmt, "监控报告", QUEUE_HEADERS, rows, "监控报告")


def target_versions(
    session: Session, actor: Actor, item_id: int, fmt: SpreadsheetFormat
) -> Download:
    versions = target_service.list_versions(session, actor, item_id)
    rows = (
        (
            version.number,
            version.status,
            version.overall_goal,
            version.approved_at,
            line.position,
            line.category,
            line.first_level,
            line.name,
            line.direction,
            line.target_value,
            line.unit,
            line.qualitative_standard,
            line.weight,
        )
        for version in versions
        for line in sorted(version.lines, key=lambda line: line.position)
    )
    return spreadsheet(fmt, "绩效目标", TARGET_HEADERS, rows, f"绩效目标-{item_id}")


def spreadsheet(
    fmt: SpreadsheetFormat,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    filename: str,
) -> Download:
    cells = ([_cell(value) for value in row] for row in rows)
    if fmt == "csv":
        return csv_download(headers, cells, f"{filename}.csv")
    workbook = new_workbook()
    add_sheet(workbook, title, headers, cells)
    return xlsx_download(workbook, f"{filename}.xlsx")


def _cell(value: Any) -> Any:
    """Labels instead of codes, 是/否, and text for dates (Excel keeps no time zone)."""
    if isinstance(value, LabeledEnum):
        return value.label_zh
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _whole_list(
    count: Callable[[Q], int], list_page: Callable[[Q], Page[T]], filters: Q
) -> Page[T]:
    """Count first (a page of none), refuse beyond the limit, then every row in one page."""
    total = count(filters.model_copy(update={"limit": 0, "offset": 0}))
    _refuse_beyond_limit(total)
    return list_page(filters.model_copy(update={"limit": max(total, 1), "offset": 0}))


def _refuse_beyond_limit(total: int) -> None:
    if total > MAX_EXPORT_ROWS:
        raise Unprocessable(
            "EXPORT_TOO_LARGE",
            f"{total} rows match; an export holds at most {MAX_EXPORT_ROWS}. Narrow the filters.",
            f"共有 {total} 行符合条件，导出上限为 {MAX_EXPORT_ROWS} 行，请缩小筛选范围。",
            extra={"limit_rows": MAX_EXPORT_ROWS, "total": total},
        )
