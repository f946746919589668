"""A fiscal year's common framework (S2.2.1): finance keeps it, every workflow role reads it."""

import pytest

from tests.indicators.conftest import framework_body, framework_url, indicators_url
from tests.problems import assert_problem, invalid_fields


def _get(client, headers, indicator, year=2027):
    response = client.get(f"{indicators_url(year)}/{indicator['id']}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _names(client, headers, year=2027, **params):
    response = client.get(indicators_url(year), params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["name"] for item in body["items"]]


def test_framework_shows_the_four_first_levels_and_their_categories(client, department):
    response = client.get(framework_url(), headers=department)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["year"], body["fiscal_year_status"], body["editable"]) == (2027, "preparing", True)
    assert (body["indicator_count"], body["active_indicator_count"]) == (0, 0)
    levels = {level["first_level"]: level for level in body["levels"]}
    assert list(levels) == ["output", "cost", "effect", "satisfaction"]
    assert levels["output"]["label_zh"] == "产出指标"
    assert [c["category"] for c in levels["output"]["categories"]] == [
        "quantity",
        "quality",
        "timeliness",
    ]
    assert [c["category"] for c in levels["cost"]["categories"]] == [
        "economic_cost",
        "social_cost",
        "ecological_cost",
    ]
    assert len(levels["effect"]["categories"]) == 4
    assert levels["satisfaction"]["categories"] == [
        {
            "category": "service_satisfaction",
            "label_zh": "服务对象满意度指标",
            "label_en": "Satisfaction of those served",
        }
    ]


def test_framework_counts_its_indicators(client, finance, add_framework):
    add_framework("培训人次")
    withdrawn = add_framework("培训合格率", unit="%")
    client.post(
        f"{indicators_url()}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=finance
    )
    body = client.get(framework_url(), headers=finance).json()
    assert (body["indicator_count"], body["active_indicator_count"]) == (2, 1)


def test_a_missing_year_is_404(client, finance):
    assert_problem(client.get(framework_url(2031), headers=finance), 404, "NOT_FOUND")
    assert_problem(client.get(indicators_url(2031), headers=finance), 404, "NOT_FOUND")
    response = client.post(indicators_url(2031), json=framework_body("某指标"), headers=finance)
    assert_problem(response, 404, "NOT_FOUND")


def test_finance_adds_a_common_indicator(client, finance, department):
    body = framework_body("受益人数", description="按花名册统计")
    response = client.post(indicators_url(), json=body, headers=finance)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in body} == body
    assert created["first_level"] == "output"
    assert created["is_active"] is True
    assert created["version"] == 1
    assert _get(client, department, created) == created


@pytest.mark.parametrize(
    "category",
    [
        "running_cost",
        "management_efficiency",
        "duty_performance",
        "social_impact",
        "sustainability",
        "beneficiary_satisfaction",
    ],
)
def test_overall_aspects_are_not_framework_categories(client, finance, category):
    response = client.post(
        indicators_url(), json=framework_body("整体指标", category=category), headers=finance
    )
    body = assert_problem(response, 422, "INDICATOR_CATEGORY_NOT_ALLOWED")
    assert "S2.2.3" in body["detail"]


@pytest.mark.parametrize("direction", ["gte", "gt", "eq", "lte", "lt"])
def test_quantitative_directions_need_a_unit(client, finance, direction):
    body = framework_body("无单位指标", direction=direction)
    del body["unit"]
    assert_problem(
        client.post(indicators_url(), json=body, headers=finance), 422, "INDICATOR_UNIT_REQUIRED"
    )
    body["unit"] = None
    assert_problem(
        client.post(indicators_url(), json=body, headers=finance), 422, "INDICATOR_UNIT_REQUIRED"
    )
    assert _names(client, finance) == []


def test_a_qualitative_indicator_needs_no_unit(client, finance):
    body = {"category": "social_effect", "name": "群众获得感", "direction": "qualitative"}
    response = client.post(indicators_url(), json=body, headers=finance)
    assert response.status_code == 201, response.text
    assert response.json()["unit"] is None
    assert response.json()["first_level"] == "effect"


def test_malformed_bodies_answer_422(client, finance):
    response = client.post(
        indicators_url(),
        json={"category": "planet", "name": "", "direction": ">=", "unit": "x" * 33, "id": 5},
        headers=finance,
    )
    assert invalid_fields(response) == {
        "body.category",
        "body.name",
        "body.direction",
        "body.unit",
        "body.id",
    }


def test_a_name_is_used_once_per_year(client, finance, add_framework, open_year):
    add_framework("培训人次")
    response = client.post(indicators_url(), json=framework_body("培训人次"), headers=finance)
    body = assert_problem(response, 409, "INDICATOR_NAME_TAKEN")
    assert "培训人次" in body["detail"]
    # another year may use the same name
    open_year(2028)
    assert add_framework("培训人次", year=2028)["name"] == "培训人次"
    assert _names(client, finance) == ["培训人次"]


def test_update_with_version_or_if_match(client, finance, add_framework):
    indicator = add_framework("培训人次")
    url = f"{indicators_url()}/{indicator['id']}"
    response = client.patch(
        url,
        json={"name": "培训人数", "category": "quality", "description": "新口径", "version": 1},
        headers=finance,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["name"], updated["category"], updated["version"]) == ("培训人数", "quality", 2)
    assert updated["description"] == "新口径"
    assert updated["unit"] == "人"  # untouched when not sent

    response = client.patch(
        url, json={"direction": "lte", "unit": "天"}, headers={**finance, "If-Match": '"2"'}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["direction"], response.json()["unit"]) == ("lte", "天")
    assert _get(client, finance, indicator)["version"] == 3


def test_update_rules(client, finance, add_framework):
    indicator = add_framework("培训人次")
    other = add_framework("培训合格率", unit="%")
    qualitative = add_framework("群众获得感", category="social_effect", direction="qualitative")
    del qualitative  # only its presence matters below
    url = f"{indicators_url()}/{indicator['id']}"

    assert_problem(
        client.patch(url, json={"name": other["name"], "version": 1}, headers=finance),
        409,
        "INDICATOR_NAME_TAKEN",
    )
    assert_problem(
        client.patch(url, json={"category": "running_cost", "version": 1}, headers=finance),
        422,
        "INDICATOR_CATEGORY_NOT_ALLOWED",
    )
    assert_problem(
        client.patch(url, json={"unit": None, "version": 1}, headers=finance),
        422,
        "INDICATOR_UNIT_REQUIRED",
    )
    assert _get(client, finance, indicator) == indicator

    # a unitless qualitative indicator cannot turn quantitative without a unit
    unitless = add_framework("服务规范性", category="quality", direction="qualitative", unit=None)
    response = client.patch(
        f"{indicators_url()}/{unitless['id']}",
        json={"direction": "gte", "version": 1},
        headers=finance,
    )
    assert_problem(response, 422, "INDICATOR_UNIT_REQUIRED")
    response = client.patch(
        f"{indicators_url()}/{unitless['id']}",
        json={"direction": "gte", "unit": "%", "version": 1},
        headers=finance,
    )
    assert response.status_code == 200, response.text

    # keeping its own name is not a clash
    response = client.patch(url, json={"name": indicator["name"], "version": 1}, headers=finance)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1  # nothing changed


def test_writes_carry_the_version_they_read(client, finance, add_framework):
    indicator = add_framework("培训人次")
    url = f"{indicators_url()}/{indicator['id']}"
    assert_problem(
        client.patch(url, json={"name": "新名"}, headers=finance), 428, "VERSION_REQUIRED"
    )
    assert_problem(
        client.post(f"{url}/deactivate", json={}, headers=finance), 428, "VERSION_REQUIRED"
    )
    assert (
        client.patch(url, json={"name": "新名", "version": 1}, headers=finance).status_code == 200
    )
    body = assert_problem(
        client.patch(url, json={"name": "再改", "version": 1}, headers=finance),
        409,
        "VERSION_CONFLICT",
    )
    assert body["current_version"] == 2
    assert_problem(
        client.post(f"{url}/deactivate", json={"version": 1}, headers=finance),
        409,
        "VERSION_CONFLICT",
    )
    assert_problem(
        client.patch(url, json={"is_active": False, "version": 2}, headers=finance),
        422,
        "VALIDATION_FAILED",
    )


def test_deactivate_and_activate(client, finance, add_framework):
    indicator = add_framework("培训人次")
    url = f"{indicators_url()}/{indicator['id']}"
    response = client.post(f"{url}/deactivate", json={"version": 1}, headers=finance)
    assert response.status_code == 200, response.text
    assert (response.json()["is_active"], response.json()["version"]) == (False, 2)
    # deactivating again changes nothing
    again = client.post(f"{url}/deactivate", json={"version": 2}, headers=finance)
    assert (again.json()["is_active"], again.json()["version"]) == (False, 2)
    response = client.post(f"{url}/activate", headers={**finance, "If-Match": "2"}, json={})
    assert response.status_code == 200, response.text
    assert (response.json()["is_active"], response.json()["version"]) == (True, 3)


def test_an_indicator_belongs_to_its_year(client, finance, add_framework, open_year):
    open_year(2028)
    indicator = add_framework("培训人次", year=2028)
    wrong_year = f"{indicators_url(2027)}/{indicator['id']}"
    missing = f"{indicators_url(2027)}/987654"
    for url in (wrong_year, missing):
        assert_problem(client.get(url, headers=finance), 404, "NOT_FOUND")
        assert_problem(
            client.patch(url, json={"name": "改", "version": 1}, headers=finance), 404, "NOT_FOUND"
        )
        assert_problem(
            client.post(f"{url}/deactivate", json={"version": 1}, headers=finance),
            404,
            "NOT_FOUND",
        )
    assert _get(client, finance, indicator, year=2028)["name"] == "培训人次"


def test_list_filters_and_section_3_order(client, finance, add_framework):
    add_framework("满意度", category="service_satisfaction", unit="%")
    add_framework("带动就业人数", category="social_effect")
    add_framework("完成及时率", category="timeliness", unit="%")
    add_framework("建设成本", category="economic_cost", direction="lte", unit="万元")
    add_framework("培训人次")
    withdrawn = add_framework("培训合格率", category="quality", unit="%")
    client.post(
        f"{indicators_url()}/{withdrawn['id']}/deactivate", json={"version": 1}, headers=finance
    )

    assert _names(client, finance) == [
        "培训人次",
        "培训合格率",
        "完成及时率",
        "建设成本",
        "带动就业人数",
        "满意度",
    ]
    assert _names(client, finance, first_level="output") == ["培训人次", "培训合格率", "完成及时率"]
    assert _names(client, finance, first_level="overall") == []
    assert _names(client, finance, category="economic_cost") == ["建设成本"]
    assert _names(client, finance, active="false") == ["培训合格率"]
    assert _names(client, finance, active="true", first_level="output") == [
        "培训人次",
        "完成及时率",
    ]
    assert _names(client, finance, search="培训") == ["培训人次", "培训合格率"]
    assert _names(client, finance, search="%") == []

    page = client.get(indicators_url(), params={"limit": 2, "offset": 2}, headers=finance).json()
    assert (page["total"], page["limit"], page["offset"]) == (6, 2, 2)
    assert [item["name"] for item in page["items"]] == ["完成及时率", "建设成本"]


def test_invalid_list_parameters_answer_422(client, finance):
    for params, field in (
        ({"category": "planet"}, "query.category"),
        ({"first_level": "x"}, "query.first_level"),
        ({"limit": 101}, "query.limit"),
        ({"sector": "教育"}, "query.sector"),
    ):
        response = client.get(indicators_url(), params=params, headers=finance)
        assert invalid_fields(response) == {field}
