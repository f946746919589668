"""Creating organisations: departments at the top, units below at any depth."""

import pytest

from tests.orgs.conftest import URL
from tests.problems import assert_problem, invalid_fields


def test_admin_builds_a_tree_of_any_depth(client, admin, create_org):
    department = create_org("D100", name_en="Test Department")
    unit = create_org("D100001", "unit", department)
    sub_unit = create_org("D100001001", "unit", unit)

    assert department["parent_id"] is None
    assert department["path"] == f"/{department['id']}/"
    assert department["is_active"] is True
    assert department["name_en"] == "Test Department"
    assert unit["parent_id"] == department["id"]
    assert unit["path"] == f"/{department['id']}/{unit['id']}/"
    assert sub_unit["path"] == f"/{department['id']}/{unit['id']}/{sub_unit['id']}/"

    read = client.get(f"{URL}/{sub_unit['id']}", headers=admin)
    assert read.status_code == 200
    assert read.json() == sub_unit


def test_unit_without_parent_is_refused(client, admin):
    response = client.post(
        URL, json={"code": "U1", "name_zh": "孤立单位", "kind": "unit"}, headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_PARENT_REQUIRED")


def test_unit_under_a_missing_parent_is_refused(client, admin):
    body = {"code": "U2", "name_zh": "单位", "kind": "unit", "parent_id": 987654321}
    assert_problem(client.post(URL, json=body, headers=admin), 409, "ORGANISATION_PARENT_REQUIRED")


def test_unit_under_a_bureau_is_refused(client, admin, create_org):
    bureau = create_org("B100", "bureau")
    body = {"code": "U3", "name_zh": "单位", "kind": "unit", "parent_id": bureau["id"]}
    assert_problem(client.post(URL, json=body, headers=admin), 409, "ORGANISATION_PARENT_REQUIRED")


@pytest.mark.parametrize("kind", ["department", "bureau", "agency"])
def test_top_level_kinds_refuse_a_parent(client, admin, create_org, kind):
    parent = create_org("D200")
    body = {"code": "X200", "name_zh": "机构", "kind": kind, "parent_id": parent["id"]}
    assert_problem(
        client.post(URL, json=body, headers=admin), 409, "ORGANISATION_PARENT_NOT_ALLOWED"
    )


def test_duplicate_code_is_refused(client, admin, create_org):
    create_org("D300")
    response = client.post(
        URL, json={"code": "D300", "name_zh": "另一个", "kind": "department"}, headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_CODE_TAKEN")
    # a demo code is taken too
    response = client.post(
        URL, json={"code": "201", "name_zh": "重复", "kind": "department"}, headers=admin
    )
    assert_problem(response, 409, "ORGANISATION_CODE_TAKEN")


def test_unit_under_an_inactive_parent_is_refused(client, admin, create_org):
    department = create_org("D400")
    deactivated = client.post(
        f"{URL}/{department['id']}/deactivate",
        json={"version": department["version"]},
        headers=admin,
    )
    assert deactivated.status_code == 200, deactivated.text
    body = {"code": "D400001", "name_zh": "单位", "kind": "unit", "parent_id": department["id"]}
    assert_problem(client.post(URL, json=body, headers=admin), 409, "ORGANISATION_PARENT_INACTIVE")


@pytest.mark.parametrize(
    ("field", "value"),
    [("path", "/1/"), ("is_active", False), ("version", 7), ("created_by", 1), ("id", 5)],
)
def test_unknown_fields_on_create_are_refused_and_nothing_is_created(client, admin, field, value):
    body = {"code": "M100", "name_zh": "批量赋值", "kind": "department", field: value}
    assert invalid_fields(client.post(URL, json=body, headers=admin)) == {f"body.{field}"}
    listed = client.get(URL, params={"search": "M100"}, headers=admin).json()
    assert listed["total"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {"code": "", "name_zh": "空编码", "kind": "department"},
        {"code": "has space", "name_zh": "非法编码", "kind": "department"},
        {"code": "V100", "name_zh": "", "kind": "department"},
        {"code": "V100", "name_zh": "未知类型", "kind": "ministry"},
        {"name_zh": "缺编码", "kind": "department"},
    ],
)
def test_invalid_create_bodies_answer_422(client, admin, body):
    assert_problem(client.post(URL, json=body, headers=admin), 422, "VALIDATION_FAILED")


@pytest.mark.parametrize("username", ["finance", "oversight", "department", "expert"])
def test_only_admin_maintains_organisations(client, auth, username):
    response = client.post(
        URL, json={"code": "F100", "name_zh": "越权", "kind": "department"}, headers=auth(username)
    )
    assert_problem(response, 403, "PERMISSION_DENIED")
    assert client.get(URL, params={"search": "F100"}, headers=auth("admin")).json()["total"] == 0


def test_creating_without_a_token_answers_401(client):
    response = client.post(URL, json={"code": "A100", "name_zh": "匿名", "kind": "department"})
    assert_problem(response, 401, "NOT_AUTHENTICATED")
