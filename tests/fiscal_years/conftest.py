import copy
from collections.abc import Callable
from typing import Any

import pytest

URL = "/api/v1/fiscal-years"

# DOMAIN.md §3, as the API serialises it (Decimal values as strings)
DEFAULT_PARAMETERS: dict[str, Any] = {
    "score_weights": {
        "budget_execution": "10",
        "output": "50",
        "effect": "30",
        "satisfaction": "10",
    },
    "qualitative_bands": {
        "achieved": {"low": "80", "high": "100"},
        "partially_achieved": {"low": "60", "high": "80"},
        "not_achieved": {"low": "0", "high": "60"},
    },
    "grade_bands": {"excellent_from": "90", "good_from": "80", "fair_from": "60"},
    "execution_light": {"red_below": "60", "yellow_below": "80"},
    "indicator_light": {"red_below": "60", "yellow_below": "80", "blue_from": "120"},
    "over_achievement_threshold": "120",
    "plausibility": {"score_execution_gap": "5", "unspent_share": "20"},
    "monitoring_due_day": 10,
    "overall_monitoring_due": "07-15",
    "reminder_lead_days": 3,
}


def parameters(**changes: Any) -> dict[str, Any]:
    """The defaults with some top-level sections replaced."""
    return {**copy.deepcopy(DEFAULT_PARAMETERS), **changes}


@pytest.fixture
def finance(auth: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return auth("finance")
