from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import ResponseModel, RowId

WRITE_METHODS = Literal["POST", "PUT", "PATCH", "DELETE"]


class TrailQuery(ListQuery):
    """A page of a trail, newest first, within an optional period."""

    user_id: RowId | None = None
    since: datetime | None = Field(default=None, description="From this time (inclusive, UTC)")
    until: datetime | None = Field(default=None, description="Before this time (UTC)")


class AuditEventFilter(TrailQuery):
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=64)
    sort: str = sort_field("seq", "occurred_at", "user_id", "action", "entity_type", default="-seq")


class AuditEventRead(ResponseModel):
    seq: int
    occurred_at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    organisation_id: int | None
    action: str
    entity_type: str | None
    entity_id: str | None
    changes: dict[str, Any]
    request_id: str | None
    client_address: str | None
    prev_hash: str
    hash: str


class ChainVerification(ResponseModel):
    intact: bool
    events_checked: int
    last_seq: int
    first_broken_seq: int | None = Field(description="The first sequence number that fails")
    reason: str | None = Field(description="missing | link_broken | hash_mismatch")


class RefusalFilter(TrailQuery):
    organisation_id: RowId | None = None
    code: str | None = Field(default=None, max_length=64, description="e.g. PAYMENT_HOLD")
    method: WRITE_METHODS | None = None
    path: str | None = Field(default=None, max_length=512, description="Paths starting so")
    client_address: str | None = Field(default=None, max_length=64)
    sort: str = sort_field(
        "seq",
        "occurred_at",
        "user_id",
        "organisation_id",
        "code",
        "method",
        "path",
        "status",
        "client_address",
        default="-seq",
    )


class RefusalRead(ResponseModel):
    """A refused write: who asked, what, and the code it was answered with."""

    seq: int
    occurred_at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    organisation_id: int | None
    method: str
    path: str
    status: int
    code: str
    request_id: str | None
    client_address: str | None
    prev_hash: str
    hash: str
