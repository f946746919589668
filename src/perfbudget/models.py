"""Import every model so Base.metadata is complete (Alembic, tests)."""

from perfbudget.accountability.models import Referral
from perfbudget.assessments.models import Assessment, AssessmentReview
from perfbudget.attachments.models import Attachment
from perfbudget.audit.models import AuditChainHead, AuditEvent, AuditSubject
from perfbudget.auth.models import SignInFailure
from perfbudget.budget_items.models import BudgetItem, ItemEvent
from perfbudget.db import Base
from perfbudget.disclosure.models import Publication
from perfbudget.evaluations.models import EvaluationLine, SelfEvaluation
from perfbudget.events.models import Delivery, OutboxEvent, Subscription
from perfbudget.fiscal_years.models import FiscalYear
from perfbudget.health.models import SchemaCompatibility
from perfbudget.imports.models import ImportRun
from perfbudget.indicators.models import FrameworkIndicator, LibraryIndicator
from perfbudget.integration.models import IdempotencyRecord
from perfbudget.monitoring.models import MonitoringReport, Rectification, ReportLine
from perfbudget.orgs.models import Organisation
from perfbudget.overview import month_figures  # noqa: F401 - the read model's upkeep, on every session
from perfbudget.overview.models import ItemMonthFigure
from perfbudget.payments.models import Disbursement, PaymentHold, SpendingPlanMonth
from perfbudget.reminders.models import ReminderSent
from perfbudget.results.models import Circular, DepartmentAssessment, RectificationPlan
from perfbudget.targets.models import TargetLine, TargetSet
from perfbudget.users.models import User

__all__ = [
    "Assessment",
    "AssessmentReview",
    "Attachment",
    "AuditChainHead",
    "AuditEvent",
    "AuditSubject",
    "Base",
    "BudgetItem",
    "Circular",
    "Delivery",
    "DepartmentAssessment",
    "Disbursement",
    "EvaluationLine",
    "FiscalYear",
    "FrameworkIndicator",
    "IdempotencyRecord",
    "ImportRun",
    "ItemEvent",
    "ItemMonthFigure",
    "LibraryIndicator",
    "MonitoringReport",
    "Organisation",
    "OutboxEvent",
    "PaymentHold",
    "Publication",
    "Rectification",
    "RectificationPlan",
    "Referral",
    "ReminderSent",
    "ReportLine",
    "SchemaCompatibility",
    "SelfEvaluation",
    "SignInFailure",
    "SpendingPlanMonth",
    "Subscription",
    "TargetLine",
    "TargetSet",
    "User",
]
