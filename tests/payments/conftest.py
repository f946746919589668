from typing import Any

import pytest

from perfbudget.budget_items import repository as item_repository
from perfbudget.payments import service as payment_service
from perfbudget.payments.models import HoldKind
from perfbudget.principal import Actor
from tests.budget_items.conftest import Workflow

HOLDER = Actor.system("test-monitoring")


@pytest.fixture
def funded(flow: Workflow) -> dict[str, Any]:
    """A funded 2027 project (approved 1,000,000.00) in a year being executed."""
    item = flow.targets_approved()
    assert flow.decide(item["id"], "1000000.00").status_code == 200
    started = flow.client.post(
        "/api/v1/fiscal-years/2027/start-execution",
        json={"version": 1},
        headers=flow.auth("finance"),
    )
    assert started.status_code == 200
    return flow.get(item["id"])


@pytest.fixture
def hold(flow: Workflow):
    """Put a hold in place as finance's monitoring review would (tests/monitoring covers that)."""

    def place(item_id: int, kind: HoldKind, reason: str = "项目进度严重滞后") -> int:
        item = item_repository.get_unscoped(flow.db, item_id)
        assert item is not None
        placed = payment_service.place_hold(flow.db, HOLDER, item, kind, reason, None)
        flow.db.commit()
        return placed.id

    return place


def pay(flow: Workflow, item_id: int, amount: str, **fields: Any) -> Any:
    body = {"amount": amount, "paid_on": "2027-03-15", "purpose": "第一批资金", **fields}
    return flow.client.post(
        f"/api/v1/budget-items/{item_id}/disbursements",
        json=body,
        headers=flow.auth(fields.pop("user", "finance")),
    )
