"""Import every model so Base.metadata is complete (Alembic, tests)."""

from perfbudget.audit.models import AuditChainHead, AuditEvent
from perfbudget.db import Base
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.orgs.models import Organisation
from perfbudget.users.models import User

__all__ = ["AuditChainHead", "AuditEvent", "Base", "FiscalYear", "Organisation", "User"]
