from typing import Annotated

from fastapi import APIRouter, Query, status

from perfbudget.api.conditional import ETAG_RESPONSES, IfMatch, ReadETag, WriteETag
from perfbudget.auth.deps import Allowed
from perfbudget.auth.policy import Permission
from perfbudget.db import SessionDep
from perfbudget.events import service
from perfbudget.events.schemas import (
    DeliveryFilter,
    DeliveryRead,
    EventFilter,
    EventRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionFilter,
    SubscriptionRead,
    SubscriptionUpdate,
    SubscriptionVersion,
)
from perfbudget.pagination import Page
from perfbudget.principal import Actor
from perfbudget.schemas import RowId
from perfbudget.versioning import expected_version

router = APIRouter(prefix="/api/v1", tags=["events"])
Manager = Annotated[Actor, Allowed(Permission.events_manage)]
Reader = Annotated[Actor, Allowed(Permission.events_read)]
SUBSCRIPTIONS = "/event-subscriptions"


@router.get(SUBSCRIPTIONS, operation_id="list_event_subscriptions")
def list_event_subscriptions(
    session: SessionDep, actor: Manager, filters: Annotated[SubscriptionFilter, Query()]
) -> Page[SubscriptionRead]:
    """List event subscriptions (secrets masked)."""
    return service.list_subscriptions(session, filters)


@router.post(
    SUBSCRIPTIONS, status_code=status.HTTP_201_CREATED, operation_id="create_event_subscription"
)
def create_event_subscription(
    session: SessionDep, actor: Manager, body: SubscriptionCreate, etag: WriteETag
) -> SubscriptionCreated:
    """Subscribe a URL to event types; the answer shows the signing secret this once."""
    return etag(service.create_subscription(session, actor, body))


@router.get(
    SUBSCRIPTIONS + "/{subscription_id}",
    operation_id="get_event_subscription",
    responses=ETAG_RESPONSES,
)
def get_event_subscription(
    session: SessionDep, actor: Manager, subscription_id: RowId, etag: ReadETag
) -> SubscriptionRead:
    """Read one subscription (secret masked)."""
    return etag(service.to_read(service.get_subscription(session, subscription_id)))


@router.patch(SUBSCRIPTIONS + "/{subscription_id}", operation_id="update_event_subscription")
def update_event_subscription(
    session: SessionDep,
    actor: Manager,
    subscription_id: RowId,
    body: SubscriptionUpdate,
    if_match: IfMatch,
    etag: WriteETag,
) -> SubscriptionRead:
    """Change the name, URL or event types, or rotate the secret."""
    subscription = service.update_subscription(
        session,
        actor,
        subscription_id,
        body,
        expected_version(body.version, if_match),
    )
    return etag(service.to_read(subscription))


@router.post(
    SUBSCRIPTIONS + "/{subscription_id}/deactivate", operation_id="deactivate_event_subscription"
)
def deactivate_event_subscription(
    session: SessionDep,
    actor: Manager,
    subscription_id: RowId,
    body: SubscriptionVersion,
    if_match: IfMatch,
    etag: WriteETag,
) -> SubscriptionRead:
    """Stop sending to this subscription; pending deliveries are not sent."""
    subscription = service.set_active(
        session, actor, subscription_id, False, expected_version(body.version, if_match)
    )
    return etag(service.to_read(subscription))


@router.post(
    SUBSCRIPTIONS + "/{subscription_id}/activate", operation_id="activate_event_subscription"
)
def activate_event_subscription(
    session: SessionDep,
    actor: Manager,
    subscription_id: RowId,
    body: SubscriptionVersion,
    if_match: IfMatch,
    etag: WriteETag,
) -> SubscriptionRead:
    """Resume sending new events to a deactivated subscription."""
    subscription = service.set_active(
        session,
        actor,
        subscription_id,
        True,
        expected_version(body.version, if_match),
    )
    return etag(service.to_read(subscription))


@router.get("/event-deliveries", operation_id="list_event_deliveries")
def list_event_deliveries(
    session: SessionDep, actor: Manager, filters: Annotated[DeliveryFilter, Query()]
) -> Page[DeliveryRead]:
    """The delivery log: each attempt's outcome, newest first."""
    return service.list_deliveries(session, filters)


@router.post("/event-deliveries/{delivery_id}/retry", operation_id="retry_event_delivery")
def retry_event_delivery(session: SessionDep, actor: Manager, delivery_id: RowId) -> DeliveryRead:
    """Re-queue a failed delivery: due now, attempts counted afresh."""
    return service.retry_delivery(session, actor, delivery_id)


@router.get("/events", operation_id="list_events")
def list_events(
    session: SessionDep, actor: Reader, filters: Annotated[EventFilter, Query()]
) -> Page[EventRead]:
    """The outbox: every event emitted, newest first."""
    return service.list_events(session, filters)
