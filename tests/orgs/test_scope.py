"""Object-level scope: a department user sees its own subtree, nothing else exists for it."""

import pytest

from tests.factories import demo_org, make_org
from tests.orgs.conftest import URL
from tests.problems import assert_problem

EDUCATION_SUBTREE = {"201", "201001", "201002"}


def _codes(client, headers, **params):
    body = client.get(URL, params={"limit": 100, **params}, headers=headers).json()
    assert body["total"] == len(body["items"])
    return {item["code"] for item in body["items"]}


def test_department_user_lists_only_its_subtree(client, auth):
    assert _codes(client, auth("department")) == EDUCATION_SUBTREE


def test_department_user_sees_new_units_at_any_depth_but_no_sibling_subtree(client, db, auth):
    education = demo_org(db, "201")
    unit = make_org(db, kind="unit", parent=education, code="201003")
    make_org(db, kind="unit", parent=unit, code="201003001")
    make_org(db, kind="unit", parent=demo_org(db, "202"), code="202002")
    assert _codes(client, auth("department")) == EDUCATION_SUBTREE | {"201003", "201003001"}


def test_unit_user_sees_only_its_own_unit(client, db, auth):
    school = demo_org(db, "201001")
    assert _codes(client, auth("unit")) == {"201001"}
    response = client.get(f"{URL}/{school.id}", headers=auth("unit"))
    assert response.status_code == 200
    assert response.json()["code"] == "201001"
    for code in ("201", "201002"):
        response = client.get(f"{URL}/{demo_org(db, code).id}", headers=auth("unit"))
        assert_problem(response, 404, "NOT_FOUND")


def test_filters_cannot_widen_the_scope(client, db, auth):
    health = demo_org(db, "202")
    assert _codes(client, auth("department"), parent_id=health.id) == set()
    assert _codes(client, auth("department"), search="202") == set()
    assert _codes(client, auth("department"), kind="department") == {"201"}


@pytest.mark.parametrize("code", ["202", "202001", "202001001", "100"])
def test_foreign_organisation_answers_exactly_like_a_missing_one(client, db, auth, code):
    foreign = client.get(f"{URL}/{demo_org(db, code).id}", headers=auth("department"))
    missing = client.get(f"{URL}/987654321", headers=auth("department"))
    foreign_body = assert_problem(foreign, 404, "NOT_FOUND")
    missing_body = assert_problem(missing, 404, "NOT_FOUND")
    volatile = {"instance", "request_id"}
    assert foreign_body.keys() == missing_body.keys()
    assert {k: v for k, v in foreign_body.items() if k not in volatile} == {
        k: v for k, v in missing_body.items() if k not in volatile
    }
    assert foreign.headers["content-type"] == missing.headers["content-type"]


def test_department_user_reads_its_own_units(client, db, auth):
    response = client.get(f"{URL}/{demo_org(db, '201002').id}", headers=auth("department"))
    assert response.status_code == 200
    assert response.json()["code"] == "201002"


@pytest.mark.parametrize("username", ["finance", "oversight", "admin", "expert", "investment"])
def test_county_wide_roles_see_every_organisation(client, db, auth, username):
    make_org(db, kind="unit", parent=demo_org(db, "203001"), code="203001001")
    codes = _codes(client, auth(username))
    assert {"100", "201", "202001001", "203001001", "204001", "900"} <= codes
    assert len(codes) == 15
    assert client.get(f"{URL}/{demo_org(db, '202').id}", headers=auth(username)).status_code == 200


def test_department_user_cannot_write_even_inside_its_subtree(client, db, auth):
    school = demo_org(db, "201001")
    response = client.patch(
        f"{URL}/{school.id}",
        json={"name_zh": "越权", "version": school.version},
        headers=auth("department"),
    )
    assert_problem(response, 403, "PERMISSION_DENIED")
    response = client.post(
        f"{URL}/{school.id}/deactivate",
        json={"version": school.version},
        headers=auth("department"),
    )
    assert_problem(response, 403, "PERMISSION_DENIED")
