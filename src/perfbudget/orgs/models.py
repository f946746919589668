from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from perfbudget.db import Base
from perfbudget.enums import LabeledEnum
from perfbudget.models_base import Timestamps, enum_type


class OrganisationKind(LabeledEnum):
    __labels__ = {
        "bureau": ("政府部门（财政、投资主管等）", "Government bureau (finance, investment …)"),
        "department": ("部门", "Department"),
        "unit": ("所属单位", "Subordinate unit"),
        "agency": ("第三方机构", "Third-party agency"),
    }
    bureau = "bureau"
    department = "department"
    unit = "unit"
    agency = "agency"


class Organisation(Timestamps, Base):
    """A department (部门) or subordinate unit (所属单位); deactivated, never deleted."""

    __tablename__ = "organisations"
    __audit_entity__: ClassVar[str] = "organisation"
    __audited__: ClassVar[tuple[str, ...]] = (
        "code",
        "name_zh",
        "name_en",
        "kind",
        "parent_id",
        "path",
        "is_active",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Materialised path "/1/7/12/": a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column()

    __mapper_args__ = {"version_id_col": version}
