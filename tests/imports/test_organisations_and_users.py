"""Admin uploads: organisations (a department and its units in one file) and users."""

import pytest

from tests.imports.conftest import FORMATS
from tests.problems import assert_problem


def org_codes(flow) -> set[str]:
    response = flow.client.get(
        "/api/v1/organisations", params={"limit": 100}, headers=flow.auth("admin")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return {org["code"] for org in items}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_department_and_its_units_in_one_file(flow, send, fmt):
    rows = [
        {"code": "901", "name_zh": "县导入局", "kind": "部门", "parent_code": ""},
        {"code": "901001", "name_zh": "县导入局服务中心", "kind": "所属单位", "parent_code": "901"},
        {"code": "901002", "name_zh": "县导入局监测站", "kind": "unit", "parent_code": "901"},
    ]
    response = send("organisations", rows, fmt, user="admin")
    assert response.status_code == 201, response.text
    assert {"901", "901001", "901002"} <= org_codes(flow)


def test_organisation_rows_are_refused_as_the_api_would(flow, send):
    rows = [
        {"code": "201", "name_zh": "重复编码", "kind": "部门", "parent_code": ""},
        {"code": "902001", "name_zh": "无上级", "kind": "所属单位", "parent_code": "999"},
        {"code": "902002", "name_zh": "好单位", "kind": "所属单位", "parent_code": "201"},
    ]
    body = assert_problem(send("organisations", rows, user="admin"), 422, "IMPORT_REJECTED")
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (2, "code", "ORGANISATION_CODE_TAKEN"),
        (3, "parent_code", "CODE_NOT_FOUND"),
    }
    assert "902002" not in org_codes(flow)
    assert_problem(send("organisations", rows[2:], user="finance"), 403, "PERMISSION_DENIED")


def user_row(username: str, **fields: str) -> dict[str, str]:
    return {
        "username": username,
        "display_name": "导入用户",
        "role": "部门单位",
        "organisation_code": "201",
        "initial_password": "Import#Pass2027",
        **fields,
    }


@pytest.mark.parametrize("fmt", ["csv-gb18030", "xlsx", "json"])
def test_users_bound_by_organisation_code(flow, send, fmt):
    rows = [user_row("import_a"), user_row("import_b", role="finance", organisation_code="")]
    response = send("users", rows, fmt, user="admin")
    assert response.status_code == 201, response.text
    listed = flow.client.get(
        "/api/v1/users", params={"limit": 100}, headers=flow.auth("admin")
    ).json()
    users = {u["username"]: u for u in (listed["items"] if isinstance(listed, dict) else listed)}
    assert users["import_a"]["role"] == "department"
    assert users["import_b"]["role"] == "finance"


def test_user_rows_are_refused_as_the_api_would(flow, send):
    rows = [
        user_row("admin"),
        user_row("import_c", organisation_code=""),
        user_row("x"),
    ]
    body = assert_problem(send("users", rows, user="admin"), 422, "IMPORT_REJECTED")
    assert {(e["row"], e["column"], e["code"]) for e in body["errors"]} == {
        (2, "username", "USERNAME_TAKEN"),
        (3, "organisation_code", "ORGANISATION_REQUIRED"),
        (4, "username", "FIELD_INVALID"),
    }
    assert_problem(send("users", rows, user="department"), 403, "PERMISSION_DENIED")
