from typing import Any

from tests.workflow import ITEMS, Workflow, money, valid_lines

__all__ = ["ITEMS", "Workflow", "money", "set_score_weights", "valid_lines"]


def set_score_weights(flow: Workflow, execution: str, output: str, effect: str, sat: str) -> Any:
    """Finance sets 2027's self-evaluation points (§3), which the filing checks follow."""
    year = flow.client.get("/api/v1/fiscal-years/2027", headers=flow.auth("finance")).json()
    parameters = year["parameters"]
    parameters["score_weights"] = {
        "budget_execution": execution,
        "output": output,
        "effect": effect,
        "satisfaction": sat,
    }
    updated = flow.client.put(
        "/api/v1/fiscal-years/2027/parameters",
        json={"version": year["version"], "parameters": parameters},
        headers=flow.auth("finance"),
    )
    assert updated.status_code == 200, updated.text
    return updated.json()
