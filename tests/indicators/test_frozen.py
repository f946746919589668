"""The framework is set before budget preparation (S2.2.1): frozen once the year executes."""

import pytest

from tests.factories import demo_org
from tests.indicators.conftest import LIBRARY, framework_body, framework_url, indicators_url
from tests.problems import assert_problem


def _advance(client, finance, year, action):
    version = client.get(f"/api/v1/fiscal-years/{year}", headers=finance).json()["version"]
    response = client.post(
        f"/api/v1/fiscal-years/{year}/{action}", json={"version": version}, headers=finance
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("actions", "status"),
    [(("start-execution",), "executing"), (("start-execution", "close"), "closed")],
)
def test_every_framework_write_is_refused_after_preparation(
    client, finance, add_framework, open_year, actions, status
):
    indicator = add_framework("培训人次")
    open_year(2028)
    for action in actions:
        _advance(client, finance, 2027, action)
    url = f"{indicators_url()}/{indicator['id']}"

    writes = [
        client.post(indicators_url(), json=framework_body("新指标"), headers=finance),
        client.patch(url, json={"name": "改名", "version": 1}, headers=finance),
        client.post(f"{url}/deactivate", json={"version": 1}, headers=finance),
        client.post(f"{url}/activate", json={"version": 1}, headers=finance),
        client.post(f"{framework_url()}/copy-forward", headers=finance),
    ]
    for response in writes:
        body = assert_problem(response, 409, "FISCAL_YEAR_NOT_PREPARING")
        assert "S2.2.1" in body["detail"]

    # reading goes on
    framework = client.get(framework_url(), headers=finance).json()
    assert (framework["fiscal_year_status"], framework["editable"]) == (status, False)
    assert client.get(url, headers=finance).json() == indicator
    assert client.get(indicators_url(), headers=finance).json()["total"] == 1
    # the next year is still being prepared and takes the framework forward
    copied = client.post(f"{framework_url(2028)}/copy-forward", headers=finance)
    assert copied.status_code == 200, copied.text


def test_libraries_are_not_tied_to_a_year(client, db, finance, department, add_library):
    _advance(client, finance, 2027, "start-execution")
    indicator = add_library("课后服务覆盖率", demo_org(db, "201").id)
    response = client.patch(
        f"{LIBRARY}/{indicator['id']}", json={"sector": "教育", "version": 1}, headers=department
    )
    assert response.status_code == 200, response.text


def test_the_english_message_names_the_status(client, finance):
    _advance(client, finance, 2027, "start-execution")
    response = client.post(
        indicators_url(),
        json=framework_body("新指标"),
        headers={**finance, "Accept-Language": "en"},
    )
    body = assert_problem(response, 409, "FISCAL_YEAR_NOT_PREPARING")
    assert "before budget preparation (S2.2.1)" in body["detail"]
    assert "Executing" in body["detail"]
