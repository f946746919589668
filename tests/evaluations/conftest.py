"""Self-evaluation through the HTTP API: items funded with the shared workflow, the clock
set to January 2028 (fiscal year 2027 executed), and a helper that files and grades."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from perfbudget.config import get_settings
from tests.monitoring.conftest import Monitor, SetToday, set_today  # noqa: F401
from tests.workflow import Workflow

YEAR = "/api/v1/fiscal-years/2027"
SECTIONS = {
    "overview": "项目按计划实施",
    "achievements": "完成培训任务",
    "problems": "个别课程延期",
    "improvements": "加强进度管理",
}
FULL_MARKS = {"培训教师人数": "500", "按期完成率": "100", "参训教师满意度": "95"}


def url(item_id: int, action: str = "") -> str:
    return f"/api/v1/budget-items/{item_id}/self-evaluation{action}"


@pytest.fixture(autouse=True)
def january_2028(set_today: SetToday) -> None:  # noqa: F811
    set_today(date(2028, 1, 20))


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "attachments"
    monkeypatch.setattr(get_settings(), "attachments_dir", directory)
    return directory


class Evaluator(Monitor):
    def final_answers(self, item_id: int, **by_name: Any) -> list[dict[str, Any]]:
        """Every approved line at full marks, overridden by name (a qualitative line takes
        (status, share))."""
        result = []
        for line in self.calendar(item_id)["lines"]:
            answer: dict[str, Any] = {"target_line_id": line["target_line_id"]}
            value = by_name.get(line["name"])
            if line["direction"] == "qualitative":
                status, share = value or ("achieved", "100")
                answer.update(qualitative_status=status, qualitative_share=share)
            else:
                answer["final_actual"] = value or FULL_MARKS.get(line["name"], line["target_value"])
            result.append(answer)
        return result

    def evaluation(self, item_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(url(item_id), headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def file(self, item_id: int, user: str = "department", **body: Any) -> Any:
        payload: dict[str, Any] = {"final_execution": "1000000.00", "sections": SECTIONS, **body}
        if "lines" not in payload:
            payload["lines"] = self.final_answers(item_id)
        return self.client.put(url(item_id), json=payload, headers=self.auth(user))

    def do(self, item_id: int, action: str, user: str, **body: Any) -> Any:
        if "version" not in body:
            body["version"] = self.evaluation(item_id)["version"]
        return self.client.post(url(item_id, f"/{action}"), json=body, headers=self.auth(user))

    def filed(self, item_id: int, user: str = "department", **body: Any) -> dict[str, Any]:
        saved = self.file(item_id, user, **body)
        assert saved.status_code == 200, saved.text
        response = self.do(item_id, "submit", user)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def set_parameters(self, **changes: Any) -> None:
        year = self.client.get(YEAR, headers=self.auth("finance")).json()
        response = self.client.put(
            f"{YEAR}/parameters",
            json={"version": year["version"], "parameters": {**year["parameters"], **changes}},
            headers=self.auth("finance"),
        )
        assert response.status_code == 200, response.text

    def audit(self, entity_id: int) -> list[str]:
        response = self.client.get(
            "/api/v1/audit-events",
            params={"entity_type": "self_evaluation", "entity_id": str(entity_id), "limit": 100},
            headers=self.auth("finance"),
        )
        assert response.status_code == 200, response.text
        return [event["action"] for event in reversed(response.json()["items"])]


@pytest.fixture
def evaluator(flow: Workflow) -> Evaluator:
    return Evaluator(flow)


def by_name(read: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["name"]: line for line in read["scoring"]["lines"]}
