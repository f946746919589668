"""The package sent to the People's Congress with the draft budget (S2.2.2): every approved
target set with its item, organisation and amounts, grouped by department."""

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from perfbudget.congress import repository
from perfbudget.congress.schemas import CongressPackage, PackageDepartment, PackageItem
from perfbudget.exports import Download, add_sheet, new_workbook, xlsx_download
from perfbudget.fiscal_years import service as fiscal_year_service
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.targets.schemas import TargetLineRead

HEADERS = [
    "主管部门",
    "单位",
    "项目编码",
    "项目名称",
    "项目类型",
    "预算类别",
    "申请金额（元）",
    "批复金额（元）",
    "总体目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "指标值",
    "计量单位",
    "定性标准",
    "分值",
]


def build_package(session: Session, year: int) -> CongressPackage:
    fiscal_year = fiscal_year_service.get_fiscal_year(session, year)
    rows = repository.approved_target_sets(session, fiscal_year.id)
    # the department is the top of the owner's path: "/4/5/" → 4
    top_ids = {int(item.organisation.path.strip("/").split("/")[0]) for item, _ in rows}
    departments = repository.organisations(session, top_ids)
    grouped: dict[int, list[PackageItem]] = defaultdict(list)
    for item, target_set in rows:
        top = int(item.organisation.path.strip("/").split("/")[0])
        grouped[top].append(
            PackageItem(
                item_id=item.id,
                code=item.code,
                name=item.name,
                kind=item.kind,
                budget_book=item.budget_book,
                organisation=OrganisationRef.model_validate(item.organisation),
                requested_amount=item.requested_amount,
                approved_amount=item.approved_amount,
                target_set_number=target_set.number,
                overall_goal=target_set.overall_goal,
                lines=[TargetLineRead.model_validate(line) for line in target_set.lines],
            )
        )
    result = [
        PackageDepartment(
            department=OrganisationRef.model_validate(departments[top]),
            item_count=len(items),
            approved_total=sum((i.approved_amount or Decimal(0) for i in items), Decimal(0)),
            items=items,
        )
        for top, items in sorted(grouped.items(), key=lambda entry: departments[entry[0]].code)
    ]
    return CongressPackage(
        year=year,
        item_count=len(rows),
        approved_total=sum((d.approved_total for d in result), Decimal(0)),
        departments=result,
    )


def package_workbook(package: CongressPackage) -> Download:
    workbook = new_workbook()
    add_sheet(
        workbook,
        "部门汇总",
        ["主管部门编码", "主管部门", "项目数", "批复金额合计（元）"],
        [
            (d.department.code, d.department.name_zh, d.item_count, d.approved_total)
            for d in package.departments
        ],
    )
    add_sheet(workbook, "绩效目标", HEADERS, _target_rows(package))
    return xlsx_download(workbook, f"{package.year}年度绩效目标（报送人大）.xlsx")


def _target_rows(package: CongressPackage) -> list[list[object]]:
    rows: list[list[object]] = []
    for department in package.departments:
        for item in department.items:
            head = [
                department.department.name_zh,
                item.organisation.name_zh,
                item.code or "",
                item.name,
                item.kind.label_zh,
                item.budget_book.label_zh,
                item.requested_amount,
                item.approved_amount,
                item.overall_goal,
            ]
            for line in item.lines:
                rows.append(
                    [
                        *head,
                        line.first_level.label_zh,
                        line.category.label_zh,
                        line.name,
                        line.direction.label_zh,
                        line.target_value,
                        line.unit or "",
                        line.qualitative_standard or "",
                        line.weight,
                    ]
                )
    return rows
