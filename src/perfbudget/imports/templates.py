"""The Excel template of each kind: Chinese headers, drop-downs for enum columns, and a
notes sheet that names each column's API field and shows an example row."""

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from perfbudget.exports import add_sheet, new_workbook
from perfbudget.imports.kinds import Column, Kind

DATA_ROWS = 10_001  # the validations cover every row an upload may hold


def _choices(column: Column) -> list[str] | None:
    if column.choices is not None:
        return [member.label_zh for member in column.choices]
    if column.boolean:
        return ["是", "否"]
    return None


def _list_formula(workbook: Workbook, index: int, choices: list[str]) -> str:
    """Inline up to Excel's 255 characters; a longer list lives on a hidden sheet."""
    inline = '"' + ",".join(choices) + '"'
    if len(inline) <= 255:
        return inline
    if "选项" not in workbook.sheetnames:
        workbook.create_sheet("选项").sheet_state = "hidden"
    sheet = workbook["选项"]
    letter = get_column_letter(index)
    for row, choice in enumerate(choices, start=1):
        sheet[f"{letter}{row}"] = choice
    return f"'选项'!${letter}$1:${letter}${len(choices)}"


def template(kind: Kind) -> Workbook:
    workbook = new_workbook()
    headers = [column.zh for column in kind.columns]
    add_sheet(workbook, kind.title_zh, headers, [])
    sheet = workbook.worksheets[0]
    for index, column in enumerate(kind.columns, start=1):
        if column.required:
            sheet.cell(row=1, column=index).font = Font(bold=True, color="C00000")
        choices = _choices(column)
        if choices:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list", formula1=_list_formula(workbook, index, choices), allow_blank=True
            )
            validation.error = "请从下拉列表中选择。"
            validation.add(f"{letter}2:{letter}{DATA_ROWS}")
            sheet.add_data_validation(validation)
    add_sheet(
        workbook,
        "说明",
        ["中文表头", "字段名（API）", "必填", "可选值", "示例"],
        [
            [
                column.zh,
                column.field,
                "是" if column.required else "否",
                "、".join(_choices(column) or []),
                str(column.example),
            ]
            for column in kind.columns
        ],
    )
    add_sheet(workbook, "示例", headers, [[column.example for column in kind.columns]])
    return workbook
