"""Payment holds, stops, grades and publications emit their events through the HTTP API."""

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from perfbudget.config import get_settings
from perfbudget.results.models import AssessmentStatus
from tests.disclosure.conftest import Disclosure
from tests.evaluations.conftest import Evaluator
from tests.events.conftest import Events
from tests.monitoring.conftest import RECTIFICATIONS, Monitor, SetToday, set_today  # noqa: F401
from tests.workflow import Workflow

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BEHIND = {
    "cumulative_execution": "100000.00",
    "deviation_reasons": "项目招标延期",
    "corrective_measures": "加快招标进度",
}


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "attachments"
    monkeypatch.setattr(get_settings(), "attachments_dir", directory)
    return directory


@pytest.fixture
def monitor(flow: Workflow, set_today: SetToday) -> Monitor:  # noqa: F811
    set_today(date(2027, 7, 5))
    return Monitor(flow)


def suspended(monitor: Monitor) -> tuple[dict[str, Any], dict[str, Any]]:
    item = monitor.funded()
    monitor.pay(item["id"], "100000.00")
    monitor.submitted(item["id"], **BEHIND)
    return item, monitor.decided(item["id"], "suspend", reason="执行进度严重滞后（红灯）")


def test_suspending_payments_emits_payment_hold_placed(monitor: Monitor, events: Events):
    item, report = suspended(monitor)
    [event] = events.outbox("payment_hold.placed")
    assert event["data"] == {
        "hold_id": report["hold"]["id"],
        "item_id": item["id"],
        "item_code": item["code"],
        "organisation_code": "201",
        "kind": "suspend",
        "reason": "执行进度严重滞后（红灯）",
        "unspent_balance": None,
    }
    assert events.outbox("payments.stopped") == []


def test_a_verified_rectification_emits_payment_hold_lifted(monitor: Monitor, events: Events):
    item, report = suspended(monitor)
    rectification_id = report["rectification_id"]
    evidence = monitor.client.post(
        f"{RECTIFICATIONS}/{rectification_id}/attachments",
        files={"file": ("整改报告.pdf", io.BytesIO(PDF), "application/pdf")},
        headers=monitor.auth("department"),
    )
    assert evidence.status_code == 201, evidence.text
    answered = monitor.rectification_post(
        rectification_id, "response", "department", measures_taken="已完成招标"
    )
    assert answered.status_code == 200, answered.text
    assert events.outbox("payment_hold.lifted") == []
    accepted = monitor.rectification_post(
        rectification_id, "verification", "finance", decision="accepted"
    )
    assert accepted.status_code == 200, accepted.text
    [event] = events.outbox("payment_hold.lifted")
    assert event["data"]["hold_id"] == report["hold"]["id"]
    assert event["data"]["item_id"] == item["id"]


def test_stopping_payments_emits_payments_stopped_with_the_unspent_balance(
    monitor: Monitor, events: Events
):
    item = monitor.funded()
    monitor.pay(item["id"], "100000.00")
    monitor.submitted(item["id"], **BEHIND)
    monitor.decided(item["id"], "stop", reason="项目已无实施条件")
    [event] = events.outbox("payments.stopped")
    assert (event["data"]["kind"], event["data"]["unspent_balance"]) == ("stop", "900000.00")
    assert events.outbox("payment_hold.placed") == []


def test_grading_emits_evaluation_graded(flow: Workflow, events: Events, set_today: SetToday):  # noqa: F811
    set_today(date(2028, 1, 20))
    evaluator = Evaluator(flow)
    item = evaluator.funded()
    evaluator.filed(item["id"])
    assert events.outbox("evaluation.graded") == []
    graded = evaluator.do(item["id"], "grade", "finance", decision="approve", finding="属实")
    assert graded.status_code == 200, graded.text
    [event] = events.outbox("evaluation.graded")
    assert event["data"]["item_id"] == item["id"]
    assert event["data"]["final_score"] == graded.json()["final_score"]
    assert event["data"]["grade"] == graded.json()["grade"]


def test_returning_a_self_evaluation_emits_nothing(
    flow: Workflow,
    events: Events,
    set_today: SetToday,  # noqa: F811
):
    set_today(date(2028, 1, 20))
    evaluator = Evaluator(flow)
    item = evaluator.funded()
    evaluator.filed(item["id"])
    returned = evaluator.do(item["id"], "grade", "finance", decision="return", finding="数据不实")
    assert returned.status_code == 200, returned.text
    assert events.outbox("evaluation.graded") == []


def test_publishing_targets_and_the_circular_emits_disclosure_published(
    flow: Workflow, events: Events
):
    disclosure = Disclosure(flow)
    disclosure.funded(code="JY-2027-001")
    publication = disclosure.published("201", "targets")
    ranking = [
        {
            "rank": 1,
            "department": {"id": flow.org_id("201"), "code": "201", "name_zh": "县教育局"},
            "total_score": "90",
        }
    ]
    disclosure.circular(ranking, status=AssessmentStatus.published)
    circular = disclosure.publish_circular()
    assert circular.status_code == 201, circular.text

    published = [event["data"] for event in events.outbox("disclosure.published")]
    assert [(d["public_id"], d["kind"], d["year"]) for d in published] == [
        (publication["public_id"], "targets", 2027),
        (circular.json()["public_id"], "circular", 2027),
    ]
