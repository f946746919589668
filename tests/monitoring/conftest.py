"""Monitoring through the HTTP API: items funded with the shared workflow, the clock set to
a day in fiscal year 2027, and a helper that files and reviews monthly reports."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from perfbudget import clock
from perfbudget.config import get_settings
from tests.workflow import OVERALL_ASPECTS, Workflow

YEAR = "/api/v1/fiscal-years/2027"
RECTIFICATIONS = "/api/v1/rectifications"
SetToday = Callable[[date], None]
# the budget approved in the December before the year (S2.3.1: it owes every month)
BUDGET_APPROVED = datetime(2026, 12, 20, 2, tzinfo=UTC)


@pytest.fixture
def set_today(monkeypatch: pytest.MonkeyPatch) -> SetToday:
    """Move the county's calendar (Beijing time, noon) to the given day."""

    def move(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)
        monkeypatch.setattr(clock, "system_now", lambda: moment)

    return move


@pytest.fixture(autouse=True)
def early_july(set_today: SetToday) -> None:
    """By default: 5 July 2027, January to June over, June's report not yet due."""
    set_today(date(2027, 7, 5))


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "attachments"
    monkeypatch.setattr(get_settings(), "attachments_dir", directory)
    return directory


def url(item_id: int, month: int | None = None, action: str = "") -> str:
    base = f"/api/v1/budget-items/{item_id}/monitoring-reports"
    return base if month is None else f"{base}/{month}{action}"


class Monitor:
    def __init__(self, flow: Workflow) -> None:
        self.flow = flow
        self.client = flow.client
        self.auth = flow.auth

    # --- setting the scene ------------------------------------------------------------------

    def start_execution(self) -> None:
        year = self.client.get(YEAR, headers=self.auth("finance")).json()
        if year["status"] == "executing":
            return
        response = self.client.post(
            f"{YEAR}/start-execution",
            json={"version": year["version"]},
            headers=self.auth("finance"),
        )
        assert response.status_code == 200, response.text

    def funded(
        self,
        amount: str = "1000000.00",
        *,
        execute: bool = True,
        funded_at: datetime | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A 2027 project funded with ``amount`` (today, or at ``funded_at``: an item funded
        after a month ended owes nothing for it), in a year being executed."""
        item = self.flow.targets_approved(**fields)
        if funded_at is None:
            response = self.flow.decide(item["id"], amount)
        else:
            with clock.replaying(funded_at):
                response = self.flow.decide(item["id"], amount)
        assert response.status_code == 200, response.text
        if execute:
            self.start_execution()
        return self.flow.get(item["id"])

    def overall(self) -> dict[str, Any]:
        """The education bureau's overall budget, funded, with approved overall targets."""
        item = self.flow.create(kind="department_overall", name="县教育局部门整体支出")
        assert self.flow.post(item["id"], "submit", "department").status_code == 200
        assert self.flow.decide(item["id"], "1200000.00").status_code == 200
        saved = self.flow.save_targets(item["id"], lines=OVERALL_ASPECTS, goal="履行教育职责")
        assert saved.status_code == 200, saved.text
        submitted = self.flow.target_post(item["id"], "submit", "department")
        assert submitted.status_code == 200, submitted.text
        approved = self.flow.target_post(
            item["id"], "finance-review", "finance", decision="approve"
        )
        assert approved.status_code == 200, approved.text
        self.start_execution()
        return self.flow.get(item["id"])

    def pay(self, item_id: int, amount: str, paid_on: str = "2027-03-15") -> None:
        response = self.client.post(
            f"/api/v1/budget-items/{item_id}/disbursements",
            json={"amount": amount, "paid_on": paid_on, "purpose": "拨付项目资金"},
            headers=self.auth("finance"),
        )
        assert response.status_code == 201, response.text

    # --- the report -------------------------------------------------------------------------

    def calendar(self, item_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(url(item_id), headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def lines(self, item_id: int) -> dict[str, int]:
        """Target line ids by indicator name."""
        return {line["name"]: line["target_line_id"] for line in self.calendar(item_id)["lines"]}

    def answers(self, item_id: int, **by_name: Any) -> list[dict[str, Any]]:
        """Answers for every approved line: on-track defaults, overridden by name."""
        on_track = {"培训教师人数": "250", "按期完成率": "50", "参训教师满意度": "45"}
        result = []
        for line in self.calendar(item_id)["lines"]:
            answer: dict[str, Any] = {"target_line_id": line["target_line_id"]}
            value = by_name.get(line["name"])
            if line["direction"] == "qualitative":
                answer["qualitative_status"] = value or "achieved"
            else:
                answer["actual"] = value or on_track.get(line["name"], line["target_value"])
            result.append(answer)
        return result

    def read(self, item_id: int, month: int = 6, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(url(item_id, month), headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def save(self, item_id: int, month: int = 6, user: str = "department", **body: Any) -> Any:
        payload: dict[str, Any] = {"cumulative_execution": "500000.00", **body}
        if "lines" not in payload:
            payload["lines"] = self.answers(item_id)
        return self.client.put(url(item_id, month), json=payload, headers=self.auth(user))

    def act(self, item_id: int, month: int, action: str, user: str, **body: Any) -> Any:
        if "version" not in body:
            body["version"] = self.read(item_id, month)["version"]
        return self.client.post(
            url(item_id, month, f"/{action}"), json=body, headers=self.auth(user)
        )

    def submitted(
        self, item_id: int, month: int = 6, user: str = "department", **body: Any
    ) -> dict[str, Any]:
        saved = self.save(item_id, month, user, **body)
        assert saved.status_code == 200, saved.text
        response = self.act(item_id, month, "submit", user)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def decided(self, item_id: int, decision: str, month: int = 6, **body: Any) -> dict[str, Any]:
        """A submitted report, reviewed by finance with ``decision``."""
        if decision in ("rectify", "suspend"):
            body.setdefault("required_measures", "加快项目实施进度，按月报送进展")
            body.setdefault("deadline", "2027-08-31")
        if decision in ("suspend", "stop"):
            body.setdefault("reason", "执行进度严重滞后")
        response = self.act(item_id, month, "finance-review", "finance", decision=decision, **body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    # --- rectifications ---------------------------------------------------------------------

    def rectification(self, rectification_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(f"{RECTIFICATIONS}/{rectification_id}", headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def rectification_post(self, rectification_id: int, action: str, user: str, **body: Any) -> Any:
        if "version" not in body:
            body["version"] = self.rectification(rectification_id)["version"]
        return self.client.post(
            f"{RECTIFICATIONS}/{rectification_id}/{action}", json=body, headers=self.auth(user)
        )

    def holds(self, item_id: int) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/v1/budget-items/{item_id}/holds", headers=self.auth("finance")
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@pytest.fixture
def monitor(flow: Workflow) -> Monitor:
    return Monitor(flow)


def audit_actions(monitor: Monitor, entity_type: str, entity_id: int) -> list[str]:
    response = monitor.client.get(
        "/api/v1/audit-events",
        params={"entity_type": entity_type, "entity_id": str(entity_id), "limit": 100},
        headers=monitor.auth("finance"),
    )
    assert response.status_code == 200, response.text
    # newest first on the wire; oldest first here
    return [event["action"] for event in reversed(response.json()["items"])]
