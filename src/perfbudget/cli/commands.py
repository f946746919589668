"""What each ``perfbudget`` command does (``perfbudget.cli`` parses the arguments): serve, db,
demo, users, events, maintenance, reminders, overview."""

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from perfbudget.config import get_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from alembic.config import Config


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
    from perfbudget.db import get_sessionmaker
    from perfbudget.errors import DomainError
    from perfbudget.orgs import repository as org_repository
    from perfbudget.principal import Actor, Role
    from perfbudget.users import service as user_service
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
