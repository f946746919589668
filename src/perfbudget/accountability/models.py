"""Supervision and accountability (S4.3): referrals to the discipline inspection organs and
accountability requests to the county government."""

from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class ReferralKind(LabeledEnum):
    __labels__ = {
        "discipline_referral": ("移送纪检监察机关", "Referral to discipline inspection"),
        "accountability_request": ("提请县政府问责", "Accountability request to the county"),
    }
    discipline_referral = "discipline_referral"
    accountability_request = "accountability_request"


class ReferralStatus(LabeledEnum):
    __labels__ = {
        "draft": ("拟移送", "Draft"),
        "referred": ("已移送", "Referred"),
        "closed": ("已办结", "Closed"),
    }
    draft = "draft"
    referred = "referred"
    closed = "closed"


class Referral(Timestamps, Base):
    __tablename__ = "accountability_referrals"
    __audit_entity__: ClassVar[str] = "referral"
    __audited__: ClassVar[tuple[str, ...]] = (
        "kind",
        "title",
        "facts",
        "fiscal_year_id",
        "item_ids",
        "organisation_ids",
        "status",
        "outcome",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fiscal_year_id: Mapped[int | None] = mapped_column(ForeignKey("fiscal_years.id"))
    kind: Mapped[ReferralKind] = mapped_column(enum_type(ReferralKind))
    title: Mapped[str] = mapped_column(String(200))
    facts: Mapped[str] = mapped_column(Text)
    item_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    organisation_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus), default=ReferralStatus.draft
    )
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
