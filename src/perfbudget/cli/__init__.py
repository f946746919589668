"""The ``perfbudget`` command: serve, db, demo, users, events, maintenance, reminders,
openapi."""

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from perfbudget.cli import commands as run
from perfbudget.config import PROJECT_ROOT

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

OPENAPI_PATH = PROJECT_ROOT / "openapi" / "openapi.json"


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


def _serve(commands: "Subparsers") -> None:
    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=run.cmd_serve)


def _db(commands: "Subparsers") -> None:
    db = commands.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", required=True
    )
    upgrade = db.add_parser("upgrade", help="migrate to a revision (default head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=run.cmd_db_upgrade)
    downgrade = db.add_parser("downgrade", help="migrate down to a revision")
    downgrade.add_argument("revision")
    downgrade.set_defaults(func=run.cmd_db_downgrade)
    dump = db.add_parser("backup", help="back the database up to a file (pg_dump, or SQLite's)")
    dump.add_argument("output", help="the backup file to write (never overwritten)")
    dump.set_defaults(func=run.cmd_db_backup)
    load = db.add_parser("restore", help="restore a backup into an empty database")
    load.add_argument("backup", help="a file written by 'perfbudget db backup'")
    load.set_defaults(func=run.cmd_db_restore)


def _demo(commands: "Subparsers") -> None:
    demo = commands.add_parser("demo", help="demo data").add_subparsers(
        dest="demo_command", required=True
    )
    demo.add_parser("load", help="load the demo county").set_defaults(func=run.cmd_demo_load)


def _users(commands: "Subparsers") -> None:
    from perfbudget.principal import Role

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
    create.set_defaults(func=run.cmd_users_create)


def _events(commands: "Subparsers") -> None:
    events = commands.add_parser("events", help="events for other systems").add_subparsers(
        dest="events_command", required=True
    )
    deliver = events.add_parser("deliver", help="post due events to their subscribers")
    deliver.add_argument("--once", action="store_true", help="one batch, then exit")
    deliver.add_argument("--batch", type=int, default=100, help="deliveries per transaction")
    deliver.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    deliver.set_defaults(func=run.cmd_events_deliver)


def _maintenance(commands: "Subparsers") -> None:
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
    purge.set_defaults(func=run.cmd_maintenance_purge)


def _reminders(commands: "Subparsers") -> None:
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
    remind.set_defaults(func=run.cmd_reminders_run)


def _overview(commands: "Subparsers") -> None:
    overview = commands.add_parser(
        "overview", help="the monitoring overview's read model (item_month_figures)"
    ).add_subparsers(dest="overview_command", required=True)
    rebuild_help = (
        "recompute the read model from the reports, spending plans and payments (after a "
        "restore, or a deploy that ran old code on the new schema)"
    )
    rebuild = overview.add_parser("rebuild", help=rebuild_help, description=rebuild_help)
    rebuild.add_argument("--year", type=int, help="one fiscal year (default: every year)")
    rebuild.set_defaults(func=run.cmd_overview_rebuild)
    check_help = "fail (exit 1) if the read model differs from its recomputation, and say where"
    check = overview.add_parser("check", help=check_help, description=check_help)
    check.set_defaults(func=run.cmd_overview_check)


def _openapi(commands: "Subparsers") -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfbudget", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (
        _serve,
        _db,
        _demo,
        _users,
        _events,
        _maintenance,
        _reminders,
        _overview,
        _openapi,
    ):
        group(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import perfbudget.models  # noqa: F401 - every table mapped before any command writes

    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
