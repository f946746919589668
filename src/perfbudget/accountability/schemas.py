from datetime import datetime

from pydantic import Field

from perfbudget.accountability.models import ReferralKind, ReferralStatus
from perfbudget.orgs.schemas import OrganisationRef
from perfbudget.overview.schemas import ItemRef
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, RowId, Text, VersionedUpdate, Year

Ids = list[RowId]


class ReferralCreate(RequestModel):
    kind: ReferralKind
    title: str = Field(min_length=1, max_length=200)
    facts: Text = Field(min_length=1, max_length=50000)
    fiscal_year: Year | None = None
    item_ids: Ids = Field(default_factory=list, max_length=500)
    organisation_ids: Ids = Field(default_factory=list, max_length=500)


class ReferralUpdate(VersionedUpdate):
    kind: ReferralKind | None = None
    title: str | None = Field(default=None, min_length=1, max_length=200)
    facts: Text | None = Field(default=None, min_length=1, max_length=50000)
    item_ids: Ids | None = Field(default=None, max_length=500)
    organisation_ids: Ids | None = Field(default=None, max_length=500)


class ReferralAction(VersionedUpdate):
    pass


class ReferralClose(VersionedUpdate):
    outcome: Text = Field(min_length=1, max_length=50000)


class ReferralFilter(ListQuery):
    kind: ReferralKind | None = None
    status: ReferralStatus | None = None
    fiscal_year: Year | None = None
    sort: str = sort_field(
        "id", "kind", "status", "title", "created_at", "updated_at", default="-id"
    )


class ReferralRead(ResponseModel):
    id: int
    kind: ReferralKind
    fiscal_year: int | None
    title: str
    facts: str
    items: list[ItemRef]
    organisations: list[OrganisationRef]
    status: ReferralStatus
    outcome: str | None
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int
