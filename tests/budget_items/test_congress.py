"""The People's Congress package (S2.2.2): approved targets, by department, JSON and Excel."""

import io

from openpyxl import load_workbook

from tests.problems import assert_problem

URL = "/api/v1/fiscal-years/2027/congress-package"


def _prepare(flow):
    education = flow.targets_approved(name='=HYPERLINK("http://x")培训')
    flow.decide(education["id"], "1000000.00")
    school = flow.targets_approved(
        user="unit", org="201001", name="一中实验室改造", requested_amount="300000.00"
    )
    flow.submitted(name="尚在审核的项目")  # targets not approved: not in the package
    return education, school


def test_the_package_groups_approved_targets_by_department(flow):
    education, school = _prepare(flow)
    response = flow.client.get(URL, headers=flow.auth("oversight"))
    assert response.status_code == 200, response.text
    package = response.json()
    assert package["year"] == 2027
    assert package["item_count"] == 2
    (department,) = package["departments"]
    assert department["department"]["code"] == "201"
    assert department["approved_total"] == "1000000.00"
    by_id = {item["item_id"]: item for item in department["items"]}
    assert set(by_id) == {education["id"], school["id"]}
    assert by_id[school["id"]]["organisation"]["code"] == "201001"
    assert by_id[school["id"]]["approved_amount"] is None  # targets approved, budget undecided
    assert len(by_id[education["id"]]["lines"]) == 4
    assert package["approved_total"] == "1000000.00"


def test_the_package_as_a_workbook(flow):
    _prepare(flow)
    response = flow.client.get(f"{URL}?format=xlsx", headers=flow.auth("finance"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "filename*=UTF-8''2027" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["部门汇总", "绩效目标"]
    rows = list(workbook["绩效目标"].iter_rows(values_only=True))
    assert rows[0][:4] == ("主管部门", "单位", "项目编码", "项目名称")
    assert len(rows) == 1 + 8  # two items, four indicator lines each
    names = {row[3] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")培训' in names  # neutralised, not a formula
    summary = list(workbook["部门汇总"].iter_rows(values_only=True))
    assert summary[1][:3] == ("201", "县教育局", 2)


def test_only_finance_and_oversight_read_the_package(flow):
    for user in ("department", "unit", "expert", "investment", "admin"):
        assert_problem(flow.client.get(URL, headers=flow.auth(user)), 403, "PERMISSION_DENIED")
    assert_problem(
        flow.client.get("/api/v1/fiscal-years/1999/congress-package", headers=flow.auth("finance")),
        404,
        "NOT_FOUND",
    )
    assert_problem(
        flow.client.get(f"{URL}?format=pdf", headers=flow.auth("finance")), 422, "VALIDATION_FAILED"
    )
