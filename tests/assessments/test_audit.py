"""Every write on an assessment leaves an audit event naming who, what and the change."""

from tests.assessments.conftest import all_dimensions, assessment_url, audit_events, user_id


def test_the_whole_flow_is_on_the_audit_trail(flow, client, auth, db):
    item_id = flow.item()
    created = flow.draft(item_id, dimensions={"necessity": {"finding": "必要", "score": 80}})
    client.put(
        assessment_url(item_id),
        json={"dimensions": all_dimensions(), "conclusion": "支持", "version": created["version"]},
        headers=auth("department"),
    )
    flow.submit(item_id)
    review = flow.assign(item_id, "expert")
    flow.review(review)
    flow.conclude(item_id, "supported_with_changes", "压减预算 10%")

    events = audit_events(client, auth, entity_type="assessment", entity_id=str(created["id"]))
    assert [e["action"] for e in events] == [
        "assessment.concluded",
        "assessment.submitted",
        "assessment.updated",
        "assessment.created",
    ]
    concluded, submitted, updated, created_event = events
    assert created_event["username"] == "department"
    assert created_event["changes"]["after"]["item_id"] == item_id
    assert created_event["changes"]["after"]["assessor_role"] == "department"
    assert set(updated["changes"]["after"]) == {"dimensions", "conclusion"}
    assert updated["changes"]["before"]["dimensions"] == {
        "necessity": {"finding": "必要", "score": "80.00"}
    }
    assert submitted["changes"] == {"before": {"status": "draft"}, "after": {"status": "submitted"}}
    assert concluded["username"] == "finance"
    assert concluded["changes"]["after"] == {
        "status": "concluded",
        "final_conclusion": "supported_with_changes",
        "final_note": "压减预算 10%",
    }

    review_events = audit_events(
        client, auth, entity_type="assessment_review", entity_id=str(review["id"])
    )
    assert [e["action"] for e in review_events] == [
        "assessment_review.submitted",
        "assessment_review.assigned",
    ]
    submitted_review, assigned = review_events
    assert assigned["username"] == "finance"
    assert assigned["changes"]["after"]["reviewer_id"] == user_id(db, "expert")
    assert submitted_review["username"] == "expert"
    assert submitted_review["changes"]["after"]["recommendation"] == "supported"
    assert submitted_review["changes"]["after"]["score"] == "88.00"


def test_a_refused_write_leaves_no_event(flow, client, auth):
    item_id = flow.item(new_major=False)
    before = audit_events(client, auth, limit=1)[0]["seq"]
    response = client.put(assessment_url(item_id), json={}, headers=auth("department"))
    assert response.status_code == 409
    assert audit_events(client, auth, limit=1)[0]["seq"] == before


def test_the_chain_still_verifies(flow, client, auth):
    flow.concluded()
    report = client.get("/api/v1/audit-events/verify", headers=auth("oversight")).json()
    assert report["intact"] is True
