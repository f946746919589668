"""The monitoring overview's read model: one row per funded item and month of its fiscal
year, with what the overview and the compliance listing count of it (``month_figures``)."""

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.budget_items.models import ItemKind
from perfbudget.db import Base
from perfbudget.models_base import enum_type
from perfbudget.monitoring.models import Light


class ItemMonthFigure(Base):
    """Maintained in the transaction of every write that changes it (an item's funding, a
    report, a spending plan, a payment), rebuilt by ``perfbudget overview rebuild``; equal
    at all times to ``month_figures.recomputed`` (``perfbudget overview check``)."""

    __tablename__ = "item_month_figures"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("budget_items.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind))
    # funded before the month ended: the month's report is owed (schedule.owes_report)
    owes: Mapped[bool] = mapped_column()
    # the month's report is filed (neither missing, draft nor returned)
    submitted: Mapped[bool] = mapped_column()
    late: Mapped[bool] = mapped_column()
    light: Mapped[Light | None] = mapped_column(enum_type(Light))
    # integer cents: exact sums on SQLite too, where NUMERIC is stored as REAL
    approved_cents: Mapped[int] = mapped_column(BigInteger)
    planned_cents: Mapped[int | None] = mapped_column(BigInteger)  # cumulative, if planned
    disbursed_cents: Mapped[int] = mapped_column(BigInteger)  # paid by the month's end

    __table_args__ = (
        Index(
            "ix_item_month_figures_year_month",
            "fiscal_year_id",
            "month",
            "organisation_id",
        ),
    )
