"""A 2027 county with funded items, graded self-evaluations and a circular, put in place
through the HTTP workflow where it exists and directly where the endpoints are unfinished."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from perfbudget.evaluations.models import EvaluationStatus, Grade, SelfEvaluation
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.results.models import AssessmentStatus, Circular
from perfbudget.targets.models import TargetSet
from tests.workflow import Workflow

YEAR = 2027
PUBLICATIONS = f"/api/v1/fiscal-years/{YEAR}/publications"


class Disclosure:
    def __init__(self, flow: Workflow) -> None:
        self.flow = flow
        self.client: TestClient = flow.client
        self.db = flow.db

    def funded(self, amount: str = "1000000.00", **fields: Any) -> dict[str, Any]:
        item = self.flow.targets_approved(**fields)
        response = self.flow.decide(item["id"], amount)
        assert response.status_code == 200, response.text
        return self.flow.get(item["id"])

    def set_goal(self, item: dict[str, Any], goal: str) -> None:
        target_set = self.db.scalars(select(TargetSet).where(TargetSet.item_id == item["id"])).one()
        target_set.overall_goal = goal
        self.db.commit()

    def graded(self, item: dict[str, Any], score: str, grade: Grade, **fields: Any) -> None:
        fiscal_year = fiscal_year_repository.get_by_year(self.db, YEAR)
        assert fiscal_year is not None
        self.db.add(
            SelfEvaluation(
                item_id=item["id"],
                fiscal_year_id=fiscal_year.id,
                organisation_id=item["organisation"]["id"],
                status=fields.pop("status", EvaluationStatus.graded),
                final_execution=Decimal("950000.00"),
                computed_score=Decimal(score),
                final_score=Decimal(score),
                grade=grade,
                graded_at=datetime.now(UTC),
                **fields,
            )
        )
        self.db.commit()

    def circular(self, ranking: list[dict[str, Any]], **fields: Any) -> Circular:
        fiscal_year = fiscal_year_repository.get_by_year(self.db, YEAR)
        assert fiscal_year is not None
        circular = Circular(
            fiscal_year_id=fiscal_year.id,
            title=fields.pop("title", "2027年度部门绩效管理工作考核通报"),
            status=fields.pop("status", AssessmentStatus.published),
            ranking=ranking,
            published_at=datetime.now(UTC),
            **fields,
        )
        self.db.add(circular)
        self.db.commit()
        return circular

    def publish(self, org: str, kind: str, user: str = "finance") -> Any:
        return self.client.post(
            PUBLICATIONS,
            json={"organisation_id": self.flow.org_id(org), "kind": kind},
            headers=self.flow.auth(user),
        )

    def published(self, org: str, kind: str) -> dict[str, Any]:
        response = self.publish(org, kind)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def publish_circular(self, user: str = "finance") -> Any:
        return self.client.post(f"{PUBLICATIONS}/circular", headers=self.flow.auth(user))

    def withdraw(self, publication_id: int, reason: str = "数据有误", user: str = "finance") -> Any:
        return self.client.post(
            f"/api/v1/publications/{publication_id}/withdraw",
            json={"reason": reason},
            headers=self.flow.auth(user),
        )


@pytest.fixture
def disclosure(flow: Workflow) -> Disclosure:
    return Disclosure(flow)
