from datetime import datetime

from pydantic import Field

from perfbudget.orgs.models import OrganisationKind
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, RowId, VersionedUpdate

CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,31}$"


class OrganisationCreate(RequestModel):
    code: str = Field(pattern=CODE_PATTERN, description="Unique organisation code (单位编码)")
    name_zh: str = Field(min_length=1, max_length=200, description="Chinese name")
    name_en: str | None = Field(default=None, max_length=200)
    kind: OrganisationKind
    parent_id: RowId | None = Field(default=None, description="Required for a subordinate unit")


class OrganisationUpdate(VersionedUpdate):
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    parent_id: RowId | None = Field(default=None, description="Move a unit under another parent")


class OrganisationStatusChange(VersionedUpdate):
    pass


class OrganisationFilter(ListQuery):
    parent_id: RowId | None = Field(
        default=None, description="Direct children of this organisation"
    )
    kind: OrganisationKind | None = None
    active: bool | None = None
    search: str | None = Field(default=None, max_length=100, description="Part of code or name")
    sort: str = sort_field(
        "id", "code", "name_zh", "kind", "created_at", "updated_at", default="code"
    )


class OrganisationRead(ResponseModel):
    id: int
    code: str
    name_zh: str
    name_en: str | None
    kind: OrganisationKind
    parent_id: int | None
    path: str
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class OrganisationRef(ResponseModel):
    """How other records name their organisation."""

    id: int
    code: str
    name_zh: str
