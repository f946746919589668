"""The review panel (S2.1.2): finance assigns experts or a third party; each reviewer gives an
opinion per dimension and a recommendation, once."""

import pytest

from perfbudget.principal import Role
from tests.assessments.conftest import (
    REVIEWS_URL,
    all_opinions,
    assessment_url,
    user_id,
)
from tests.factories import make_user
from tests.problems import assert_problem, invalid_fields


def _assign(client, auth, item_id, reviewer_id, username="finance"):
    return client.post(
        assessment_url(item_id, "/reviewers"),
        json={"reviewer_id": reviewer_id},
        headers=auth(username),
    )


def test_finance_assigns_an_expert_and_a_third_party(flow, db):
    item_id = flow.submitted()
    expert = flow.assign(item_id, "expert")
    third = flow.assign(item_id, "thirdparty")
    assert expert["reviewer_id"] == user_id(db, "expert")
    assert expert["assigned_by_id"] == user_id(db, "finance")
    assert expert["status"] == "assigned" and expert["opinions"] == {}
    assert expert["item_id"] == item_id and expert["item_name"].startswith("测试项目")
    assert third["reviewer_id"] == user_id(db, "thirdparty")
    reviews = flow.read(item_id)["reviews"]
    assert [review["id"] for review in reviews] == [expert["id"], third["id"]]


def test_assigning_a_reviewer_does_not_touch_the_assessment_version(flow):
    item_id = flow.submitted()
    before = flow.read(item_id)["version"]
    flow.assign(item_id)
    assert flow.read(item_id)["version"] == before


def test_a_draft_cannot_be_reviewed(flow, client, auth, db):
    item_id = flow.item()
    flow.draft(item_id)
    response = _assign(client, auth, item_id, user_id(db, "expert"))
    assert_problem(response, 409, "ASSESSMENT_NOT_SUBMITTED")


def test_an_item_without_an_assessment_is_404(flow, client, auth, db):
    response = _assign(client, auth, flow.item(), user_id(db, "expert"))
    assert_problem(response, 404, "NOT_FOUND")


@pytest.mark.parametrize("username", ["finance", "department", "investment", "oversight", "admin"])
def test_only_experts_and_third_parties_can_review(flow, client, auth, db, username):
    item_id = flow.submitted()
    body = assert_problem(
        _assign(client, auth, item_id, user_id(db, username)), 409, "REVIEWER_ROLE_INVALID"
    )
    assert "S2.1.2" in body["detail"]


def test_a_disabled_or_unknown_reviewer_is_refused(flow, client, auth, db):
    item_id = flow.submitted()
    disabled = make_user(db, role=Role.expert)
    disabled.is_active = False
    db.commit()
    assert_problem(_assign(client, auth, item_id, disabled.id), 409, "REVIEWER_ROLE_INVALID")
    assert_problem(_assign(client, auth, item_id, 987654), 409, "REVIEWER_ROLE_INVALID")
    fresh = make_user(db, role=Role.expert)
    assert _assign(client, auth, item_id, fresh.id).status_code == 201


def test_the_same_reviewer_twice_is_refused(flow, client, auth, db):
    item_id = flow.submitted()
    flow.assign(item_id, "expert")
    response = _assign(client, auth, item_id, user_id(db, "expert"))
    assert_problem(response, 409, "REVIEWER_ALREADY_ASSIGNED")


def test_no_reviewer_is_added_after_the_conclusion(flow, client, auth, db):
    item_id = flow.concluded()
    response = _assign(client, auth, item_id, user_id(db, "thirdparty"))
    assert_problem(response, 409, "ASSESSMENT_ALREADY_CONCLUDED")


def test_the_reviewer_submits_opinions_once(flow, client, auth):
    item_id, review = flow.under_review()
    submitted = flow.review(review, score="91.5", recommendation="supported_with_changes")
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    assert submitted["opinions"] == all_opinions()
    assert submitted["score"] == "91.50"
    assert submitted["recommendation"] == "supported_with_changes"
    assert submitted["version"] == review["version"] + 1
    again = client.put(
        f"{REVIEWS_URL}/{review['id']}",
        json={
            "opinions": all_opinions(),
            "recommendation": "not_supported",
            "version": submitted["version"],
        },
        headers=auth("expert"),
    )
    assert_problem(again, 409, "REVIEW_ALREADY_SUBMITTED")
    assert flow.read(item_id, "expert")["reviews"][0]["recommendation"] == "supported_with_changes"


def test_score_and_summary_are_optional(flow):
    _, review = flow.under_review("thirdparty")
    body = flow.review(review, "thirdparty", score=None, summary=None)
    assert body["score"] is None and body["summary"] is None


def test_an_opinion_on_every_dimension_is_required(flow, client, auth):
    _, review = flow.under_review()
    opinions = all_opinions()
    del opinions["plan_feasibility"], opinions["necessity"]
    response = client.put(
        f"{REVIEWS_URL}/{review['id']}",
        json={"opinions": opinions, "recommendation": "supported", "version": review["version"]},
        headers=auth("expert"),
    )
    body = assert_problem(response, 409, "REVIEW_INCOMPLETE")
    assert body["missing"] == ["necessity", "plan_feasibility"]


def test_a_review_needs_a_recommendation_and_known_dimensions(flow, client, auth):
    _, review = flow.under_review()
    response = client.put(
        f"{REVIEWS_URL}/{review['id']}",
        json={"opinions": {**all_opinions(), "necessity": ""}, "version": review["version"]},
        headers=auth("expert"),
    )
    assert {"body.recommendation", "body.opinions.necessity"} <= invalid_fields(response)


def test_a_review_needs_the_version(flow, client, auth):
    _, review = flow.under_review()
    body = {"opinions": all_opinions(), "recommendation": "supported"}
    url = f"{REVIEWS_URL}/{review['id']}"
    assert_problem(client.put(url, json=body, headers=auth("expert")), 428, "VERSION_REQUIRED")
    stale = client.put(url, json={**body, "version": 9}, headers=auth("expert"))
    assert_problem(stale, 409, "VERSION_CONFLICT")


@pytest.mark.parametrize("username", ["thirdparty", "expert2"])
def test_only_the_assigned_reviewer_submits(flow, client, auth, db, login, username):
    _, review = flow.under_review("expert")
    if username == "expert2":
        other = make_user(db, role=Role.expert)
        headers = {"Authorization": f"Bearer {login(other.username, 'Str0ng!Passw0rd')}"}
    else:
        headers = auth(username)
    body = {"opinions": all_opinions(), "recommendation": "supported", "version": 1}
    response = client.put(f"{REVIEWS_URL}/{review['id']}", json=body, headers=headers)
    assert_problem(response, 404, "NOT_FOUND")
    missing = client.put(f"{REVIEWS_URL}/987654", json=body, headers=headers)
    assert response.json()["detail"] == missing.json()["detail"]


@pytest.mark.parametrize("username", ["finance", "department", "investment", "oversight", "admin"])
def test_only_reviewers_may_submit_reviews(flow, client, auth, username):
    _, review = flow.under_review()
    body = {"opinions": all_opinions(), "recommendation": "supported", "version": 1}
    response = client.put(f"{REVIEWS_URL}/{review['id']}", json=body, headers=auth(username))
    assert_problem(response, 403, "PERMISSION_DENIED")


def test_no_review_is_submitted_after_the_conclusion(flow, client, auth):
    item_id, first = flow.under_review("expert")
    late = flow.assign(item_id, "thirdparty")
    flow.review(first)
    flow.conclude(item_id)
    response = client.put(
        f"{REVIEWS_URL}/{late['id']}",
        json={"opinions": all_opinions(), "recommendation": "supported", "version": 1},
        headers=auth("thirdparty"),
    )
    assert_problem(response, 409, "ASSESSMENT_ALREADY_CONCLUDED")


def _listed(client, headers, **params):
    body = client.get(REVIEWS_URL, params={"limit": 100, **params}, headers=headers).json()
    assert body["total"] == len(body["items"])
    return body["items"]


def test_reviewers_list_only_their_own_assignments(flow, client, auth):
    demo_expert = {row["id"] for row in _listed(client, auth("expert"))}
    demo_third = {row["id"] for row in _listed(client, auth("thirdparty"))}
    first_item, first = flow.under_review("expert")
    second_item, second = flow.under_review("thirdparty")
    also = flow.assign(second_item, "expert")
    expert = _listed(client, auth("expert"))
    assert {row["id"] for row in expert} - demo_expert == {first["id"], also["id"]}
    assert all(row["reviewer_id"] == first["reviewer_id"] for row in expert)
    third = _listed(client, auth("thirdparty"))
    assert {row["id"] for row in third} - demo_third == {second["id"]}
    assert all(row["reviewer_id"] == second["reviewer_id"] for row in third)
    assert [row["item_id"] for row in _listed(client, auth("expert"), item_id=first_item)] == [
        first_item
    ]
    own = client.get(f"{REVIEWS_URL}/{first['id']}", headers=auth("expert"))
    assert own.status_code == 200 and own.json()["item_id"] == first_item
    assert_problem(
        client.get(f"{REVIEWS_URL}/{first['id']}", headers=auth("thirdparty")), 404, "NOT_FOUND"
    )


@pytest.mark.parametrize("username", ["finance", "oversight"])
def test_finance_and_oversight_list_every_assignment(flow, client, auth, username):
    item_id, first = flow.under_review("expert")
    second = flow.assign(item_id, "thirdparty")
    flow.review(first)
    body = client.get(REVIEWS_URL, params={"item_id": item_id}, headers=auth(username)).json()
    assert [row["id"] for row in body["items"]] == [second["id"], first["id"]]  # newest first
    pending = client.get(
        REVIEWS_URL, params={"item_id": item_id, "status": "assigned"}, headers=auth(username)
    ).json()
    assert [row["id"] for row in pending["items"]] == [second["id"]]
    paged = client.get(
        REVIEWS_URL, params={"item_id": item_id, "limit": 1, "offset": 1}, headers=auth(username)
    ).json()
    assert (paged["total"], [row["id"] for row in paged["items"]]) == (2, [first["id"]])


def test_the_filer_sees_the_reviews_only_with_the_conclusion(flow, client, auth):
    item_id, first = flow.under_review("expert")
    pending = flow.assign(item_id, "thirdparty")
    flow.review(first)
    for username in ("department", "unit", "investment"):
        body = client.get(REVIEWS_URL, params={"item_id": item_id}, headers=auth(username))
        assert body.json()["total"] == 0
    assert flow.read(item_id, "department")["reviews"] == []
    flow.conclude(item_id)
    reviews = flow.read(item_id, "department")["reviews"]
    assert [review["id"] for review in reviews] == [first["id"]]  # not the one never submitted
    listed = _listed(client, auth("department"))
    assert first["id"] in {row["id"] for row in listed}
    assert pending["id"] not in {row["id"] for row in listed}
    assert all(row["status"] == "submitted" for row in listed)
    assert_problem(
        client.get(f"{REVIEWS_URL}/{pending['id']}", headers=auth("department")), 404, "NOT_FOUND"
    )


def test_a_reviewer_sees_only_their_own_review_on_the_assessment(flow):
    item_id, first = flow.under_review("expert")
    second = flow.assign(item_id, "thirdparty")
    flow.review(second, "thirdparty")
    assert [r["id"] for r in flow.read(item_id, "expert")["reviews"]] == [first["id"]]
    assert [r["id"] for r in flow.read(item_id, "thirdparty")["reviews"]] == [second["id"]]
    assert len(flow.read(item_id, "finance")["reviews"]) == 2
    assert len(flow.read(item_id, "oversight")["reviews"]) == 2


def test_the_review_list_refuses_unknown_filters_and_admin(client, auth):
    assert_problem(
        client.get(REVIEWS_URL, params={"reviewer": 1}, headers=auth("finance")),
        422,
        "VALIDATION_FAILED",
    )
    assert_problem(client.get(REVIEWS_URL, headers=auth("admin")), 403, "PERMISSION_DENIED")
