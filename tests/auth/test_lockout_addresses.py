"""The lockout counts per name as typed and client address: it cannot tell a real name from
an unknown one, and nobody can lock a real user out from everywhere (issue 12)."""

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from perfbudget import clock
from perfbudget.auth import passwords
from perfbudget.config import get_settings
from perfbudget.demo.loader import DEMO_PASSWORD
from tests.auth.conftest import as_seen
from tests.auth.test_login import WRONG_PASSWORD, lock, sign_in, travel
from tests.problems import assert_problem

UNKNOWN = "nobody-here"
FromAddress = Callable[[str], TestClient]


@pytest.fixture
def from_address(app: FastAPI, client: TestClient) -> Iterator[FromAddress]:
    """``from_address("10.0.0.9")``: a client at that address, on the test's transaction."""
    made: list[TestClient] = []

    def make(address: str) -> TestClient:
        made.append(TestClient(app, raise_server_exceptions=False, client=(address, 50000)))
        return made[-1]

    yield make
    for other in made:
        other.close()


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's clock stands still, so that Retry-After can be compared exactly."""
    moment = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: moment)


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each hash was verified against (the dummy hash for an unknown name)."""
    real_hasher = passwords._hasher
    counts: Counter[str] = Counter()

    class SpyHasher:
        def verify(self, password_hash: str, password: str) -> bool:
            counts[password_hash] += 1
            return real_hasher.verify(password_hash, password)

        def check_needs_rehash(self, password_hash: str) -> bool:
            return real_hasher.check_needs_rehash(password_hash)

    monkeypatch.setattr(passwords, "_hasher", SpyHasher())
    return counts


def test_a_real_name_and_an_unknown_one_answer_alike_through_the_lock(
    client, user, frozen, verified
):
    codes = []
    for _ in range(6):
        real = sign_in(client, user.username, WRONG_PASSWORD)
        unknown = sign_in(client, UNKNOWN, WRONG_PASSWORD)
        assert as_seen(real) == as_seen(unknown)
        codes.append(real.json()["code"])
    # the right password changes nothing while the name is locked
    right = sign_in(client, user.username, DEMO_PASSWORD)
    assert as_seen(right) == as_seen(sign_in(client, UNKNOWN, DEMO_PASSWORD))

    assert codes == ["INVALID_CREDENTIALS"] * 4 + ["ACCOUNT_LOCKED"] * 2
    assert right.headers["Retry-After"] == "900"
    # the same cost: five Argon2 verifications each, none once locked
    assert verified == {user.password_hash: 5, passwords._DUMMY_HASH: 5}


def test_failures_from_one_address_do_not_lock_the_user_out_of_another(
    client, auth, user, from_address
):
    attacker, office = from_address("203.0.113.7"), from_address("10.0.0.9")
    lock(attacker, user.username)
    assert_problem(sign_in(attacker, user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED")

    assert sign_in(office, user.username, DEMO_PASSWORD).status_code == 200
    # the office's success lifts nothing at the attacker's address
    assert_problem(sign_in(attacker, user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED")
    # administrators see that a lock holds on the account
    account = client.get(f"/api/v1/users/{user.id}", headers=auth("admin")).json()
    assert account["locked_until"] is not None


def test_an_unknown_name_is_locked_from_one_address_only_too(from_address):
    attacker, other = from_address("203.0.113.7"), from_address("198.51.100.4")
    lock(attacker, UNKNOWN)

    assert_problem(sign_in(other, UNKNOWN, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")


def test_the_name_is_counted_as_typed_whatever_its_case_and_spaces(client, user):
    for typed in ("FINANCE", " finance", "Finance ", "finance"):
        assert_problem(sign_in(client, typed, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert user.username == "finance"

    assert_problem(sign_in(client, "fInAnCe", WRONG_PASSWORD), 401, "ACCOUNT_LOCKED")


def spread_failures(
    from_address: FromAddress, username: str, addresses: int, network: str = "203.0.113"
) -> list[str]:
    """Four wrong passwords (one short of an address's lock) from each of ``addresses``."""
    codes = []
    for n in range(addresses):
        attacker = from_address(f"{network}.{n + 1}")
        codes += [sign_in(attacker, username, WRONG_PASSWORD).json()["code"] for _ in range(4)]
    return codes


@pytest.fixture
def account_threshold(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(get_settings(), "account_lockout_threshold", 12)
    return 12


def test_many_failures_from_all_addresses_lock_the_name_but_not_at_its_usual_address(
    client, auth, user, from_address, account_threshold, frozen
):
    home = from_address("10.0.0.9")
    assert sign_in(home, user.username, DEMO_PASSWORD).status_code == 200

    real = spread_failures(from_address, user.username, 3)
    unknown = spread_failures(from_address, UNKNOWN, 3)

    assert real == unknown == ["INVALID_CREDENTIALS"] * 11 + ["ACCOUNT_LOCKED"]
    elsewhere = from_address("198.51.100.4")
    refused = sign_in(elsewhere, user.username, DEMO_PASSWORD)
    assert as_seen(refused) == as_seen(sign_in(elsewhere, UNKNOWN, DEMO_PASSWORD))
    assert_problem(refused, 401, "ACCOUNT_LOCKED")
    assert refused.headers["Retry-After"] == "900"
    # the address the user signed in from before is spared, mistakes and all
    assert_problem(sign_in(home, user.username, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert sign_in(home, user.username, DEMO_PASSWORD).status_code == 200
    events = client.get(
        "/api/v1/audit-events",
        params={"action": "auth.account_locked", "limit": 2},
        headers=auth("finance"),
    ).json()["items"]
    assert [event["changes"] for event in events] == [
        {"failed_login_count": 12, "scope": "account"}
    ] * 2
    assert [event["entity_id"] for event in events] == [None, str(user.id)]


def test_the_account_wide_lock_runs_out(user, from_address, account_threshold, monkeypatch):
    spread_failures(from_address, user.username, 3)
    elsewhere = from_address("198.51.100.4")
    assert_problem(sign_in(elsewhere, user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED")

    travel(monkeypatch, timedelta(minutes=16))
    assert sign_in(elsewhere, user.username, DEMO_PASSWORD).status_code == 200


def test_failures_count_account_wide_within_one_lock_window_only(
    user, from_address, account_threshold, monkeypatch
):
    assert spread_failures(from_address, user.username, 2) == ["INVALID_CREDENTIALS"] * 8
    travel(monkeypatch, timedelta(minutes=16))

    codes = spread_failures(from_address, user.username, 3, network="198.18.0")

    assert codes == ["INVALID_CREDENTIALS"] * 11 + ["ACCOUNT_LOCKED"]


def test_admin_unlock_lifts_every_lock_on_the_name(
    client, auth, user, from_address, account_threshold
):
    home, attacker = from_address("10.0.0.9"), from_address("192.0.2.1")
    assert sign_in(home, user.username, DEMO_PASSWORD).status_code == 200
    lock(attacker, user.username)  # five failures: the attacker's address is locked
    spread_failures(from_address, user.username, 2)  # seven more: the name is, account-wide
    elsewhere = from_address("198.51.100.4")
    assert_problem(sign_in(elsewhere, user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED")
    locked = client.get(f"/api/v1/users/{user.id}", headers=auth("admin")).json()
    assert locked["locked_until"] is not None

    unlocked = client.post(
        f"/api/v1/users/{user.id}/unlock",
        json={"version": locked["version"]},
        headers=auth("admin"),
    )

    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked_until"] is None
    for anywhere in (attacker, elsewhere, home):
        assert sign_in(anywhere, user.username, DEMO_PASSWORD).status_code == 200
    # the addresses signed in from are still known: a new account-wide lock spares them
    assert spread_failures(from_address, user.username, 3)[-1] == "ACCOUNT_LOCKED"
    assert sign_in(home, user.username, DEMO_PASSWORD).status_code == 200
    assert_problem(
        sign_in(from_address("198.51.100.77"), user.username, DEMO_PASSWORD), 401, "ACCOUNT_LOCKED"
    )
