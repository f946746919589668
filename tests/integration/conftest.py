"""The idempotency tests use the shared ``idempotency_in_test_transaction`` fixture
(tests/conftest.py)."""
