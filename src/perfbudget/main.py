"""The application factory."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from perfbudget import __version__
from perfbudget.accountability.router import router as accountability_router
from perfbudget.api.problems import install_error_handlers
from perfbudget.api.refusals import record_refusal
from perfbudget.assessments.router import router as assessments_router
from perfbudget.audit.router import refusals_router
from perfbudget.audit.router import router as audit_router
from perfbudget.auth.router import router as auth_router
from perfbudget.budget_items.router import router as budget_items_router
from perfbudget.config import Settings, get_settings
from perfbudget.congress.router import router as congress_router
from perfbudget.contract.document import install_contract
from perfbudget.disclosure.router import public_router as disclosure_public_router
from perfbudget.disclosure.router import router as disclosure_router
from perfbudget.docs import install_docs
from perfbudget.evaluations.router import router as evaluations_router
from perfbudget.events.router import router as events_router
from perfbudget.fiscal_years.router import router as fiscal_years_router
from perfbudget.health.router import router as health_router
from perfbudget.imports.router import router as imports_router
from perfbudget.indicators.router import router as indicators_router
from perfbudget.integration.idempotency import IdempotencyMiddleware
from perfbudget.logging_config import configure_logging
from perfbudget.meta.router import router as meta_router
from perfbudget.metrics.router import install_metrics
from perfbudget.middleware import RequestContextMiddleware
from perfbudget.monitoring.router import router as monitoring_router
from perfbudget.orgs.router import router as orgs_router
from perfbudget.overview.router import router as overview_router
from perfbudget.payments.router import router as payments_router
from perfbudget.results.router import router as results_router
from perfbudget.targets.router import router as targets_router
from perfbudget.tasks.router import router as tasks_router
from perfbudget.users.router import router as users_router

DESCRIPTION = """
Comprehensive budget performance management (全面实施预算绩效管理) for a county finance
bureau: ex-ante assessment, performance targets, dual monitoring, evaluation and use of
results. Errors are RFC 9457 `application/problem+json` with a stable `code`; `detail`
follows `Accept-Language` (zh-CN by default, en). Any authenticated POST may carry an
`Idempotency-Key` (1–128 of `[A-Za-z0-9._:-]`, kept 24 hours): a retry with the same key and
body replays the first answer (`Idempotent-Replay: true`), another body answers 422, and a
retry while the first still runs answers 409.
"""

TAGS = [
    {"name": "auth", "description": "Sign-in and your own account (登录与账号)"},
    {"name": "tasks", "description": "Your to-do inbox: what awaits you now (待办事项)"},
    {"name": "organisations", "description": "Departments and subordinate units (部门与所属单位)"},
    {"name": "users", "description": "User accounts and roles (用户与角色)"},
    {
        "name": "fiscal-years",
        "description": "Fiscal years and rule parameters (预算年度与规则参数)",
    },
    {
        "name": "indicators",
        "description": "Common indicator framework and department libraries (绩效指标体系, S2.2.1)",
    },
    {
        "name": "budget-items",
        "description": "Budget items, review and decisions (预算项目, S1.1, S3)",
    },
    {"name": "targets", "description": "Performance targets and filing checks (绩效目标, S2.2.2)"},
    {"name": "assessments", "description": "Ex-ante performance assessment (事前绩效评估, S2.1)"},
    {"name": "congress", "description": "Targets sent to the People's Congress (报送人大, S2.2.2)"},
    {
        "name": "payments",
        "description": "Spending plans, disbursements and payment holds (拨款, S2.3.2)",
    },
    {
        "name": "monitoring-overview",
        "description": "The bureau's monitoring overview, compliance and review queue (S2.3, S3)",
    },
    {
        "name": "monitoring",
        "description": "Monthly dual monitoring and its lights (绩效运行监控, S2.3.1)",
    },
    {
        "name": "rectifications",
        "description": "Rectification orders and their verification (整改, S2.3.2)",
    },
    {"name": "disclosure", "description": "Publishing targets and results (信息公开, S4.4)"},
    {
        "name": "public",
        "description": "Anonymous read-only published targets, results, circulars (S4.4)",
    },
    {
        "name": "evaluations",
        "description": "Self-evaluation, finance's check and grading, third parties (绩效评价, "
        "S2.4)",
    },
    {
        "name": "results",
        "description": "Use of results, department assessment, circular (结果运用、考核通报, "
        "S2.5, S3)",
    },
    {
        "name": "accountability",
        "description": "Referrals and accountability requests (监督问责, S4.3)",
    },
    {
        "name": "events",
        "description": "Signed events for other county systems: subscriptions, outbox, "
        "delivery log (事件推送)",
    },
    {
        "name": "imports",
        "description": "Batch uploads (CSV, XLSX, JSON) and their Excel templates (批量导入)",
    },
    {"name": "audit", "description": "Tamper-evident audit trail (安全审计)"},
    {"name": "meta", "description": "Enums and labels for front ends"},
    {"name": "health", "description": "Liveness and readiness"},
]

# One router per workflow stage (and the platform's own).
ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    tasks_router,
    orgs_router,
    users_router,
    fiscal_years_router,
    indicators_router,
    budget_items_router,
    targets_router,
    assessments_router,
    congress_router,
    payments_router,
    overview_router,
    monitoring_router,
    disclosure_router,
    disclosure_public_router,
    evaluations_router,
    results_router,
    accountability_router,
    events_router,
    imports_router,
    audit_router,
    refusals_router,
    meta_router,
    health_router,
)

PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/api/v1/auth/token",
        "/api/v1/meta/enums",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        # the public's read-only disclosure (S4.4)
        "/public/v1/organisations",
        "/public/v1/fiscal-years/{year}/targets",
        "/public/v1/fiscal-years/{year}/results",
        "/public/v1/fiscal-years/{year}/circular",
        "/public/v1/publications/{public_id}",
        "/public/v1/open-data/{year}/{kind}.json",
        "/public/v1/open-data/{year}/{kind}.csv",
    }
)


def _summaries_from_docstrings(router: APIRouter) -> None:
    """A route's one-line docstring is its OpenAPI summary (client generators show it)."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.summary is None and route.description:
            route.summary = route.description.strip().splitlines()[0]


@cache  # once per process: each uvicorn worker runs its own lifespan; tests start many apps
def _freeze_start_up_objects() -> None:
    # Routes, schemas and mappers live as long as the process; frozen, they are no longer walked
    # by every generation-2 collection, which made the compliance listing's p95 tail
    # (bench/RESULTS.md: ≈ 160 ms against a ≈ 50 ms median).
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    _freeze_start_up_objects()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    settings.signing_key()  # fail at start, not at first sign-in, if no secret can be had
    app = FastAPI(
        title="perfbudget",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    install_error_handlers(app)
    app.state.record_refusal = record_refusal  # db's transaction leaves a refused write's record
    for router in ROUTERS:
        _summaries_from_docstrings(router)
        app.include_router(router)
    install_docs(app)
    install_contract(
        app, (route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute))
    )
    # innermost: request id, language and the body limit apply before a key is claimed
    app.add_middleware(IdempotencyMiddleware, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            # what a browser client may read: downloads' names, versions, language, retries
            expose_headers=[
                "Content-Disposition",
                "ETag",
                "X-Request-ID",
                "Idempotent-Replay",
                "Retry-After",
                "Content-Language",
            ],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_json_bytes=settings.max_json_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    install_metrics(app, settings)  # outermost: it times and counts all of the above
    return app
