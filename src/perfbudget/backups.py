"""Backup and restore of the whole database (docs/deployment.md, "Backups").

PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken while the service
runs) and ``pg_restore --single-transaction`` into an empty database, so a failed restore
leaves nothing half-loaded. SQLite: the online backup API, page by page, consistent while
writers work. The attachments directory is copied after the dump (its files outlive their
rows until the purge), so every attachment row in the dump has its file.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, make_url
from sqlalchemy.engine import URL

from perfbudget.db import make_engine


class BackupRefused(Exception):
    """The backup or restore cannot run as asked (said in plain words to the operator)."""


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, which goes in PGPASSWORD instead (a
    command line is visible to every user of the host)."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupRefused(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def backup(database_url: str, output: Path) -> None:
    url = make_url(database_url)
    if output.exists():
        raise BackupRefused(f"{output} exists: a backup never overwrites a file")
    if url.get_backend_name() == "postgresql":
        connection, env = _libpq(url)
        dump = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        _run([*dump, f"--file={output}", f"--dbname={connection}"], env)
        return
    source = sqlite3.connect(_sqlite_path(url))
    target = sqlite3.connect(output)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def restore(database_url: str, backup_file: Path) -> None:
    """Into an empty database only: a restore never merges into live data."""
    if not backup_file.is_file():
        raise BackupRefused(f"{backup_file} is not a file")
    url = make_url(database_url)
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupRefused(
            f"the database has {len(tables)} tables: restore into a new, empty database"
        )
    if url.get_backend_name() == "postgresql":
        connection, env = _libpq(url)
        load = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error"]
        _run([*load, "--single-transaction", f"--dbname={connection}", str(backup_file)], env)
        return
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(_sqlite_path(url))
    try:
        source.backup(target)
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{backup_file} is not a SQLite backup ({exc})") from exc
    finally:
        target.close()
        source.close()
