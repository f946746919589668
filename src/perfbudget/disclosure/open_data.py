"""Open data (S4.4): every current publication of a kind for the year as CSV, for Excel."""

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from perfbudget.budget_items.models import BudgetBook, ItemKind
from perfbudget.disclosure.models import PublicationKind
from perfbudget.disclosure.service import public_contents
from perfbudget.evaluations.models import Grade
from perfbudget.exports import safe_cell
from perfbudget.indicators.models import Direction, IndicatorCategory

_ITEM_HEADERS = [
    "公开编号",
    "主管部门编码",
    "主管部门",
    "单位编码",
    "单位",
    "项目编码",
    "项目名称",
    "项目类型",
    "预算类别",
    "批复金额（元）",
]
CSV_HEADERS: dict[PublicationKind, list[str]] = {
    PublicationKind.targets: [
        *_ITEM_HEADERS,
        "总体目标",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标方向",
        "指标值",
        "计量单位",
        "定性标准",
    ],
    PublicationKind.results: [*_ITEM_HEADERS, "评价得分", "评价等级"],
    PublicationKind.circular: ["公开编号", "排名", "部门编码", "部门", "考核得分"],
}


def _item_head(content: dict[str, Any], item: dict[str, Any]) -> list[Any]:
    return [
        content["public_id"],
        content["organisation"]["code"],
        content["organisation"]["name"],
        item["organisation"]["code"],
        item["organisation"]["name"],
        item["code"] or "",
        item["name"],
        ItemKind(item["kind"]).label_zh,
        BudgetBook(item["budget_book"]).label_zh,
        item["approved_amount"] or "",
    ]


def _csv_rows(kind: PublicationKind, content: dict[str, Any]) -> list[list[Any]]:
    if kind is PublicationKind.circular:
        return [
            [
                content["public_id"],
                e["rank"],
                e["organisation"]["code"],
                e["organisation"]["name"],
                e["score"],
            ]
            for e in content["ranking"]
        ]
    if kind is PublicationKind.results:
        return [
            [*_item_head(content, item), item["final_score"], Grade(item["grade"]).label_zh]
            for item in content["items"]
        ]
    rows: list[list[Any]] = []
    for item in content["items"]:
        head = [*_item_head(content, item), item["overall_goal"]]
        for line in item["indicators"]:
            category = IndicatorCategory(line["category"])
            rows.append(
                [
                    *head,
                    category.first_level.label_zh,
                    category.label_zh,
                    line["name"],
                    Direction(line["direction"]).label_zh,
                    line["target_value"] or "",
                    line["unit"] or "",
                    line["qualitative_standard"] or "",
                ]
            )
    return rows


def open_data_csv(session: Session, year: int, kind: PublicationKind) -> bytes:
    """UTF-8 with a BOM (Excel reads the Chinese right), formula-looking text neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS[kind])
    for content in public_contents(session, year, kind):
        writer.writerows([safe_cell(value) for value in row] for row in _csv_rows(kind, content))
    return buffer.getvalue().encode("utf-8-sig")
