from typing import Literal

from pydantic import ConfigDict, Field

from perfbudget.principal import Role
from perfbudget.schemas import RequestModel, ResponseModel


class TokenResponse(ResponseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class SignInForm(RequestModel):
    """The OAuth2 password flow's form (application/x-www-form-urlencoded)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    username: str = Field(min_length=1, max_length=256)
    password: str = Field(min_length=1, max_length=256)
    grant_type: Literal["password"] | None = None
    scope: str = Field(default="", max_length=1000)
    client_id: str | None = Field(default=None, max_length=256)
    client_secret: str | None = Field(default=None, max_length=256)


class PasswordChange(RequestModel):
    # a password is taken exactly as typed: stripping would store one the user never chose
    model_config = ConfigDict(str_strip_whitespace=False)

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class OrganisationSummary(ResponseModel):
    id: int
    code: str
    name_zh: str
    path: str


class Me(ResponseModel):
    id: int
    username: str
    display_name: str
    role: Role
    organisation: OrganisationSummary | None
    must_change_password: bool
    permissions: list[str]
