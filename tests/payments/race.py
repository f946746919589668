"""Helpers for the concurrent-disbursement test: a committed funded item in a database of
its own, and a race of threads each with its own session and connection."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from perfbudget.auth.deps import actor_for
from perfbudget.budget_items import decisions as item_decisions
from perfbudget.budget_items import preparation as item_preparation
from perfbudget.budget_items import review as item_review
from perfbudget.budget_items.schemas import BudgetDecisionRequest, BudgetItemCreate
from perfbudget.config import get_settings
from perfbudget.db import make_engine
from perfbudget.demo.loader import load_demo
from perfbudget.errors import DomainError
from perfbudget.payments import service as payment_service
from perfbudget.payments.schemas import DisbursementCreate
from perfbudget.principal import RequestMeta
from perfbudget.targets import service as target_service
from perfbudget.targets.schemas import TargetReview, TargetSetWrite
from perfbudget.users import repository as user_repository
from tests.budget_items.conftest import valid_lines
from tests.conftest import alembic_config
from tests.isolated import fresh_database_url


def _actor(session: Session, username: str):  # type: ignore[no-untyped-def]
    user = user_repository.get_by_username(session, username)
    assert user is not None
    return actor_for(user, RequestMeta())


@contextmanager
def funded_item_in_fresh_database(tmp_path: Path) -> Iterator[tuple[Engine, int]]:
    with fresh_database_url(tmp_path, "race") as url:
        command.upgrade(alembic_config(url), "head")
        engine = make_engine(url)
        try:
            with Session(engine) as session, session.begin():
                load_demo(session, get_settings(), workflow=False)
            with Session(engine) as session, session.begin():
                department, finance = _actor(session, "department"), _actor(session, "finance")
                org = user_repository.get_by_username(session, "department")
                assert org is not None and org.organisation_id is not None
                item = item_preparation.create_item(
                    session,
                    department,
                    BudgetItemCreate(
                        fiscal_year=2027,
                        organisation_id=org.organisation_id,
                        name="并发拨款",
                        kind="project",
                        requested_amount=Decimal("1000000.00"),
                    ),
                )
                target_service.write_targets(
                    session,
                    department,
                    item.id,
                    TargetSetWrite.model_validate({"overall_goal": "目标", "lines": valid_lines()}),
                    None,
                )
                item_review.submit_item(session, department, item.id, item.version)
                current = target_service.current_set(session, finance, item.id)
                target_service.finance_review(
                    session,
                    finance,
                    item.id,
                    TargetReview(decision="approve", version=current.version),
                    current.version,
                )
                item_decisions.decide(
                    session,
                    finance,
                    item.id,
                    BudgetDecisionRequest(
                        decision="fund", approved_amount=Decimal("1000000.00"), version=item.version
                    ),
                    item.version,
                )
                item_id = item.id
            yield engine, item_id
        finally:
            engine.dispose()


def race(engine: Engine, item_id: int, amounts: list[Decimal]) -> list[str]:
    barrier = threading.Barrier(len(amounts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def pay(amount: Decimal) -> None:
        with Session(engine) as session:
            finance = _actor(session, "finance")
            session.commit()
            barrier.wait()
            try:
                with session.begin():
                    payment_service.record_disbursement(
                        session,
                        finance,
                        item_id,
                        DisbursementCreate(amount=amount, paid_on=date(2027, 5, 1), purpose="并发"),
                    )
                outcome = "ok"
            except DomainError as refused:
                outcome = refused.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=pay, args=(amount,)) for amount in amounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
