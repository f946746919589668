"""The one place that decides what each role may do. Deny by default."""

from perfbudget.enums import LabeledEnum
from perfbudget.principal import Role


class Permission(LabeledEnum):
    __labels__ = {
        "org:read": ("查看组织机构", "Read organisations"),
        "org:write": ("维护组织机构", "Maintain organisations"),
        "user:read": ("查看用户", "Read users"),
        "user:write": ("维护用户", "Maintain users"),
        "fiscal_year:read": ("查看预算年度", "Read fiscal years"),
        "fiscal_year:write": (
            "维护预算年度及规则参数",
            "Maintain fiscal years and rule parameters",
        ),
        "audit:read": ("查看审计日志", "Read the audit trail"),
        "budget_item:read": ("查看预算项目", "Read budget items"),
        "budget_item:write": ("编报预算项目及绩效目标", "Prepare budget items and targets"),
        "budget_item:department_review": ("主管部门审核", "Review as the parent department"),
        "budget_item:finance_review": ("财政审核绩效目标", "Review targets as finance"),
        "budget_item:decide": ("预算安排决定", "Decide budgets"),
        "assessment:file": ("编报事前绩效评估", "File ex-ante assessments"),
        "assessment:review": ("评审事前绩效评估", "Review assigned assessments"),
        "assessment:manage": ("组织评审并出具结论", "Assign reviewers and conclude"),
        "indicator:read": ("查看指标体系与指标库", "Read the indicator framework and libraries"),
        "indicator_framework:write": ("维护共性指标框架", "Maintain the common framework"),
        "indicator_library:write": ("维护部门指标库", "Maintain a department's library"),
        "congress_package:read": ("查看报送人大的绩效目标", "Read the People's Congress package"),
        "monitoring:write": (
            "填报绩效监控及整改情况",
            "File monitoring reports and rectifications",
        ),
        "monitoring:review": (
            "审核绩效监控、责令整改、暂缓或停止拨款",
            "Review monitoring, order rectification, hold payments",
        ),
        "payment:write": ("登记拨款", "Record disbursements"),
        "monitoring:overview": ("查看绩效监控总览", "Read the monitoring overview"),
        "evaluation:write": ("填报绩效自评", "File self-evaluations"),
        "evaluation:review": ("审核自评、评定等级", "Check self-evaluations and grade them"),
        "evaluation:third_party": ("开展第三方评价", "Evaluate as a commissioned third party"),
        "results:read": ("查看评价结果及应用", "Read results and their use"),
        "results:write": (
            "结果应用、部门考核与通报",
            "Apply results, assess departments, circulate",
        ),
        "results:plan": ("报送整改计划", "File rectification plans for fair results"),
        "accountability:read": ("查看问责移送", "Read referrals"),
        "accountability:write": ("登记问责移送", "Record referrals"),
        "disclosure:publish": ("公开绩效信息", "Publish targets and results"),
        "events:manage": ("管理事件订阅", "Manage event subscriptions and read deliveries"),
        "events:read": ("查看事件内容", "Read the contents of events"),
        "tasks:read": ("查看本人待办事项", "Read one's own to-do inbox"),
    }
    org_read = "org:read"
    org_write = "org:write"
    user_read = "user:read"
    user_write = "user:write"
    fiscal_year_read = "fiscal_year:read"
    fiscal_year_write = "fiscal_year:write"
    audit_read = "audit:read"
    item_read = "budget_item:read"
    item_write = "budget_item:write"
    item_department_review = "budget_item:department_review"
    item_finance_review = "budget_item:finance_review"
    item_decide = "budget_item:decide"
    assessment_file = "assessment:file"
    assessment_review = "assessment:review"
    assessment_manage = "assessment:manage"
    indicator_read = "indicator:read"
    framework_write = "indicator_framework:write"
    library_write = "indicator_library:write"
    congress_read = "congress_package:read"
    monitoring_write = "monitoring:write"
    monitoring_review = "monitoring:review"
    payment_write = "payment:write"
    overview_read = "monitoring:overview"
    evaluation_write = "evaluation:write"
    evaluation_review = "evaluation:review"
    evaluation_third_party = "evaluation:third_party"
    results_read = "results:read"
    results_write = "results:write"
    results_plan = "results:plan"
    accountability_read = "accountability:read"
    accountability_write = "accountability:write"
    disclosure_publish = "disclosure:publish"
    events_manage = "events:manage"
    events_read = "events:read"
    tasks_read = "tasks:read"


# every signed-in role reads organisations, fiscal years and its own to-do inbox (empty for
# a role that takes no step in the workflow)
_READ_COMMON = {Permission.org_read, Permission.fiscal_year_read, Permission.tasks_read}
# what every role that takes part in the budget workflow reads (visibility is per object)
_WORKFLOW_READ = {*_READ_COMMON, Permission.item_read, Permission.indicator_read}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # admin keeps users, organisations and event subscriptions; no finance decisions or contents
    Role.admin: frozenset(
        {
            *_READ_COMMON,
            Permission.org_write,
            Permission.user_read,
            Permission.user_write,
            Permission.events_manage,
        }
    ),
    Role.finance: frozenset(
        {
            *_WORKFLOW_READ,
            Permission.user_read,
            Permission.fiscal_year_write,
            Permission.audit_read,
            Permission.item_finance_review,
            Permission.item_decide,
            Permission.assessment_manage,
            Permission.framework_write,
            Permission.congress_read,
            Permission.monitoring_review,
            Permission.payment_write,
            Permission.overview_read,
            Permission.evaluation_review,
            Permission.results_read,
            Permission.results_write,
            Permission.accountability_read,
            Permission.accountability_write,
            Permission.disclosure_publish,
            # the events report finance's own decisions; admin runs the subscriptions only
            Permission.events_read,
        }
    ),
    Role.department: frozenset(
        {
            *_WORKFLOW_READ,
            Permission.monitoring_write,
            Permission.evaluation_write,
            Permission.results_plan,
            Permission.item_write,
            Permission.item_department_review,
            Permission.assessment_file,
            Permission.library_write,
        }
    ),
    Role.expert: frozenset({*_WORKFLOW_READ, Permission.assessment_review}),
    Role.third_party: frozenset(
        {*_WORKFLOW_READ, Permission.assessment_review, Permission.evaluation_third_party}
    ),
    Role.investment: frozenset({*_WORKFLOW_READ, Permission.assessment_file}),
    # 人大 / 纪检: read everything, change nothing
    Role.oversight: frozenset(
        {
            *_WORKFLOW_READ,
            Permission.user_read,
            Permission.audit_read,
            Permission.congress_read,
            Permission.overview_read,
            Permission.results_read,
            Permission.accountability_read,
        }
    ),
}


def allows(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


def is_scoped_to_organisation(role: Role) -> bool:
    """Department users see and act on their organisation's subtree only."""
    return role is Role.department
