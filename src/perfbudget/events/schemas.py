from datetime import datetime
from typing import Any

from pydantic import Field

from perfbudget.events.models import DeliveryStatus, EventType
from perfbudget.pagination import ListQuery, sort_field
from perfbudget.schemas import RequestModel, ResponseModel, RowId, VersionedUpdate

SECRET_FIELD = Field(
    default=None,
    min_length=16,
    max_length=128,
    description="HMAC key; generated when left out. Shown once, in the creation answer.",
)


class SubscriptionCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=500, description="http(s) URL that receives POSTs")
    event_types: list[EventType] = Field(min_length=1)
    secret: str | None = SECRET_FIELD


class SubscriptionUpdate(VersionedUpdate):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    url: str | None = Field(default=None, min_length=1, max_length=500)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    secret: str | None = Field(
        default=None, min_length=16, max_length=128, description="A new HMAC key (rotation)"
    )


class SubscriptionVersion(VersionedUpdate):
    pass


class SubscriptionFilter(ListQuery):
    active: bool | None = None
    sort: str = sort_field("id", "name", "created_at", "updated_at", default="id")


class SubscriptionRead(ResponseModel):
    id: int
    name: str
    url: str
    event_types: list[EventType]
    secret_hint: str = Field(description="The secret's last four characters, masked")
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="The HMAC key, shown this once")


class DeliveryFilter(ListQuery):
    subscription_id: RowId | None = None
    status: DeliveryStatus | None = None
    event_type: EventType | None = None
    sort: str = sort_field(
        "id",
        "subscription_id",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        default="-id",
    )


class DeliveryRead(ResponseModel):
    id: int
    event_id: str = Field(description="The event's stable id (receivers deduplicate by it)")
    event_type: EventType
    subscription_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None


class EventFilter(ListQuery):
    event_type: EventType | None = None
    sort: str = sort_field("id", "event_type", "occurred_at", default="-id")


class EventRead(ResponseModel):
    id: int
    event_id: str
    event_type: EventType
    data: dict[str, Any]
    occurred_at: datetime
