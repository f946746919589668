from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from perfbudget.users.schemas import UserRead
from tests.factories import make_user

URL = "/api/v1/users"
INITIAL_PASSWORD = "Welcome#2026x"

NewUser = Callable[..., dict[str, Any]]


@pytest.fixture
def admin(auth: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return auth("admin")


@pytest.fixture
def new_user(db: Session) -> NewUser:
    """make_user(), committed, as the API shows it.

    Committed so that a refused request, which rolls back its own work, does not take the
    row with it; a snapshot because the factory's object lives on in the shared session.
    """

    def create(**kwargs: Any) -> dict[str, Any]:
        user = make_user(db, **kwargs)
        db.commit()
        return UserRead.model_validate(user).model_dump(mode="json")

    return create


def user_body(username: str = "zhang.san", **fields: Any) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": "张三",
        "role": "finance",
        "initial_password": INITIAL_PASSWORD,
        **fields,
    }
