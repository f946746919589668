"""Finance publishes targets with the budget, results with the final accounts, and the
circular (S4.4); re-publishing supersedes, withdrawing hides."""

from sqlalchemy import select

from perfbudget.audit.models import AuditEvent
from perfbudget.evaluations.models import EvaluationStatus, Grade
from perfbudget.results.models import AssessmentStatus
from tests.disclosure.conftest import PUBLICATIONS, YEAR, Disclosure
from tests.problems import assert_problem

PUBLIC = "/public/v1"


def test_targets_publish_only_funded_items_with_approved_targets(disclosure: Disclosure):
    disclosure.funded("800000.00", code="JY-2027-001", name="教师培训项目")
    disclosure.flow.targets_approved(code="JY-2027-002", name="尚未安排预算的项目")
    disclosure.flow.submitted(code="JY-2027-003", name="目标审核中的项目")

    publication = disclosure.published("201", "targets")

    assert publication["public_id"] == f"{YEAR}-201-targets"
    assert (publication["revision"], publication["status"]) == (1, "current")
    content = publication["content"]
    assert content["organisation"] == {"code": "201", "name": "县教育局"}
    assert content["approved_total"] == "800000.00"
    [item] = content["items"]
    assert item["code"] == "JY-2027-001"
    assert item["approved_amount"] == "800000.00"
    assert item["overall_goal"] == "提升全县教师教学能力"
    assert item["indicators"][0]["name"] == "培训教师人数"
    assert item["indicators"][0]["target_value"] == "500"

    public = disclosure.client.get(f"{PUBLIC}/publications/{YEAR}-201-targets")
    assert public.status_code == 200
    assert public.json() == content


def test_a_unit_item_is_published_under_its_department(disclosure: Disclosure):
    disclosure.funded(user="unit", org="201001", code="ZX-01", name="实验室设备更新")
    [item] = disclosure.published("201", "targets")["content"]["items"]
    assert item["organisation"] == {"code": "201001", "name": "县第一中学"}


def test_nothing_to_publish(disclosure: Disclosure):
    disclosure.flow.targets_approved(code="JY-2027-002")  # approved targets, not funded
    assert_problem(disclosure.publish("201", "targets"), 409, "NOTHING_TO_PUBLISH")
    assert_problem(disclosure.publish("202", "results"), 409, "NOTHING_TO_PUBLISH")


def test_only_a_department_publishes(disclosure: Disclosure):
    assert_problem(disclosure.publish("201001", "targets"), 422, "NOT_A_DEPARTMENT")
    response = disclosure.client.post(
        PUBLICATIONS,
        json={"organisation_id": 999999, "kind": "targets"},
        headers=disclosure.flow.auth("finance"),
    )
    assert_problem(response, 404, "NOT_FOUND")
    response = disclosure.client.post(
        PUBLICATIONS,
        json={"organisation_id": disclosure.flow.org_id("201"), "kind": "circular"},
        headers=disclosure.flow.auth("finance"),
    )
    assert_problem(response, 422, "VALIDATION_FAILED")


def test_results_publish_graded_evaluations_only(disclosure: Disclosure):
    graded = disclosure.funded(code="JY-2027-001")
    waiting = disclosure.funded(code="JY-2027-002", name="在审的评价")
    disclosure.graded(graded, "91.50", Grade.excellent)
    disclosure.graded(waiting, "70.00", Grade.fair, status=EvaluationStatus.finance_review)

    content = disclosure.published("201", "results")["content"]

    assert content["public_id"] == f"{YEAR}-201-results"
    [item] = content["items"]
    assert (item["code"], item["final_score"], item["grade"]) == (
        "JY-2027-001",
        "91.50",
        "excellent",
    )
    public = disclosure.client.get(f"{PUBLIC}/fiscal-years/{YEAR}/results")
    assert public.json()["publications"] == [content]


def test_circular_publishes_the_published_ranking(disclosure: Disclosure):
    assert_problem(disclosure.publish_circular(), 409, "CIRCULAR_NOT_PUBLISHED")
    # the snapshot's shape is results.circular._ranking's
    ranking = [
        {
            "rank": 1,
            "department": {
                "id": disclosure.flow.org_id("202"),
                "code": "202",
                "name_zh": "县卫生健康委员会",
            },
            "computed_score": "93.75",
            "qualitative_score": "100.00",
            "total_score": "95.00",
        },
        {
            "rank": 2,
            "department": {
                "id": disclosure.flow.org_id("201"),
                "code": "201",
                "name_zh": "县教育局",
            },
            "computed_score": "88.13",
            "qualitative_score": "90.00",
            "total_score": "88.5",
        },
    ]
    circular = disclosure.circular(ranking, status=AssessmentStatus.draft)
    assert_problem(disclosure.publish_circular(), 409, "CIRCULAR_NOT_PUBLISHED")
    circular.status = AssessmentStatus.published
    disclosure.db.commit()

    response = disclosure.publish_circular()

    assert response.status_code == 201, response.text
    content = response.json()["content"]
    assert content["public_id"] == f"{YEAR}-circular"
    assert content["ranking"] == [
        {"rank": 1, "organisation": {"code": "202", "name": "县卫生健康委员会"}, "score": "95.00"},
        {"rank": 2, "organisation": {"code": "201", "name": "县教育局"}, "score": "88.50"},
    ]
    public = disclosure.client.get(f"{PUBLIC}/fiscal-years/{YEAR}/circular")
    assert public.json() == content


def test_republishing_supersedes_and_keeps_the_public_id(disclosure: Disclosure):
    disclosure.funded(code="JY-2027-001")
    first = disclosure.published("201", "targets")
    disclosure.funded(code="JY-2027-002", name="第二个项目")
    second = disclosure.published("201", "targets")

    assert second["public_id"] == first["public_id"] == f"{YEAR}-201-targets"
    assert second["revision"] == 2
    listed = disclosure.client.get(PUBLICATIONS, headers=disclosure.flow.auth("oversight"))
    assert listed.status_code == 200
    statuses = {row["id"]: row["status"] for row in listed.json()["items"]}
    assert statuses == {first["id"]: "withdrawn", second["id"]: "current"}
    public = disclosure.client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets").json()
    assert [len(p["items"]) for p in public["publications"]] == [2]
    assert public["publications"][0]["revision"] == 2


def test_withdrawal_hides_it_and_is_audited(disclosure: Disclosure):
    disclosure.funded(code="JY-2027-001")
    publication = disclosure.published("201", "targets")

    response = disclosure.withdraw(publication["id"], reason="批复金额有误")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    client = disclosure.client
    assert_problem(client.get(f"{PUBLIC}/publications/{YEAR}-201-targets"), 404, "NOT_FOUND")
    assert client.get(f"{PUBLIC}/fiscal-years/{YEAR}/targets").json()["publications"] == []
    assert client.get(f"{PUBLIC}/open-data/{YEAR}/targets.json").json()["publications"] == []
    assert_problem(disclosure.withdraw(publication["id"]), 409, "ALREADY_WITHDRAWN")
    assert_problem(disclosure.withdraw(999999), 404, "NOT_FOUND")

    events = disclosure.db.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "publication")
    ).all()
    assert [event.action for event in events] == ["publication.publish", "publication.withdraw"]
    assert "批复金额有误" in str(events[-1].changes)

    # publishing again after a withdrawal is a new revision under the same identifier
    again = disclosure.published("201", "targets")
    assert (again["public_id"], again["revision"]) == (f"{YEAR}-201-targets", 2)
    assert client.get(f"{PUBLIC}/publications/{YEAR}-201-targets").status_code == 200


ALL = ("admin", "finance", "department", "unit", "expert", "thirdparty", "investment", "oversight")


def test_only_finance_publishes(disclosure: Disclosure):
    disclosure.funded(code="JY-2027-001")
    for user in ALL:
        expected = 201 if user == "finance" else 403
        assert disclosure.publish("201", "targets", user=user).status_code == expected, user
    publication_id = disclosure.client.get(
        PUBLICATIONS, headers=disclosure.flow.auth("finance")
    ).json()["items"][0]["id"]
    for user in ALL:
        expected = 200 if user in ("finance", "oversight") else 403
        listed = disclosure.client.get(PUBLICATIONS, headers=disclosure.flow.auth(user))
        assert listed.status_code == expected, user
        if user != "finance":
            assert disclosure.withdraw(publication_id, user=user).status_code == 403, user
        assert disclosure.publish_circular(user=user).status_code in (
            (409,) if user == "finance" else (403,)
        )
