"""Events other county systems act on, written to an outbox in the same transaction as the
change, and delivered by a separate process (`perfbudget events deliver`)."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class EventType(LabeledEnum):
    __labels__ = {
        "budget.decided": ("预算安排决定", "Budget decided"),
        "payment_hold.placed": ("暂缓拨款", "Payment hold placed"),
        "payment_hold.lifted": ("恢复拨款", "Payment hold lifted"),
        "payments.stopped": ("停止拨款", "Payments stopped"),
        "evaluation.graded": ("评价等级确定", "Grade determined"),
        "disclosure.published": ("信息公开", "Disclosure published"),
        "report.due_soon": ("监控报告即将到期", "Monitoring report due soon"),
        "report.overdue": ("监控报告逾期未报", "Monitoring report overdue"),
        "rectification.due_soon": ("整改即将到期", "Rectification due soon"),
        "rectification.overdue": ("整改逾期未反馈", "Rectification overdue"),
    }
    budget_decided = "budget.decided"
    payment_hold_placed = "payment_hold.placed"
    payment_hold_lifted = "payment_hold.lifted"
    payments_stopped = "payments.stopped"
    evaluation_graded = "evaluation.graded"
    disclosure_published = "disclosure.published"
    # reminders (`perfbudget reminders run`), for a county messaging system
    report_due_soon = "report.due_soon"
    report_overdue = "report.overdue"
    rectification_due_soon = "rectification.due_soon"
    rectification_overdue = "rectification.overdue"


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # unique and stable: receivers deduplicate by it
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[EventType] = mapped_column(enum_type(EventType), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Timestamps, Base):
    __tablename__ = "event_subscriptions"
    __audit_entity__: ClassVar[str] = "event_subscription"
    __audited__: ClassVar[tuple[str, ...]] = ("name", "url", "event_types", "is_active")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(128))
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}


class DeliveryStatus(LabeledEnum):
    __labels__ = {
        "pending": ("待投递", "Pending"),
        "delivered": ("已投递", "Delivered"),
        "failed": ("投递失败", "Failed"),
    }
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class Delivery(Base):
    __tablename__ = "event_deliveries"
    __audit_entity__: ClassVar[str] = "event_delivery"
    __audited__: ClassVar[tuple[str, ...]] = (
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("event_subscriptions.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # when an attempt last failed (or the delivery was given up): /metrics reports the latest
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_event_deliveries_due", "status", "next_attempt_at"),
    )
