"""Department libraries (S2.2.1): a department keeps indicators for its own subtree."""

import pytest

from perfbudget.principal import Role
from tests.factories import STRONG_PASSWORD, demo_org, make_org, make_user
from tests.indicators.conftest import LIBRARY
from tests.problems import assert_problem, invalid_fields


def _body(organisation_id, name="教学质量达标率", **fields):
    return {
        "organisation_id": organisation_id,
        "category": "quality",
        "name": name,
        "direction": "gte",
        "unit": "%",
        **fields,
    }


def _names(client, headers, **params):
    response = client.get(LIBRARY, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["name"] for item in body["items"]]


@pytest.fixture
def health_user(client, db, login):
    """A department user of the health commission (202), outside education's subtree."""
    make_user(db, role=Role.department, organisation=demo_org(db, "202"), username="health.user")
    return {"Authorization": f"Bearer {login('health.user', STRONG_PASSWORD)}"}


def test_a_department_adds_indicators_for_itself_and_its_units(client, db, department):
    education, school = demo_org(db, "201"), demo_org(db, "201001")
    body = _body(education.id, sector="教育", description="抽样测评")
    response = client.post(LIBRARY, json=body, headers=department)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in body if k != "organisation_id"} == {
        k: v for k, v in body.items() if k != "organisation_id"
    }
    assert created["organisation"] == {"id": education.id, "code": "201", "name_zh": "县教育局"}
    assert (created["first_level"], created["is_active"], created["version"]) == ("output", True, 1)
    assert created["created_by_id"] is not None

    response = client.post(LIBRARY, json=_body(school.id), headers=department)
    assert response.status_code == 201, response.text
    assert response.json()["organisation"]["code"] == "201001"
    # the same name in another organisation's library is no clash
    assert response.json()["name"] == created["name"]

    assert client.get(f"{LIBRARY}/{created['id']}", headers=department).json() == created


@pytest.mark.parametrize(
    "category",
    [
        "running_cost",
        "management_efficiency",
        "duty_performance",
        "social_impact",
        "sustainability",
        "beneficiary_satisfaction",
        "service_satisfaction",
    ],
)
def test_libraries_take_overall_aspects_and_second_level_categories(
    client, db, department, category
):
    response = client.post(
        LIBRARY, json=_body(demo_org(db, "201").id, category=category), headers=department
    )
    assert response.status_code == 201, response.text
    assert response.json()["category"] == category


def test_a_quantitative_library_indicator_needs_a_unit(client, db, department):
    body = _body(demo_org(db, "201").id, unit=None)
    assert_problem(
        client.post(LIBRARY, json=body, headers=department), 422, "INDICATOR_UNIT_REQUIRED"
    )
    body["direction"] = "qualitative"
    assert client.post(LIBRARY, json=body, headers=department).status_code == 201


def test_a_name_is_used_once_per_organisation(client, db, department, add_library):
    education = demo_org(db, "201")
    add_library("教学质量达标率", education.id)
    response = client.post(LIBRARY, json=_body(education.id), headers=department)
    assert_problem(response, 409, "INDICATOR_NAME_TAKEN")
    assert _names(client, department) == ["教学质量达标率"]


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("department", "202"),
        ("department", "202001"),
        ("department", "100"),
        ("unit", "201"),
        ("unit", "201002"),
    ],
)
def test_an_organisation_outside_the_subtree_is_404_like_a_missing_one(
    client, db, auth, username, code
):
    foreign = client.post(LIBRARY, json=_body(demo_org(db, code).id), headers=auth(username))
    missing = client.post(LIBRARY, json=_body(987654), headers=auth(username))
    foreign_body = assert_problem(foreign, 404, "NOT_FOUND")
    missing_body = assert_problem(missing, 404, "NOT_FOUND")
    assert foreign_body["detail"] == missing_body["detail"]


def test_a_deactivated_unit_takes_no_new_indicators(client, db, auth, department):
    closed = make_org(db, kind="unit", parent=demo_org(db, "201"), code="201009")
    response = client.post(
        f"/api/v1/organisations/{closed.id}/deactivate",
        json={"version": closed.version},
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.text
    assert_problem(
        client.post(LIBRARY, json=_body(closed.id), headers=department),
        409,
        "ORGANISATION_UNAVAILABLE",
    )


def test_malformed_bodies_answer_422(client, department):
    response = client.post(
        LIBRARY,
        json={"category": "quality", "name": "x", "direction": "gte", "sector": "", "version": 1},
        headers=department,
    )
    assert invalid_fields(response) == {"body.organisation_id", "body.sector", "body.version"}


def test_update(client, db, department, add_library):
    indicator = add_library("课后服务覆盖率", demo_org(db, "201001").id, sector="教育")
    url = f"{LIBRARY}/{indicator['id']}"
    response = client.patch(
        url,
        json={"name": "课后服务参与率", "category": "social_impact", "version": 1},
        headers=department,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["category"], updated["version"]) == (
        "课后服务参与率",
        "social_impact",
        2,
    )
    assert (updated["first_level"], updated["sector"]) == ("overall", "教育")
    assert updated["organisation"]["code"] == "201001"

    response = client.patch(url, json={"sector": None}, headers={**department, "If-Match": '"2"'})
    assert response.status_code == 200, response.text
    assert (response.json()["sector"], response.json()["version"]) == (None, 3)


def test_update_rules(client, db, department, add_library):
    school = demo_org(db, "201001")
    indicator = add_library("课后服务覆盖率", school.id)
    other = add_library("学生近视率", school.id, direction="lte")
    add_library("本局指标", demo_org(db, "201").id)
    url = f"{LIBRARY}/{indicator['id']}"
    assert_problem(
        client.patch(url, json={"name": other["name"], "version": 1}, headers=department),
        409,
        "INDICATOR_NAME_TAKEN",
    )
    assert_problem(
        client.patch(url, json={"unit": None, "version": 1}, headers=department),
        422,
        "INDICATOR_UNIT_REQUIRED",
    )
    assert_problem(
        client.patch(url, json={"version": 1, "organisation_id": 1}, headers=department),
        422,
        "VALIDATION_FAILED",
    )
    assert_problem(
        client.patch(url, json={"name": "x"}, headers=department), 428, "VERSION_REQUIRED"
    )
    # a name used by another organisation is free here
    response = client.patch(url, json={"name": "本局指标", "version": 1}, headers=department)
    assert response.status_code == 200, response.text
    assert_problem(
        client.patch(url, json={"name": "再改", "version": 1}, headers=department),
        409,
        "VERSION_CONFLICT",
    )


def test_deactivate_and_activate(client, db, auth, add_library):
    indicator = add_library("课后服务覆盖率", demo_org(db, "201001").id, username="unit")
    url = f"{LIBRARY}/{indicator['id']}"
    response = client.post(f"{url}/deactivate", json={"version": 1}, headers=auth("unit"))
    assert (response.status_code, response.json()["is_active"]) == (200, False)
    # the parent department acts on its unit's library too
    response = client.post(f"{url}/activate", json={"version": 2}, headers=auth("department"))
    assert (response.status_code, response.json()["is_active"]) == (200, True)
    assert response.json()["version"] == 3


def test_foreign_library_indicators_are_404_like_missing_ones(
    client, db, auth, health_user, add_library
):
    education = add_library("本局指标", demo_org(db, "201").id)
    hospital = client.post(
        LIBRARY, json=_body(demo_org(db, "202001").id, name="床位使用率"), headers=health_user
    )
    assert hospital.status_code == 201, hospital.text
    cases = [
        (auth("department"), hospital.json()["id"]),
        (health_user, education["id"]),
    ]
    for headers, foreign_id in cases:
        for suffix, method, body in (
            ("", "GET", None),
            ("", "PATCH", {"name": "越权", "version": 1}),
            ("/deactivate", "POST", {"version": 1}),
            ("/activate", "POST", {"version": 1}),
        ):
            foreign = client.request(
                method, f"{LIBRARY}/{foreign_id}{suffix}", json=body, headers=headers
            )
            missing = client.request(
                method, f"{LIBRARY}/987654{suffix}", json=body, headers=headers
            )
            foreign_body = assert_problem(foreign, 404, "NOT_FOUND")
            assert foreign_body["detail"] == assert_problem(missing, 404, "NOT_FOUND")["detail"]
    assert client.get(f"{LIBRARY}/{education['id']}", headers=auth("department")).status_code == 200


def test_a_unit_reuses_its_parent_departments_indicators_but_cannot_change_them(
    client, db, auth, add_library
):
    education = add_library("本局指标", demo_org(db, "201").id)
    unit = auth("unit")
    assert client.get(f"{LIBRARY}/{education['id']}", headers=unit).status_code == 200
    for suffix, method, body in (
        ("", "PATCH", {"name": "越权", "version": 1}),
        ("/deactivate", "POST", {"version": 1}),
    ):
        response = client.request(
            method, f"{LIBRARY}/{education['id']}{suffix}", json=body, headers=unit
        )
        assert_problem(response, 403, "LIBRARY_INDICATOR_NOT_OWN")
    assert client.get(f"{LIBRARY}/{education['id']}", headers=unit).json()["name"] == "本局指标"


def test_lists_show_a_department_its_subtree_and_county_wide_roles_everything(
    client, db, auth, health_user, add_library
):
    add_library("教育局指标", demo_org(db, "201").id)
    add_library("一中指标", demo_org(db, "201001").id, username="unit")
    add_library("实验小学指标", demo_org(db, "201002").id)
    response = client.post(
        LIBRARY, json=_body(demo_org(db, "202001").id, name="医院指标"), headers=health_user
    )
    assert response.status_code == 201, response.text

    everything = ["教育局指标", "一中指标", "实验小学指标", "医院指标"]
    assert _names(client, auth("department")) == everything[:3]
    # a unit sees its own library and its parent department's, not its siblings'
    assert _names(client, auth("unit")) == ["教育局指标", "一中指标"]
    assert _names(client, health_user) == ["医院指标"]
    for username in ("finance", "oversight", "expert", "thirdparty", "investment"):
        assert sorted(_names(client, auth(username))) == sorted(everything), username
    # a filter never widens the scope
    hospital = demo_org(db, "202001")
    assert _names(client, auth("department"), organisation_id=hospital.id) == []
    assert _names(client, auth("department"), search="医院") == []
    assert _names(client, auth("finance"), organisation_id=hospital.id) == ["医院指标"]


def test_list_filters(client, db, auth, department, add_library):
    education, school = demo_org(db, "201"), demo_org(db, "201001")
    add_library("学生满意度", education.id, category="service_satisfaction", sector="教育")
    add_library("运行成本控制率", education.id, category="running_cost", sector="行政")
    add_library("升学率", school.id, sector="教育")
    withdrawn = add_library("旧指标", school.id)
    client.post(f"{LIBRARY}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=department)

    assert _names(client, department) == ["学生满意度", "运行成本控制率", "升学率", "旧指标"]
    assert _names(client, department, organisation_id=school.id) == ["升学率", "旧指标"]
    assert _names(client, department, sector="教育") == ["学生满意度", "升学率"]
    assert _names(client, department, category="running_cost") == ["运行成本控制率"]
    assert _names(client, department, first_level="overall") == ["运行成本控制率"]
    assert _names(client, department, first_level="satisfaction") == ["学生满意度"]
    assert _names(client, department, active="false") == ["旧指标"]
    assert _names(client, department, active="true", organisation_id=school.id) == ["升学率"]
    assert _names(client, department, search="率") == ["运行成本控制率", "升学率"]
    assert _names(client, department, search="_") == []
    assert invalid_fields(
        client.get(LIBRARY, params={"sector": "x" * 65, "year": 1}, headers=department)
    ) == {"query.sector", "query.year"}
