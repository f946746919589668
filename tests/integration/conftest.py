import pytest
from sqlalchemy.orm import Session

from perfbudget.integration import idempotency


@pytest.fixture
def idempotency_in_test_transaction(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The middleware's own sessions join the test's connection through savepoints, so its
    records roll back with the test (on SQLite a second writer would wait for the test's lock);
    test_idempotency_commit.py covers the real, separate commit."""
    connection = db.get_bind()

    def new_session() -> Session:
        return Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )

    monkeypatch.setattr(idempotency, "new_session", new_session)
