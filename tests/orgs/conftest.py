from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

URL = "/api/v1/organisations"

CreateOrg = Callable[..., dict[str, Any]]


@pytest.fixture
def admin(auth: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return auth("admin")


@pytest.fixture
def create_org(client: TestClient, admin: dict[str, str]) -> CreateOrg:
    """Create an organisation through the API as admin; returns the 201 body."""

    def create(
        code: str, kind: str = "department", parent: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {"code": code, "name_zh": f"机构{code}", "kind": kind, **fields}
        if parent is not None:
            body["parent_id"] = parent["id"]
        response = client.post(URL, json=body, headers=admin)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create
