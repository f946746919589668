"""The to-do inbox through the HTTP API: scenes built with the shared workflow (and the
monitoring and evaluation helpers), read back as each user's GET /api/v1/me/tasks."""

from datetime import date
from typing import Any

import pytest

from tests.evaluations.conftest import Evaluator
from tests.monitoring.conftest import SetToday, set_today  # noqa: F401 - the clock fixture
from tests.workflow import Workflow

TASKS = "/api/v1/me/tasks"
YEAR = "/api/v1/fiscal-years/2027"
# before the year: requests decided in December are funded for every month of 2027
BUDGET_DAY = date(2026, 12, 20)


class Inbox:
    def __init__(self, flow: Workflow) -> None:
        self.flow = flow
        self.client = flow.client

    def read(self, user: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(TASKS, params=params, headers=self.flow.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def groups(self, user: str, **params: Any) -> dict[str, dict[str, Any]]:
        return {group["kind"]: group for group in self.read(user, **params)["groups"]}

    def tasks(self, user: str, kind: str) -> list[dict[str, Any]]:
        """Every task of one kind (the group read whole)."""
        group = self.groups(user, kind=kind, limit=100)[kind]
        assert group["total"] == len(group["items"]), "more than 100: read by pages"
        return list(group["items"])

    def keys(self, user: str, kind: str) -> set[tuple[str, int | None, int | None]]:
        """(action, item id, month) of each task of ``kind``."""
        return {(t["action"], t["item_id"], t["month"]) for t in self.tasks(user, kind)}

    def summary(self, user: str) -> dict[str, Any]:
        response = self.client.get(f"{TASKS}/summary", headers=self.flow.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def counts(self, user: str) -> dict[str, tuple[int, int]]:
        return {k["kind"]: (k["total"], k["overdue"]) for k in self.summary(user)["kinds"]}


@pytest.fixture
def inbox(flow: Workflow) -> Inbox:
    return Inbox(flow)


@pytest.fixture
def evaluator(flow: Workflow) -> Evaluator:
    return Evaluator(flow)


@pytest.fixture(autouse=True)
def early_july(set_today: SetToday) -> None:  # noqa: F811
    """By default: 5 July 2027, January to June over, June's report not yet due."""
    set_today(date(2027, 7, 5))


def start_execution(flow: Workflow, **parameters: Any) -> None:
    """Fiscal year 2027 into execution, with ``parameters`` changed first."""
    year = flow.client.get(YEAR, headers=flow.auth("finance")).json()
    if parameters:
        response = flow.client.put(
            f"{YEAR}/parameters",
            json={"version": year["version"], "parameters": {**year["parameters"], **parameters}},
            headers=flow.auth("finance"),
        )
        assert response.status_code == 200, response.text
        year = response.json()
    response = flow.client.post(
        f"{YEAR}/start-execution", json={"version": year["version"]}, headers=flow.auth("finance")
    )
    assert response.status_code == 200, response.text
