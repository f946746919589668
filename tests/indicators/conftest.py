from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

LIBRARY = "/api/v1/indicator-library"
DEMO_YEAR = 2027

Headers = dict[str, str]
CreateIndicator = Callable[..., dict[str, Any]]


def framework_url(year: int = DEMO_YEAR) -> str:
    return f"/api/v1/fiscal-years/{year}/indicator-framework"


def indicators_url(year: int = DEMO_YEAR) -> str:
    return f"{framework_url(year)}/indicators"


def framework_body(name: str, **fields: Any) -> dict[str, Any]:
    return {"category": "quantity", "name": name, "direction": "gte", "unit": "人", **fields}


@pytest.fixture
def finance(auth: Callable[[str], Headers]) -> Headers:
    return auth("finance")


@pytest.fixture
def department(auth: Callable[[str], Headers]) -> Headers:
    return auth("department")


@pytest.fixture
def open_year(client: TestClient, finance: Headers) -> Callable[[int], dict[str, Any]]:
    """Open another fiscal year as finance (2027 exists in the demo)."""

    def open_(year: int) -> dict[str, Any]:
        response = client.post("/api/v1/fiscal-years", json={"year": year}, headers=finance)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return open_


@pytest.fixture
def add_framework(client: TestClient, finance: Headers) -> CreateIndicator:
    """Add a common indicator to a year's framework as finance; returns the 201 body."""

    def add(name: str, year: int = DEMO_YEAR, **fields: Any) -> dict[str, Any]:
        response = client.post(
            indicators_url(year), json=framework_body(name, **fields), headers=finance
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    return add


@pytest.fixture
def add_library(client: TestClient, auth: Callable[[str], Headers]) -> CreateIndicator:
    """Add a library indicator as a department user (``department`` by default)."""

    def add(
        name: str, organisation_id: int, username: str = "department", **fields: Any
    ) -> dict[str, Any]:
        body = {
            "organisation_id": organisation_id,
            "category": "quality",
            "name": name,
            "direction": "gte",
            "unit": "%",
            **fields,
        }
        response = client.post(LIBRARY, json=body, headers=auth(username))
        assert response.status_code == 201, response.text
        return dict(response.json())

    return add
