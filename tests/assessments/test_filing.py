"""Filing the ex-ante assessment (S2.1.1): who files, for which items, and until when."""

import pytest

from tests.assessments.conftest import DIMENSIONS, all_dimensions, assessment_url
from tests.problems import assert_problem, invalid_fields


def test_department_files_a_draft_and_reads_it_back(flow, client, auth, db):
    item_id = flow.item("201")
    created = flow.draft(item_id, conclusion="必要且可行。")
    assert created["item_id"] == item_id
    assert created["status"] == "draft"
    assert created["assessor_role"] == "department"
    assert created["version"] == 1
    assert created["missing_dimensions"] == []
    assert created["dimensions"]["necessity"] == {
        "finding": "necessity 的评估意见",
        "score": "85.50",
    }
    assert created["attachments"] == [] and created["reviews"] == []
    assert client.get(assessment_url(item_id), headers=auth("department")).json() == created


def test_a_partial_draft_is_kept_and_names_what_is_missing(flow):
    item_id = flow.item()
    body = flow.draft(item_id, dimensions={"necessity": {"finding": "必要", "score": 90}})
    assert set(body["dimensions"]) == {"necessity"}
    assert body["missing_dimensions"] == DIMENSIONS[1:]


def test_the_unit_files_for_its_own_items_and_the_parent_department_for_its_units(flow):
    own = flow.item("201001")
    assert flow.draft(own, "unit")["filed_by_id"] is not None
    of_unit = flow.item("201002")
    assert flow.draft(of_unit, "department")["status"] == "draft"


def test_an_update_replaces_the_draft_and_needs_the_version(flow, client, auth):
    item_id = flow.item()
    first = flow.draft(item_id)
    url = assessment_url(item_id)
    headers = auth("department")
    body = {"dimensions": {"necessity": {"finding": "改写", "score": "70"}}, "conclusion": "再议"}
    assert_problem(client.put(url, json=body, headers=headers), 428, "VERSION_REQUIRED")
    stale = client.put(url, json={**body, "version": first["version"] + 1}, headers=headers)
    assert_problem(stale, 409, "VERSION_CONFLICT")
    updated = client.put(url, json=body, headers={**headers, "If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    assert updated.json()["dimensions"] == {"necessity": {"finding": "改写", "score": "70.00"}}
    assert updated.json()["conclusion"] == "再议"


@pytest.mark.parametrize("score", ["-1", "100.01", "85.123", "abc"])
def test_scores_are_0_to_100_with_two_decimals(flow, client, auth, score):
    item_id = flow.item()
    response = client.put(
        assessment_url(item_id),
        json={"dimensions": {"necessity": {"finding": "必要", "score": score}}},
        headers=auth("department"),
    )
    assert "body.dimensions.necessity.score" in invalid_fields(response)


def test_unknown_dimensions_and_empty_findings_are_refused(flow, client, auth):
    item_id = flow.item()
    response = client.put(
        assessment_url(item_id),
        json={
            "dimensions": {
                "beauty": {"finding": "好看", "score": 90},
                "necessity": {"finding": "", "score": 90},
            },
            "status": "submitted",
        },
        headers=auth("department"),
    )
    fields = invalid_fields(response)
    assert "body.dimensions.necessity.finding" in fields
    assert "body.status" in fields
    assert any(field.startswith("body.dimensions.beauty") for field in fields)


def test_capital_construction_is_assessed_by_the_investment_authority(flow, client, auth):
    item_id = flow.item("201", capital_construction=True)
    for username in ("department", "unit"):
        refused = client.put(
            assessment_url(item_id), json={"dimensions": all_dimensions()}, headers=auth(username)
        )
        if username == "department":
            body = assert_problem(refused, 403, "INVESTMENT_AUTHORITY_ASSESSES")
            assert "S2.1.1" in body["detail"]
        else:  # the school does not see its parent's items at all
            assert_problem(refused, 404, "NOT_FOUND")
    filed = client.put(assessment_url(item_id), json={}, headers=auth("investment"))
    assert filed.status_code == 200, filed.text
    assert filed.json()["assessor_role"] == "investment"
    assert filed.json()["missing_dimensions"] == DIMENSIONS
    flow.draft(item_id, "investment", version=1)
    assert flow.submit(item_id, "investment")["status"] == "submitted"


def test_the_investment_authority_assesses_capital_construction_of_any_department(flow):
    item_id = flow.item("204001", capital_construction=True)
    assert flow.draft(item_id, "investment")["assessor_role"] == "investment"


def test_the_investment_authority_cannot_reach_ordinary_items(flow, client, auth):
    item_id = flow.item("201")
    missing = client.put(assessment_url(987654321), json={}, headers=auth("investment"))
    foreign = client.put(assessment_url(item_id), json={}, headers=auth("investment"))
    assert_problem(missing, 404, "NOT_FOUND")
    assert assert_problem(foreign, 404, "NOT_FOUND")["detail"] == missing.json()["detail"]


@pytest.mark.parametrize(
    ("kind", "new_major"),
    [("project", False), ("policy", False), ("department_overall", True)],
)
def test_only_new_major_policies_and_projects_are_assessed(flow, client, auth, kind, new_major):
    item_id = flow.item(kind=kind, new_major=new_major)
    response = client.put(
        assessment_url(item_id), json={"dimensions": all_dimensions()}, headers=auth("department")
    )
    assert_problem(response, 409, "ASSESSMENT_NOT_APPLICABLE")


def test_a_new_major_policy_is_assessed(flow):
    assert flow.draft(flow.item(kind="policy"))["status"] == "draft"


@pytest.mark.parametrize("username", ["department", "unit"])
def test_a_department_cannot_file_for_another_subtree(flow, client, auth, username):
    item_id = flow.item("202")
    response = client.put(assessment_url(item_id), json={}, headers=auth(username))
    assert_problem(response, 404, "NOT_FOUND")
    sibling = flow.item("201002")
    if username == "unit":
        response = client.put(assessment_url(sibling), json={}, headers=auth(username))
        assert_problem(response, 404, "NOT_FOUND")


def test_submit_needs_all_five_dimensions_and_a_conclusion(flow, client, auth):
    item_id = flow.item()
    draft = flow.draft(
        item_id,
        dimensions={"necessity": {"finding": "必要", "score": 90}},
        conclusion="  ",
    )
    response = client.post(
        assessment_url(item_id, "/submit"),
        json={"version": draft["version"]},
        headers=auth("department"),
    )
    body = assert_problem(response, 409, "ASSESSMENT_INCOMPLETE")
    assert body["missing"] == [*DIMENSIONS[1:], "conclusion"]
    assert "S2.1.1" in body["detail"]
    assert flow.read(item_id)["status"] == "draft"


def test_submit_then_the_draft_is_frozen(flow, client, auth):
    item_id = flow.item()
    flow.draft(item_id)
    submitted = flow.submit(item_id)
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    headers = auth("department")
    version = {"version": submitted["version"]}
    edit = client.put(assessment_url(item_id), json=version, headers=headers)
    assert_problem(edit, 409, "ASSESSMENT_NOT_EDITABLE")
    again = client.post(assessment_url(item_id, "/submit"), json=version, headers=headers)
    assert assert_problem(again, 409, "INVALID_TRANSITION")["to"] == "submitted"


def test_submit_needs_the_version_and_an_existing_assessment(flow, client, auth):
    item_id = flow.item()
    headers = auth("department")
    assert_problem(
        client.post(assessment_url(item_id, "/submit"), json={"version": 1}, headers=headers),
        404,
        "NOT_FOUND",
    )
    flow.draft(item_id)
    assert_problem(
        client.post(assessment_url(item_id, "/submit"), json={}, headers=headers),
        428,
        "VERSION_REQUIRED",
    )
    assert_problem(
        client.post(assessment_url(item_id, "/submit"), json={"version": 7}, headers=headers),
        409,
        "VERSION_CONFLICT",
    )


def test_reading_an_item_without_an_assessment_is_404(flow, client, auth):
    item_id = flow.item()
    body = assert_problem(
        client.get(assessment_url(item_id), headers=auth("finance")), 404, "NOT_FOUND"
    )
    assert "评估" in body["detail"]
