"""Attachments are exercised where they are used first: on ex-ante assessments."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.assessments.conftest import assessment_url

# the autouse attachments directory and the flow fixture, shared with the assessment tests
from tests.assessments.conftest import attachments_dir as attachments_dir
from tests.assessments.conftest import flow as flow

Upload = Callable[..., httpx.Response]


@pytest.fixture
def draft_item(flow: Any) -> int:
    """An item of the education bureau with a draft assessment."""
    item_id: int = flow.item("201")
    flow.draft(item_id)
    return item_id


@pytest.fixture
def upload(client: TestClient, auth: Callable[[str], dict[str, str]]) -> Upload:
    def send(
        item_id: int,
        filename: str,
        content: bytes,
        user: str = "department",
        content_type: str = "application/octet-stream",
    ) -> httpx.Response:
        return client.post(
            assessment_url(item_id, "/attachments"),
            files={"file": (filename, content, content_type)},
            headers=auth(user),
        )

    return send


def stored_files(directory: Any) -> list[str]:
    """Every file under the attachments directory, relative, sorted (temporary ones too)."""
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
