"""The ``perfbudget`` command: serve, db, demo, users, events, maintenance, reminders,
openapi."""

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from perfbudget.config import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from alembic.config import Config

OPENAPI_PATH = PROJECT_ROOT / "openapi" / "openapi.json"


def _alembic_config() -> "Config":
    from alembic.config import Config

    config = Config(str(get_settings().alembic_ini))
    config.set_main_option("sqlalchemy.url", get_settings().database_url)
    return config


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from perfbudget.metrics.requests import clear_multiprocess_dir

    clear_multiprocess_dir()
    uvicorn.run(
        "perfbudget.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        log_config=None,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from alembic import command

    command.upgrade(_alembic_config(), args.revision)
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    from alembic import command

    command.downgrade(_alembic_config(), args.revision)
    return 0


def cmd_db_backup(args: argparse.Namespace) -> int:
    from perfbudget.backups import backup

    return _backup_step(
        lambda: backup(get_settings().database_url, Path(args.output)), f"wrote {args.output}"
    )


def cmd_db_restore(args: argparse.Namespace) -> int:
    from perfbudget.backups import restore

    return _backup_step(
        lambda: restore(get_settings().database_url, Path(args.backup)),
        f"restored {args.backup}: check it with GET /api/v1/audit-events/verify",
    )


def _backup_step(step: "Callable[[], None]", done: str) -> int:
    from perfbudget.backups import BackupRefused

    try:
        step()
    except BackupRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(done)
    return 0


def cmd_demo_load(args: argparse.Namespace) -> int:
    from perfbudget.db import get_sessionmaker
    from perfbudget.demo.calendar import DemoCalendar
    from perfbudget.demo.loader import DemoRefused, load_demo

    calendar = DemoCalendar.now()
    try:
        with get_sessionmaker().begin() as session:
            loaded = load_demo(session, get_settings(), today=calendar.today)
    except DemoRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    if not loaded:
        print("demo county already present")
        return 0
    print(
        f"demo county loaded: {calendar.executing} in execution (months 1–"
        f"{calendar.last_month} over), {calendar.closed} closed, {calendar.preparing} in "
        "preparation"
    )
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from perfbudget.auth.principal import Actor
    from perfbudget.db import get_sessionmaker
    from perfbudget.errors import DomainError
    from perfbudget.orgs import repository as org_repository
    from perfbudget.users import service as user_service
    from perfbudget.users.models import Role
    from perfbudget.users.schemas import UserCreate

    password = os.environ.get("PERFBUDGET_NEW_PASSWORD") or getpass.getpass("Initial password: ")
    try:
        with get_sessionmaker().begin() as session:
            org_id = None
            if args.org_code:
                org = org_repository.get_by_code(session, args.org_code)
                if org is None:
                    print(f"no organisation with code {args.org_code}", file=sys.stderr)
                    return 2
                org_id = org.id
            user = user_service.create_user(
                session,
                Actor.system("cli"),
                UserCreate(
                    username=args.username,
                    display_name=args.display_name or args.username,
                    role=Role(args.role),
                    organisation_id=org_id,
                    initial_password=password,
                ),
                must_change_password=not args.no_password_change,
            )
            print(f"created user {user.username} (id {user.id}, role {user.role.value})")
    except DomainError as exc:
        print(f"{exc.code}: {exc.en}", file=sys.stderr)
        return 2
    return 0


def cmd_events_deliver(args: argparse.Namespace) -> int:
    import time

    from perfbudget.db import get_sessionmaker
    from perfbudget.events.delivery import deliver_due, new_client

    with new_client() as client:
        try:
            while True:
                with get_sessionmaker().begin() as session:
                    run = deliver_due(session, client, batch=args.batch)
                if run.processed:
                    print(
                        f"delivered {run.delivered}, retrying {run.retrying}, failed {run.failed}",
                        flush=True,
                    )
                if args.once:
                    return 0
                if run.processed < args.batch:  # caught up: wait for new events
                    time.sleep(args.interval)
        except KeyboardInterrupt:
            return 0


def cmd_maintenance_purge(args: argparse.Namespace) -> int:
    from perfbudget.db import get_sessionmaker
    from perfbudget.logging_config import configure_logging
    from perfbudget.maintenance import service as maintenance

    settings = get_settings()
    configure_logging(settings.log_level)
    retention = maintenance.Retention.of(
        settings, args.outbox_retention_days, args.attachment_grace_hours
    )
    with get_sessionmaker()() as session:
        purged = maintenance.purge(
            session, settings.attachments_dir, retention, dry_run=args.dry_run, batch=args.batch
        )
    counts = " ".join(f"{name}={count}" for name, count in vars(purged).items())
    print(f"{'would remove' if args.dry_run else 'removed'} {counts}")
    return 0


def cmd_reminders_run(args: argparse.Namespace) -> int:
    from perfbudget.db import get_sessionmaker
    from perfbudget.logging_config import configure_logging
    from perfbudget.reminders import service as reminders

    configure_logging(get_settings().log_level)
    with get_sessionmaker()() as session:
        sent = reminders.run(session, today=args.today, dry_run=args.dry_run, batch=args.batch)
    counts = " ".join(f"{kind}={count}" for kind, count in sent.as_dict().items())
    print(f"{sent.day.isoformat()}: {'would send' if args.dry_run else 'sent'} {counts}")
    return 0


def cmd_overview_rebuild(args: argparse.Namespace) -> int:
    from perfbudget.db import get_sessionmaker
    from perfbudget.overview import month_figures

    with get_sessionmaker()() as session, session.begin():
        written = month_figures.rebuild(session, args.year)
    print(f"rebuilt item_month_figures: {written} rows ({args.year or 'every fiscal year'})")
    return 0


def cmd_overview_check(args: argparse.Namespace) -> int:
    from perfbudget.db import get_sessionmaker
    from perfbudget.overview import month_figures

    with get_sessionmaker()() as session:
        drifts = month_figures.check(session)
    for drift in drifts:
        print(
            f"{drift.year}: {len(drift.missing)} rows as recomputed are not stored, "
            f"{len(drift.stale)} stored rows are not as recomputed; first: "
            f"{(drift.missing or drift.stale)[0]}"
        )
    if drifts:
        print("the read model drifted: run `perfbudget overview rebuild`")
        return 1
    print("item_month_figures equals its recomputation")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a date, YYYY-MM-DD") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def openapi_document() -> str:
    from perfbudget.main import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def cmd_openapi_export(args: argparse.Namespace) -> int:
    Path(args.output).write_text(openapi_document(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def cmd_openapi_check(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if not path.exists() or path.read_text(encoding="utf-8") != openapi_document():
        print(f"{path} is stale: run 'perfbudget openapi export'", file=sys.stderr)
        return 1
    print(f"{path} is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from perfbudget.users.models import Role

    parser = argparse.ArgumentParser(prog="perfbudget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    db = commands.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True
    )
    upgrade = db.add_parser("upgrade", help="migrate to a revision (default head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=cmd_db_upgrade)
    downgrade = db.add_parser("downgrade", help="migrate down to a revision")
    downgrade.add_argument("revision")
    downgrade.set_defaults(func=cmd_db_downgrade)
    dump = db.add_parser("backup", help="back the database up to a file (pg_dump, or SQLite's)")
    dump.add_argument("output", help="the backup file to write (never overwritten)")
    dump.set_defaults(func=cmd_db_backup)
    load = db.add_parser("restore", help="restore a backup into an empty database")
    load.add_argument("backup", help="a file written by 'perfbudget db backup'")
    load.set_defaults(func=cmd_db_restore)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(
        dest="demo_command", required=True
    )
    demo.add_parser("load", help="load the demo county").set_defaults(func=cmd_demo_load)

    users = commands.add_parser("users", help="accounts").add_subparsers(
        dest="users_command", required=True
    )
    create = users.add_parser(
        "create", help="create an account (password from PERFBUDGET_NEW_PASSWORD or a prompt)"
    )
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=[role.value for role in Role])
    create.add_argument("--display-name")
    create.add_argument("--org-code", help="organisation code (required for department users)")
    create.add_argument(
        "--no-password-change", action="store_true", help="do not force a change at first login"
    )
    create.set_defaults(func=cmd_users_create)

    events = commands.add_parser("events", help="events for other systems").add_subparsers(
        dest="events_command", required=True
    )
    deliver = events.add_parser("deliver", help="post due events to their subscribers")
    deliver.add_argument("--once", action="store_true", help="one batch, then exit")
    deliver.add_argument("--batch", type=int, default=100, help="deliveries per transaction")
    deliver.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    deliver.set_defaults(func=cmd_events_deliver)

    maintenance = commands.add_parser("maintenance", help="jobs for cron").add_subparsers(
        dest="maintenance_command", required=True
    )
    purge = maintenance.add_parser(
        "purge",
        help="remove delivered events, expired idempotency records and unreferenced files "
        "(idempotent; safe on several hosts at once)",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    purge.add_argument(
        "--outbox-retention-days",
        type=_positive,
        help="keep delivered events this long (default PERFBUDGET_OUTBOX_RETENTION_DAYS, 90)",
    )
    purge.add_argument(
        "--attachment-grace-hours",
        type=_positive,
        help="remove an unreferenced file only this old (default "
        "PERFBUDGET_ATTACHMENT_GRACE_HOURS, 24)",
    )
    purge.add_argument("--batch", type=_positive, default=500, help="rows per transaction")
    purge.set_defaults(func=cmd_maintenance_purge)

    reminders = commands.add_parser(
        "reminders", help="reminders for a county messaging system"
    ).add_subparsers(dest="reminders_command", required=True)
    remind_help = (
        "write outbox events for monthly reports and rectifications due soon (once per due "
        "date, from the fiscal year's reminder_lead_days before it) or overdue (once a day "
        "while overdue, so the messaging system repeats the warning daily); idempotent per "
        "day, safe on several hosts at once"
    )
    remind = reminders.add_parser("run", help=remind_help, description=remind_help)
    remind.add_argument("--dry-run", action="store_true", help="count, send nothing")
    remind.add_argument(
        "--today",
        type=_day,
        help="the county day to remind for, YYYY-MM-DD (default: today, Beijing time), "
        "against the records as they stand now",
    )
    remind.add_argument("--batch", type=_positive, default=500, help="items per transaction")
    remind.set_defaults(func=cmd_reminders_run)

    overview = commands.add_parser(
        "overview", help="the monitoring overview's read model (item_month_figures)"
    ).add_subparsers(dest="overview_command", required=True)
    rebuild_help = (
        "recompute the read model from the reports, spending plans and payments (after a "
        "restore, or a deploy that ran old code on the new schema)"
    )
    rebuild = overview.add_parser("rebuild", help=rebuild_help, description=rebuild_help)
    rebuild.add_argument("--year", type=int, help="one fiscal year (default: every year)")
    rebuild.set_defaults(func=cmd_overview_rebuild)
    check_help = "fail (exit 1) if the read model differs from its recomputation, and say where"
    check = overview.add_parser("check", help=check_help, description=check_help)
    check.set_defaults(func=cmd_overview_check)

    openapi = commands.add_parser("openapi", help="the OpenAPI contract").add_subparsers(
        dest="openapi_command", required=True
    )
    for name, func, help_text in (
        ("export", cmd_openapi_export, "write openapi/openapi.json"),
        ("check", cmd_openapi_check, "fail if openapi/openapi.json is stale"),
    ):
        sub = openapi.add_parser(name, help=help_text)
        sub.add_argument("--output", default=str(OPENAPI_PATH))
        sub.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import perfbudget.models  # noqa: F401 - every table mapped before any command writes

    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
