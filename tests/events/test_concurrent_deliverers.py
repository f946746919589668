"""Several deliverers side by side: on PostgreSQL a delivery one of them holds is skipped by
the others (FOR UPDATE SKIP LOCKED); on SQLite a second deliverer cannot even start while the
first holds the write lock. Either way no event is posted twice at once."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from perfbudget.events import repository
from perfbudget.events.models import Delivery, EventType, OutboxEvent, Subscription


@pytest.fixture
def committed_deliveries(engine: Engine):
    now = datetime(2027, 7, 5, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        subscription = Subscription(
            name="并发", url="https://a.example/", secret="x" * 20, event_types=["budget.decided"]
        )
        session.add(subscription)
        session.flush()
        for number in range(2):
            event = OutboxEvent(
                event_id=f"00000000-0000-0000-0000-00000000000{number}",
                event_type=EventType.budget_decided,
                payload={},
                occurred_at=now,
            )
            session.add(event)
            session.flush()
            session.add(
                Delivery(event_id=event.id, subscription_id=subscription.id, next_attempt_at=now)
            )
        subscription_id = subscription.id
    yield now
    with Session(engine) as session, session.begin():
        session.execute(delete(Delivery).where(Delivery.subscription_id == subscription_id))
        session.execute(delete(OutboxEvent).where(OutboxEvent.event_id.like("00000000-%")))
        session.execute(delete(Subscription).where(Subscription.id == subscription_id))


def test_a_held_delivery_is_never_taken_by_another_deliverer(engine: Engine, committed_deliveries):
    with Session(engine) as first, first.begin():
        [held] = repository.lock_due(first, committed_deliveries, 1)
        if engine.dialect.name == "postgresql":
            with Session(engine) as second, second.begin():
                others = repository.lock_due(second, committed_deliveries, 10)
                assert [row.id for row in others] != []
                assert held.id not in {row.id for row in others}
        else:
            with engine.connect() as second:
                second.connection.driver_connection.execute("PRAGMA busy_timeout=100")
                with pytest.raises(OperationalError, match="locked"), second.begin():
                    repository.lock_due(Session(bind=second), committed_deliveries, 10)
