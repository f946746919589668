from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class FiscalYearStatus(LabeledEnum):
    __labels__ = {
        "preparing": ("预算编制中", "Preparing"),
        "executing": ("预算执行中", "Executing"),
        "closed": ("已结束", "Closed"),
    }
    preparing = "preparing"
    executing = "executing"
    closed = "closed"


class FiscalYear(Timestamps, Base):
    __tablename__ = "fiscal_years"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    status: Mapped[FiscalYearStatus] = mapped_column(
        enum_type(FiscalYearStatus), default=FiscalYearStatus.preparing
    )
    # The §3 rule parameters as a validated document (fiscal_years.parameters.RuleParameters).
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
