from datetime import datetime
from typing import Any

from pydantic import Field

from perfbudget.pagination import ListQuery
from perfbudget.schemas import ResponseModel


class AuditEventFilter(ListQuery):
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    user_id: int | None = None
    action: str | None = Field(default=None, max_length=64)
    since: datetime | None = Field(default=None, description="From this time (inclusive, UTC)")
    until: datetime | None = Field(default=None, description="Before this time (UTC)")


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
