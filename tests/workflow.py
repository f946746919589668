"""A client-side helper that walks items through the workflow via the HTTP API; the
``flow`` fixture is available to every test package (registered in tests/conftest.py)."""

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from perfbudget.assessments.models import Assessment, AssessmentConclusion, AssessmentStatus
from perfbudget.principal import Role
from perfbudget.users import repository as user_repository
from tests.factories import STRONG_PASSWORD, demo_org, make_user

ITEMS = "/api/v1/budget-items"


def valid_lines(**overrides: Any) -> list[dict[str, Any]]:
    """Output 50 + effect 30 + satisfaction 10 = 90, the default indicator share."""
    lines = [
        {
            "category": "quantity",
            "name": "培训教师人数",
            "direction": "gte",
            "target_value": "500",
            "unit": "人次",
            "weight": "30",
        },
        {
            "category": "timeliness",
            "name": "按期完成率",
            "direction": "gte",
            "target_value": "100",
            "unit": "%",
            "weight": "20",
        },
        {
            "category": "social_effect",
            "name": "教学质量提升",
            "direction": "qualitative",
            "qualitative_standard": "区域教学质量评估等级提升",
            "weight": "30",
        },
        {
            "category": "service_satisfaction",
            "name": "参训教师满意度",
            "direction": "gte",
            "target_value": "90",
            "unit": "%",
            "weight": "10",
        },
    ]
    for line in lines:
        line.update(overrides)
    return lines


# A department's overall targets over five of the six aspects of S2.2.3 (90 points).
OVERALL_ASPECTS = [
    {
        "category": "running_cost",
        "name": "公用经费控制率",
        "direction": "lte",
        "target_value": "100",
        "unit": "%",
        "weight": "15",
    },
    {
        "category": "management_efficiency",
        "name": "预算执行率",
        "direction": "gte",
        "target_value": "95",
        "unit": "%",
        "weight": "15",
    },
    {
        "category": "duty_performance",
        "name": "重点工作完成率",
        "direction": "gte",
        "target_value": "100",
        "unit": "%",
        "weight": "20",
    },
    {
        "category": "social_impact",
        "name": "义务教育巩固率",
        "direction": "gte",
        "target_value": "99",
        "unit": "%",
        "weight": "20",
    },
    {
        "category": "beneficiary_satisfaction",
        "name": "家长满意度",
        "direction": "qualitative",
        "qualitative_standard": "家长评价良好",
        "weight": "20",
    },
]


class Workflow:
    def __init__(self, client: TestClient, auth: Callable[[str], dict[str, str]], db: Session):
        self.client = client
        self.demo_auth = auth
        self.db = db
        self.tokens: dict[str, str] = {}

    def auth(self, user: str) -> dict[str, str]:
        """Headers for a demo user, or for one signed in by ``colleague``."""
        if user in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[user]}"}
        return self.demo_auth(user)

    def colleague(self, org: str = "201") -> str:
        """Another department user of ``org``, signed in; its name works wherever a demo
        user's does. The demo has one user per organisation, and S3 keeps whoever wrote
        something from reviewing it."""
        user = make_user(self.db, role=Role.department, organisation=demo_org(self.db, org))
        self._sign_in(user.username)
        return user.username

    def transfer(self, colleague: str, role: Role, org: str) -> None:
        """A colleague changes post, keeping the account (and so what they wrote); a change of
        role ends their sessions, so they sign in again."""
        user = user_repository.get_by_username(self.db, colleague)
        assert user is not None and colleague in self.tokens, colleague
        user.role = role
        user.organisation_id = self.org_id(org)
        self.db.commit()
        self._sign_in(colleague)

    def _sign_in(self, username: str) -> None:
        response = self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": STRONG_PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.tokens[username] = response.json()["access_token"]

    def org_id(self, code: str) -> int:
        return demo_org(self.db, code).id

    def create(self, user: str = "department", org: str = "201", **fields: Any) -> dict[str, Any]:
        body = {
            "fiscal_year": 2027,
            "organisation_id": self.org_id(org),
            "name": "教师培训项目",
            "kind": "project",
            "requested_amount": "1200000.00",
            **fields,
        }
        response = self.client.post(ITEMS, json=body, headers=self.auth(user))
        assert response.status_code == 201, response.text
        return dict(response.json())

    def get(self, item_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(f"{ITEMS}/{item_id}", headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def targets(self, item_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(f"{ITEMS}/{item_id}/targets", headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def save_targets(
        self,
        item_id: int,
        lines: list[dict[str, Any]] | None = None,
        user: str = "department",
        goal: str = "提升全县教师教学能力",
        version: int | None = None,
    ) -> Any:
        body: dict[str, Any] = {
            "overall_goal": goal,
            "lines": valid_lines() if lines is None else lines,
        }
        if version is not None:
            body["version"] = version
        return self.client.put(f"{ITEMS}/{item_id}/targets", json=body, headers=self.auth(user))

    def post(self, item_id: int, action: str, user: str, **body: Any) -> Any:
        if "version" not in body:
            body["version"] = self.get(item_id)["version"]
        return self.client.post(f"{ITEMS}/{item_id}/{action}", json=body, headers=self.auth(user))

    def target_post(self, item_id: int, action: str, user: str, **body: Any) -> Any:
        if "version" not in body:
            body["version"] = self.targets(item_id)["version"]
        return self.client.post(
            f"{ITEMS}/{item_id}/targets/{action}", json=body, headers=self.auth(user)
        )

    def submitted(self, user: str = "department", org: str = "201", **fields: Any) -> dict:
        item = self.create(user, org, **fields)
        assert self.save_targets(item["id"], user=user).status_code == 200
        response = self.post(item["id"], "submit", user)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def targets_approved(self, **fields: Any) -> dict[str, Any]:
        item = self.submitted(**fields)
        if item["status"] == "department_review":
            assert (
                self.post(
                    item["id"], "department-review", "department", decision="approve"
                ).status_code
                == 200
            )
        response = self.target_post(item["id"], "finance-review", "finance", decision="approve")
        assert response.status_code == 200, response.text
        return self.get(item["id"])

    def decide(self, item_id: int, amount: str = "1000000.00", **body: Any) -> Any:
        return self.post(
            item_id, "decision", "finance", decision="fund", approved_amount=amount, **body
        )

    def gates(self, item_id: int, user: str = "finance", lang: str = "zh") -> dict[str, Any]:
        response = self.client.get(
            f"{ITEMS}/{item_id}/gates", headers={**self.auth(user), "Accept-Language": lang}
        )
        assert response.status_code == 200, response.text
        return {gate["code"]: gate for gate in response.json()["gates"]}

    def assessment(
        self,
        item_id: int,
        *,
        role: str = "department",
        conclusion: AssessmentConclusion | None = AssessmentConclusion.supported,
    ) -> None:
        """Put an assessment in place directly; its own API is tested in tests/assessments."""
        now = datetime.now(UTC)
        self.db.add(
            Assessment(
                item_id=item_id,
                assessor_role=role,
                dimensions={},
                conclusion="",
                status=AssessmentStatus.concluded if conclusion else AssessmentStatus.submitted,
                submitted_at=now,
                final_conclusion=conclusion,
                concluded_at=now if conclusion else None,
            )
        )
        self.db.commit()


@pytest.fixture
def flow(client: TestClient, auth: Callable[[str], dict[str, str]], db: Session) -> Workflow:
    return Workflow(client, auth, db)


def money(value: str) -> Decimal:
    return Decimal(value)
