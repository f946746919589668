"""Money going out (拨款) and what may stop it (S2.3.2)."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import enum_type

MONEY = Numeric(18, 2)


class SpendingPlanMonth(Base):
    """Cumulative planned spending by the end of a month; time progress follows it (§3)."""

    __tablename__ = "spending_plan_months"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), index=True)
    month: Mapped[int] = mapped_column()
    cumulative_amount: Mapped[Decimal] = mapped_column(MONEY)

    __table_args__ = (UniqueConstraint("item_id", "month"),)


class DisbursementSource(LabeledEnum):
    __labels__ = {
        "manual": ("财政录入", "Entered by finance"),
        "treasury": ("国库支付系统导入", "Imported from the treasury"),
    }
    manual = "manual"
    treasury = "treasury"


class Disbursement(Base):
    __tablename__ = "disbursements"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(500))
    source: Mapped[DisbursementSource] = mapped_column(enum_type(DisbursementSource))
    external_reference: Mapped[str | None] = mapped_column(String(64), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    # Every read sums an item's payments up to a date: the covering index answers it from
    # the index alone (the overview's disbursement aggregate, bench/RESULTS.md "Indexes").
    __table_args__ = (Index("ix_disbursements_item_paid_amount", "item_id", "paid_on", "amount"),)


class HoldKind(LabeledEnum):
    __labels__ = {
        "suspend": ("暂缓拨款", "Payments suspended"),
        "stop": ("停止拨款", "Payments stopped"),
    }
    suspend = "suspend"
    stop = "stop"


class PaymentHold(Base):
    """A suspension (until rectification is verified) or a stop (for the rest of the year)."""

    __tablename__ = "payment_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"))
    kind: Mapped[HoldKind] = mapped_column(enum_type(HoldKind))
    reason: Mapped[str] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_reports.id"))
    # at a stop: approved minus disbursed, reported for recovery (收回)
    unspent_balance: Mapped[Decimal | None] = mapped_column(MONEY)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_payment_holds_item_lifted", "item_id", "lifted_at"),)
