"""Finance's conclusion (S2.1.2): only on a submitted assessment with a submitted review."""

import pytest

from tests.assessments.conftest import assessment_url
from tests.problems import assert_problem, invalid_fields


def _conclude(client, auth, item_id, username="finance", **body):
    payload = {"final_conclusion": "supported", "version": 2, **body}
    return client.post(assessment_url(item_id, "/conclusion"), json=payload, headers=auth(username))


@pytest.mark.parametrize("final", ["supported", "supported_with_changes", "not_supported"])
def test_finance_concludes_a_reviewed_assessment(flow, db, final):
    item_id, review = flow.under_review()
    flow.review(review, recommendation=final)
    note = None if final == "supported" else "须压缩建设规模。"
    body = flow.conclude(item_id, final, note)
    assert body["status"] == "concluded"
    assert body["final_conclusion"] == final
    assert body["final_note"] == note
    assert body["concluded_by_id"] is not None and body["concluded_at"] is not None
    assert [r["status"] for r in body["reviews"]] == ["submitted"]


def test_a_draft_cannot_be_concluded(flow, client, auth):
    item_id = flow.item()
    flow.draft(item_id)
    assert_problem(_conclude(client, auth, item_id, version=1), 409, "ASSESSMENT_NOT_SUBMITTED")


def test_a_conclusion_needs_a_submitted_review(flow, client, auth):
    item_id = flow.submitted()
    body = assert_problem(_conclude(client, auth, item_id), 409, "REVIEWS_PENDING")
    assert "S2.1.2" in body["detail"]
    flow.assign(item_id, "expert")
    assert_problem(_conclude(client, auth, item_id), 409, "REVIEWS_PENDING")


def test_one_submitted_review_is_enough_while_others_are_pending(flow):
    item_id, first = flow.under_review("expert")
    flow.assign(item_id, "thirdparty")
    flow.review(first)
    assert flow.conclude(item_id)["status"] == "concluded"


@pytest.mark.parametrize("final", ["supported_with_changes", "not_supported"])
def test_anything_but_support_needs_a_note(flow, client, auth, final):
    item_id, review = flow.under_review()
    flow.review(review)
    for note in (None, "   "):
        response = _conclude(client, auth, item_id, final_conclusion=final, note=note)
        assert_problem(response, 409, "CONCLUSION_NOTE_REQUIRED")


def test_a_conclusion_is_final(flow, client, auth):
    item_id = flow.concluded()
    version = flow.read(item_id)["version"]
    again = _conclude(
        client, auth, item_id, final_conclusion="not_supported", note="改", version=version
    )
    assert_problem(again, 409, "ASSESSMENT_ALREADY_CONCLUDED")
    assert flow.read(item_id)["final_conclusion"] == "supported"


def test_a_conclusion_needs_the_version(flow, client, auth):
    item_id, review = flow.under_review()
    flow.review(review)
    assert_problem(_conclude(client, auth, item_id, version=None), 428, "VERSION_REQUIRED")
    assert_problem(_conclude(client, auth, item_id, version=1), 409, "VERSION_CONFLICT")


def test_the_conclusion_must_be_one_of_three(flow, client, auth):
    item_id = flow.submitted()
    response = _conclude(client, auth, item_id, final_conclusion="maybe")
    assert "body.final_conclusion" in invalid_fields(response)


@pytest.mark.parametrize(
    "username", ["department", "unit", "expert", "thirdparty", "investment", "oversight", "admin"]
)
def test_only_finance_concludes_and_assigns(flow, client, auth, db, username):
    item_id, review = flow.under_review()
    flow.review(review)
    assert_problem(_conclude(client, auth, item_id, username), 403, "PERMISSION_DENIED")
    assign = client.post(
        assessment_url(item_id, "/reviewers"), json={"reviewer_id": 1}, headers=auth(username)
    )
    assert_problem(assign, 403, "PERMISSION_DENIED")
