from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from perfbudget.pagination import ListQuery, sort_field
from perfbudget.principal import Role
from perfbudget.schemas import RequestModel, ResponseModel, RowId, VersionedUpdate

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$"


class UserCreate(RequestModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    display_name: str = Field(min_length=1, max_length=100)
    role: Role
    organisation_id: RowId | None = Field(default=None, description="Required for department users")
    initial_password: Annotated[
        str, StringConstraints(strip_whitespace=False, min_length=1, max_length=256)
    ] = Field(description="Must be changed at first login")

    @field_validator("username")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UserUpdate(VersionedUpdate):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    organisation_id: RowId | None = None


class UserVersion(VersionedUpdate):
    pass


class PasswordReset(VersionedUpdate):
    temporary_password: Annotated[
        str, StringConstraints(strip_whitespace=False, min_length=1, max_length=256)
    ]


class UserFilter(ListQuery):
    role: Role | None = None
    organisation_id: RowId | None = None
    active: bool | None = None
    search: str | None = Field(default=None, max_length=64)
    sort: str = sort_field(
        "id",
        "username",
        "display_name",
        "role",
        "organisation_id",
        "last_login_at",
        "created_at",
        "updated_at",
        default="username",
    )


class UserRead(ResponseModel):
    id: int
    username: str
    display_name: str
    role: Role
    organisation_id: int | None
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    password_changed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
