from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from perfbudget.users import repository as user_repository
from perfbudget.users.models import User

TOKEN_URL = "/api/v1/auth/token"
ME_URL = "/api/v1/auth/me"
PASSWORD_URL = "/api/v1/auth/password"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_seen(response: httpx.Response) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Everything a client sees of a JSON answer but the request's own id."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "x-request-id"}
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, headers, body


@pytest.fixture
def user(db: Session) -> User:
    """The demo finance account (password DEMO_PASSWORD): signed in without paying for a new
    Argon2 hash; whatever a test does to it is rolled back."""
    account = user_repository.get_by_username(db, "finance")
    assert account is not None
    assert not account.must_change_password
    return account
