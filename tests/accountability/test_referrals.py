"""Referrals to discipline inspection and accountability requests (S4.3): finance records
them, finance and oversight read them, nobody else sees them."""

import pytest
from sqlalchemy import select

from perfbudget.audit.models import AuditEvent
from tests.problems import assert_problem, invalid_fields

REFERRALS = "/api/v1/referrals"


@pytest.fixture
def subjects(flow):
    item = flow.create(name="违规使用资金的项目")
    return {"item": item["id"], "org": flow.org_id("201")}


def _create(flow, subjects, user="finance", **overrides):
    body = {
        "kind": "discipline_referral",
        "title": "教师培训项目资金挪用线索",
        "facts": "监控发现培训经费被用于与项目无关的支出。",
        "fiscal_year": 2027,
        "item_ids": [subjects["item"], subjects["item"]],
        "organisation_ids": [subjects["org"]],
        **overrides,
    }
    return flow.client.post(REFERRALS, json=body, headers=flow.auth(user))


def _post(flow, referral, action, **body):
    return flow.client.post(
        f"{REFERRALS}/{referral['id']}/{action}",
        json={"version": referral["version"], **body},
        headers=flow.auth("finance"),
    )


def test_a_referral_goes_from_draft_to_referred_to_closed(flow, subjects, db):
    response = _create(flow, subjects)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert (draft["status"], draft["fiscal_year"], draft["outcome"]) == ("draft", 2027, None)
    assert [item["id"] for item in draft["items"]] == [subjects["item"]]  # duplicates dropped
    assert draft["organisations"][0]["code"] == "201"

    response = flow.client.patch(
        f"{REFERRALS}/{draft['id']}",
        json={"title": "补充线索", "version": draft["version"]},
        headers=flow.auth("finance"),
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["title"] == "补充线索" and edited["items"] == draft["items"]

    assert_problem(_post(flow, edited, "close", outcome="已处理"), 409, "INVALID_TRANSITION")
    referred = _post(flow, edited, "refer").json()
    assert referred["status"] == "referred"
    assert_problem(_post(flow, referred, "refer"), 409, "INVALID_TRANSITION")
    response = flow.client.patch(
        f"{REFERRALS}/{draft['id']}",
        json={"title": "再改", "version": referred["version"]},
        headers=flow.auth("finance"),
    )
    assert_problem(response, 409, "REFERRAL_NOT_EDITABLE")
    assert invalid_fields(_post(flow, referred, "close")) == {"body.outcome"}
    closed = _post(flow, referred, "close", outcome="纪委已立案调查").json()
    assert (closed["status"], closed["outcome"]) == ("closed", "纪委已立案调查")
    assert_problem(_post(flow, closed, "refer"), 409, "INVALID_TRANSITION")

    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "referral", AuditEvent.entity_id == str(draft["id"]))
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == [
        "referral.created",
        "referral.updated",
        "referral.referred",
        "referral.closed",
    ]
    assert events[3].changes["after"] == {"status": "closed", "outcome": "纪委已立案调查"}


def test_links_must_exist(flow, subjects):
    body = assert_problem(_create(flow, subjects, item_ids=[999999]), 422, "UNKNOWN_ITEMS")
    assert body["item_ids"] == [999999]
    body = assert_problem(
        _create(flow, subjects, organisation_ids=[888888]), 422, "UNKNOWN_ORGANISATIONS"
    )
    assert body["organisation_ids"] == [888888]
    assert_problem(_create(flow, subjects, fiscal_year=1999), 422, "UNKNOWN_FISCAL_YEAR")
    response = _create(flow, subjects, item_ids=[], organisation_ids=[])
    assert_problem(response, 422, "REFERRAL_SUBJECT_REQUIRED")
    assert invalid_fields(_create(flow, subjects, kind="warning", title="")) == {
        "body.kind",
        "body.title",
    }
    draft = _create(flow, subjects, fiscal_year=None, kind="accountability_request").json()
    assert draft["fiscal_year"] is None and draft["kind"] == "accountability_request"
    response = flow.client.patch(
        f"{REFERRALS}/{draft['id']}",
        json={"item_ids": [777777], "version": draft["version"]},
        headers=flow.auth("finance"),
    )
    assert_problem(response, 422, "UNKNOWN_ITEMS")


def test_versions_are_checked(flow, subjects):
    draft = _create(flow, subjects).json()
    url = f"{REFERRALS}/{draft['id']}"
    assert_problem(
        flow.client.patch(url, json={"title": "x"}, headers=flow.auth("finance")),
        428,
        "VERSION_REQUIRED",
    )
    assert_problem(_post(flow, {**draft, "version": 5}, "refer"), 409, "VERSION_CONFLICT")
    assert_problem(_post(flow, {**draft, "id": 999999}, "refer"), 404, "NOT_FOUND")


def test_listing_and_filters(flow, subjects):
    first = _create(flow, subjects).json()
    second = _create(flow, subjects, kind="accountability_request", fiscal_year=None).json()
    _post(flow, first, "refer")
    for user in ("finance", "oversight"):
        response = flow.client.get(REFERRALS, headers=flow.auth(user))
        assert response.status_code == 200, response.text
        assert [r["id"] for r in response.json()["items"]] == [second["id"], first["id"]]
        one = flow.client.get(f"{REFERRALS}/{first['id']}", headers=flow.auth(user))
        assert one.json()["status"] == "referred"
    for params, expected in (
        ({"status": "referred"}, [first["id"]]),
        ({"kind": "accountability_request"}, [second["id"]]),
        ({"fiscal_year": 2027}, [first["id"]]),
    ):
        response = flow.client.get(REFERRALS, params=params, headers=flow.auth("oversight"))
        assert [r["id"] for r in response.json()["items"]] == expected
    assert_problem(
        flow.client.get(f"{REFERRALS}/999999", headers=flow.auth("finance")), 404, "NOT_FOUND"
    )


@pytest.mark.parametrize(
    "user", ["admin", "department", "unit", "expert", "thirdparty", "investment", "health"]
)
def test_nobody_else_sees_or_writes_referrals(flow, subjects, user):
    draft = _create(flow, subjects).json()
    for response in (
        flow.client.get(REFERRALS, headers=flow.auth(user)),
        flow.client.get(f"{REFERRALS}/{draft['id']}", headers=flow.auth(user)),
        _create(flow, subjects, user=user),
    ):
        assert_problem(response, 403, "PERMISSION_DENIED")


def test_oversight_reads_but_does_not_write(flow, subjects):
    draft = _create(flow, subjects).json()
    assert_problem(_create(flow, subjects, user="oversight"), 403, "PERMISSION_DENIED")
    response = flow.client.post(
        f"{REFERRALS}/{draft['id']}/refer",
        json={"version": draft["version"]},
        headers=flow.auth("oversight"),
    )
    assert_problem(response, 403, "PERMISSION_DENIED")


def test_listing_takes_a_fixed_number_of_statements(flow, subjects, count_queries):
    def listing() -> int:
        count_queries.statements.clear()
        assert flow.client.get(REFERRALS, headers=flow.auth("finance")).status_code == 200
        return count_queries.count

    _create(flow, subjects)
    small = listing()
    for _ in range(6):
        _create(flow, subjects)
    assert listing() == small
