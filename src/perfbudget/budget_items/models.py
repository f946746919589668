from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from perfbudget.db import Base, UTCDateTime
from perfbudget.enums import LabeledEnum
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.models_base import Timestamps, enum_type
from perfbudget.orgs.models import Organisation

MONEY = Numeric(18, 2)


class ItemKind(LabeledEnum):
    """S1.1: the three kinds of object under performance management."""

    __labels__ = {
        "project": ("项目支出", "Project expenditure"),
        "policy": ("政策", "Policy"),
        "department_overall": ("部门单位整体支出", "Department overall budget"),
    }
    project = "project"
    policy = "policy"
    department_overall = "department_overall"


class BudgetBook(LabeledEnum):
    """S1.3: the four budgets."""

    __labels__ = {
        "general_public": ("一般公共预算", "General public budget"),
        "government_fund": ("政府性基金预算", "Government fund budget"),
        "state_capital": ("国有资本经营预算", "State capital operating budget"),
        "social_insurance": ("社会保险基金预算", "Social insurance fund budget"),
    }
    general_public = "general_public"
    government_fund = "government_fund"
    state_capital = "state_capital"
    social_insurance = "social_insurance"


class FundCategory(LabeledEnum):
    """S1.3: funds that involve general public money."""

    __labels__ = {
        "ordinary": ("一般资金", "Ordinary funds"),
        "government_investment_fund": ("政府投资基金", "Government investment fund"),
        "ppp": ("政府和社会资本合作（PPP）", "Public-private partnership (PPP)"),
        "government_procurement": ("政府采购", "Government procurement"),
        "purchase_of_services": ("政府购买服务", "Government purchase of services"),
        "government_debt": ("政府债务项目", "Government debt project"),
    }
    ordinary = "ordinary"
    government_investment_fund = "government_investment_fund"
    ppp = "ppp"
    government_procurement = "government_procurement"
    purchase_of_services = "purchase_of_services"
    government_debt = "government_debt"


class ItemStatus(LabeledEnum):
    __labels__ = {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "department_review": ("主管部门审核中", "In department review"),
        "finance_review": ("财政审核中", "In finance review"),
        "funded": ("已安排预算", "Funded"),
        "rejected": ("不予安排", "Rejected"),
        "returned": ("已退回修改", "Returned for changes"),
    }
    draft = "draft"
    submitted = "submitted"
    department_review = "department_review"
    finance_review = "finance_review"
    funded = "funded"
    rejected = "rejected"
    returned = "returned"


class BudgetItem(Timestamps, Base):
    """What performance is managed for (S1.1): a project, a policy or a department's budget."""

    __tablename__ = "budget_items"
    __audit_entity__: ClassVar[str] = "budget_item"
    __audited__: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "kind",
        "budget_book",
        "fund_category",
        "new_major",
        "capital_construction",
        "mid_year_addition",
        "serves_public",
        "requested_amount",
        "description",
        "continues_item_id",
        "status",
        "approved_amount",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int] = mapped_column(ForeignKey("fiscal_years.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ItemKind] = mapped_column(enum_type(ItemKind))
    budget_book: Mapped[BudgetBook] = mapped_column(enum_type(BudgetBook))
    fund_category: Mapped[FundCategory] = mapped_column(enum_type(FundCategory))
    new_major: Mapped[bool] = mapped_column(default=False)
    capital_construction: Mapped[bool] = mapped_column(default=False)
    mid_year_addition: Mapped[bool] = mapped_column(default=False)
    serves_public: Mapped[bool] = mapped_column(default=False)
    requested_amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(Text, default="")
    continues_item_id: Mapped[int | None] = mapped_column(ForeignKey("budget_items.id"))
    status: Mapped[ItemStatus] = mapped_column(enum_type(ItemStatus), default=ItemStatus.draft)
    return_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    organisation: Mapped[Organisation] = relationship(lazy="joined", innerjoin=True)
    fiscal_year: Mapped[FiscalYear] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_budget_items_year_status", "fiscal_year_id", "status"),
        # a year's page of items in id order, without walking older years' items
        Index("ix_budget_items_year_id", "fiscal_year_id", "id"),
        # the overview's aggregates read one year's items by owner from the index alone: on
        # SQLite, walking every year's items and their rows is what grew with closed years
        Index(
            "ix_budget_items_year_owner",
            "fiscal_year_id",
            "organisation_id",
            "status",
            "kind",
            "decided_at",
            "approved_amount",
        ),
    )


class ItemEvent(Base):
    """The item's own history: each transition with who, when and why."""

    __tablename__ = "budget_item_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("budget_items.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the batch upload that created the item (its one audit event names the item too)
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))
