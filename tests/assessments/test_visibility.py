"""Who sees and who acts: department users their subtree, reviewers their assignments, the
investment authority capital construction, finance and oversight everything (issue 3)."""

import pytest

from tests.assessments.conftest import REVIEWS_URL, all_dimensions, assessment_url
from tests.problems import assert_problem

ALL = ("admin", "finance", "department", "unit", "expert", "thirdparty", "investment", "oversight")

READ = {
    "admin": 403,
    "finance": 200,
    "oversight": 200,
    "department": 200,
    "unit": 404,  # the item belongs to the parent department
    "expert": 200,  # assigned
    "thirdparty": 404,  # not assigned
    "investment": 404,  # not capital construction
}
FILE = {
    "admin": 403,
    "finance": 403,
    "oversight": 403,
    "expert": 403,
    "thirdparty": 403,
    "department": 200,
    "unit": 404,
    "investment": 404,
}
FILE_CAPITAL = {**FILE, "department": 403, "investment": 200}


@pytest.mark.parametrize("username", ALL)
def test_who_reads_an_assessment(flow, client, auth, username):
    item_id, _ = flow.under_review("expert")
    response = client.get(assessment_url(item_id), headers=auth(username))
    assert response.status_code == READ[username], response.text
    if READ[username] == 404:
        assert response.json()["code"] == "NOT_FOUND"
    if READ[username] == 403:
        assert response.json()["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("username", ALL)
@pytest.mark.parametrize("capital", [False, True])
def test_who_files_an_assessment(flow, client, auth, username, capital):
    item_id = flow.item("201", capital_construction=capital)
    response = client.put(
        assessment_url(item_id), json={"dimensions": all_dimensions()}, headers=auth(username)
    )
    expected = (FILE_CAPITAL if capital else FILE)[username]
    assert response.status_code == expected, response.text
    if expected == 403:
        code = "INVESTMENT_AUTHORITY_ASSESSES" if username == "department" else "PERMISSION_DENIED"
        assert response.json()["code"] == code


@pytest.mark.parametrize("username", ["finance", "oversight", "investment", "department"])
def test_capital_construction_is_read_by_the_authority_and_the_owner(flow, client, auth, username):
    item_id = flow.item("201", capital_construction=True)
    flow.draft(item_id, "investment")
    assert client.get(assessment_url(item_id), headers=auth(username)).status_code == 200


def test_an_unassigned_expert_sees_nothing_until_assigned(flow, client, auth):
    item_id = flow.submitted()
    before = client.get(assessment_url(item_id), headers=auth("expert"))
    missing = client.get(assessment_url(987654321), headers=auth("expert"))
    assert_problem(before, 404, "NOT_FOUND")
    assert before.json()["detail"] == missing.json()["detail"]
    listed = client.get(REVIEWS_URL, params={"item_id": item_id}, headers=auth("expert"))
    assert listed.json()["total"] == 0
    flow.assign(item_id, "expert")
    assert client.get(assessment_url(item_id), headers=auth("expert")).status_code == 200


def test_a_foreign_department_gets_404_on_every_assessment_route(flow, client, auth):
    item_id = flow.item("202")
    headers = auth("department")
    calls = [
        ("GET", assessment_url(item_id), None),
        ("PUT", assessment_url(item_id), {"dimensions": {}}),
        ("POST", assessment_url(item_id, "/submit"), {"version": 1}),
        ("GET", assessment_url(item_id, "/attachments/1"), None),
        ("DELETE", assessment_url(item_id, "/attachments/1"), None),
    ]
    for method, url, body in calls:
        response = client.request(method, url, json=body, headers=headers)
        assert_problem(response, 404, "NOT_FOUND")
        assert response.json()["detail"] == "未找到该预算项目。"


def test_oversight_reads_everything_and_changes_nothing(flow, client, auth):
    item_id, review = flow.under_review()
    headers = auth("oversight")
    assert client.get(assessment_url(item_id), headers=headers).status_code == 200
    assert client.get(REVIEWS_URL, headers=headers).json()["total"] >= 1
    writes = [
        ("PUT", assessment_url(item_id), {"version": 2}),
        ("POST", assessment_url(item_id, "/submit"), {"version": 2}),
        ("POST", assessment_url(item_id, "/reviewers"), {"reviewer_id": 1}),
        ("POST", assessment_url(item_id, "/conclusion"), {"final_conclusion": "supported"}),
        ("PUT", f"{REVIEWS_URL}/{review['id']}", {"version": 1}),
    ]
    for method, url, body in writes:
        response = client.request(method, url, json=body, headers=headers)
        assert_problem(response, 403, "PERMISSION_DENIED")
