"""The reminders sent, one row each: the database, not the hosts, decides that a reminder
goes out at most once, however many hosts run `perfbudget reminders run` at the same time."""

from datetime import date, datetime

from sqlalchemy import Date, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.events.models import EventType
from perfbudget.models_base import enum_type


class ReminderSent(Base):
    __tablename__ = "reminders_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[EventType] = mapped_column(enum_type(EventType))
    # what it is about: "item:42:month:6" (a monthly report), "rectification:7"
    subject_key: Mapped[str] = mapped_column(String(64))
    # a due-soon reminder: the due date it warns of (once per due date); an overdue one: the
    # county day it is for (once a day while it lasts)
    reminder_day: Mapped[date] = mapped_column(Date)
    # the outbox event's event_id (what receivers deduplicate by); kept after the purge
    event_id: Mapped[str] = mapped_column(String(36))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("event_type", "subject_key", "reminder_day"),)
