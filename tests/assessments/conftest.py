"""Budget items put in place directly (the budget-item API is built elsewhere), and the
assessment flow driven through the HTTP API as a client would."""

import itertools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from perfbudget.assessments.models import AssessmentDimension
from perfbudget.budget_items.models import BudgetBook, BudgetItem, FundCategory, ItemKind
from perfbudget.config import get_settings
from perfbudget.demo.loader import SUITE_YEAR as DEMO_YEAR
from perfbudget.fiscal_years import repository as fiscal_year_repository
from perfbudget.users import repository as user_repository
from tests.factories import demo_org

REVIEWS_URL = "/api/v1/assessment-reviews"
DIMENSIONS = [dimension.value for dimension in AssessmentDimension]
_sequence = itertools.count(1)

Headers = Callable[[str], dict[str, str]]


def make_item(
    session: Session,
    org_code: str = "201",
    *,
    kind: ItemKind = ItemKind.project,
    new_major: bool = True,
    capital_construction: bool = False,
    name: str | None = None,
) -> BudgetItem:
    """A draft budget item of fiscal year 2027, committed (a savepoint in the test)."""
    year = fiscal_year_repository.get_by_year(session, DEMO_YEAR)
    assert year is not None
    item = BudgetItem(
        fiscal_year_id=year.id,
        organisation_id=demo_org(session, org_code).id,
        name=name or f"测试项目{next(_sequence)}",
        kind=kind,
        budget_book=BudgetBook.general_public,
        fund_category=FundCategory.ordinary,
        new_major=new_major,
        capital_construction=capital_construction,
        requested_amount=Decimal("1200000.00"),
    )
    session.add(item)
    session.commit()
    return item


def user_id(session: Session, username: str) -> int:
    user = user_repository.get_by_username(session, username)
    assert user is not None, username
    return user.id


def assessment_url(item_id: int, suffix: str = "") -> str:
    return f"/api/v1/budget-items/{item_id}/assessment{suffix}"


def all_dimensions(score: str = "85.5") -> dict[str, dict[str, str]]:
    return {name: {"finding": f"{name} 的评估意见", "score": score} for name in DIMENSIONS}


def all_opinions() -> dict[str, str]:
    return {name: f"关于{name}的评审意见" for name in DIMENSIONS}


@pytest.fixture(autouse=True)
def attachments_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its uploads in its own directory."""
    directory = tmp_path / "attachments"
    monkeypatch.setattr(get_settings(), "attachments_dir", directory)
    return directory


class Flow:
    """The assessment workflow through the API; each step asserts it succeeded."""

    def __init__(self, client: TestClient, auth: Headers, db: Session) -> None:
        self.client = client
        self.auth = auth
        self.db = db

    def item(self, org_code: str = "201", **fields: Any) -> int:
        return make_item(self.db, org_code, **fields).id

    def draft(self, item_id: int, user: str = "department", **body: Any) -> dict[str, Any]:
        payload = {"dimensions": all_dimensions(), "conclusion": "建议予以支持。", **body}
        response = self.client.put(assessment_url(item_id), json=payload, headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def submit(self, item_id: int, user: str = "department") -> dict[str, Any]:
        version = self.read(item_id, user)["version"]
        response = self.client.post(
            assessment_url(item_id, "/submit"), json={"version": version}, headers=self.auth(user)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def read(self, item_id: int, user: str = "finance") -> dict[str, Any]:
        response = self.client.get(assessment_url(item_id), headers=self.auth(user))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def assign(self, item_id: int, reviewer: str = "expert") -> dict[str, Any]:
        response = self.client.post(
            assessment_url(item_id, "/reviewers"),
            json={"reviewer_id": user_id(self.db, reviewer)},
            headers=self.auth("finance"),
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def review(
        self, review: dict[str, Any], reviewer: str = "expert", **body: Any
    ) -> dict[str, Any]:
        payload = {
            "opinions": all_opinions(),
            "recommendation": "supported",
            "score": "88",
            "summary": "同意立项。",
            "version": review["version"],
            **body,
        }
        response = self.client.put(
            f"{REVIEWS_URL}/{review['id']}", json=payload, headers=self.auth(reviewer)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def conclude(
        self, item_id: int, final_conclusion: str = "supported", note: str | None = None
    ) -> dict[str, Any]:
        version = self.read(item_id)["version"]
        response = self.client.post(
            assessment_url(item_id, "/conclusion"),
            json={"final_conclusion": final_conclusion, "note": note, "version": version},
            headers=self.auth("finance"),
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def submitted(self, org_code: str = "201", user: str = "department", **fields: Any) -> int:
        """An item whose assessment is filed and submitted."""
        item_id = self.item(org_code, **fields)
        self.draft(item_id, user)
        self.submit(item_id, user)
        return item_id

    def under_review(self, reviewer: str = "expert") -> tuple[int, dict[str, Any]]:
        item_id = self.submitted()
        return item_id, self.assign(item_id, reviewer)

    def concluded(self, final_conclusion: str = "supported") -> int:
        item_id, review = self.under_review()
        self.review(review)
        self.conclude(
            item_id, final_conclusion, note="理由" if final_conclusion != "supported" else None
        )
        return item_id


@pytest.fixture
def flow(client: TestClient, auth: Headers, db: Session) -> Flow:
    return Flow(client, auth, db)


def audit_events(client: TestClient, auth: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit-events", params=params, headers=auth("finance"))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])
