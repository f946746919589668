"""The overview's heavy statements with and without the `scale` migration's indexes.

    python -m bench.explain --database-url URL [--year 2025 --month 12]

On a generated county (``bench.generate``), compiles the overview's three heavy aggregates
from ``overview.repository`` for the month, times each (median of 9) and prints its plan
(``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL); then drops the indexes the
migration added, restores the ones it replaced, and does the same again, inside a
transaction that is rolled back: the database is left as it was.
"""

import argparse
import dataclasses
import os
import statistics
import sys
import time
from typing import Any

ADDED = (
    "ix_budget_items_year_owner",
    "ix_monitoring_reports_item_month_state",
    "ix_disbursements_item_paid_amount",
)
REPLACED = (
    "CREATE INDEX ix_budget_items_fiscal_year_id ON budget_items (fiscal_year_id)",
    "CREATE INDEX ix_disbursements_item_id ON disbursements (item_id)",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.explain", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--year", type=int, help="Default: the year being executed")
    parser.add_argument("--month", type=int, default=12)
    args = parser.parse_args(argv)
    os.environ["PERFBUDGET_DATABASE_URL"] = args.database_url
    os.environ.setdefault("PERFBUDGET_SECRET_KEY", "bench-explain-" + "x" * 40)

    from sqlalchemy import event, text
    from sqlalchemy.orm import Session

    import perfbudget.models  # noqa: F401 - every table registered on the metadata
    from perfbudget.auth.principal import Actor
    from perfbudget.db import make_engine
    from perfbudget.overview import repository, service
    from perfbudget.users.models import Role

    engine = make_engine(args.database_url)
    postgres = engine.dialect.name == "postgresql"
    finance = dataclasses.replace(Actor.system("bench"), role=Role.finance)
    compiled: list[Any] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(*arguments: Any) -> None:
        compiled.append(arguments[4].compiled)

    with Session(engine) as session:
        year = args.year or session.scalar(
            text("SELECT max(year) FROM fiscal_years WHERE status = 'executing'")
        )
        scope, _ = service._month(session, int(year), args.month)
        statements = {}
        for aggregate in (
            repository.item_figures,
            repository.disbursed,
            repository.open_rectifications,
        ):
            compiled.clear()
            aggregate(session, finance, scope)
            statements[aggregate.__name__] = str(
                compiled[-1].statement.compile(engine, compile_kwargs={"literal_binds": True})
            )
        event.remove(engine, "before_cursor_execute", capture)
        connection = session.connection()

        def show(title: str) -> None:
            print(f"## {title}")
            for name, sql in statements.items():
                samples = []
                for _ in range(9):
                    started = time.perf_counter()
                    connection.execute(text(sql)).all()
                    samples.append((time.perf_counter() - started) * 1000)
                print(f"{name}: median {statistics.median(samples):.1f} ms")
                explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
                for row in connection.execute(text(explain + sql)):
                    print("    " + str(row[0] if postgres else row[-1]).strip())

        show(f"{engine.dialect.name}, {year}-{args.month:02d}: with the scale migration's indexes")
        for name in ADDED:
            connection.execute(text(f"DROP INDEX {name}"))
        for statement in REPLACED:
            connection.execute(text(statement))
        connection.execute(text("ANALYZE"))
        show("before: the indexes the scale migration replaced")
        session.rollback()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
