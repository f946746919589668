"""Throughput with two uvicorn workers against one, on PostgreSQL (issue 7, P6).

    python -m bench.workers --database-url postgresql+psycopg://… [--seconds 10 --threads 6]

Runs ``bench.generate`` first when the database holds no organisations. Starts the real
application twice on 127.0.0.1 (free ports, log level warning): ``--workers 1`` and
``--workers 2``. The same client load (httpx, ``--threads`` keep-alive clients in this
process, loopback only) asks each for ``GET /api/v1/budget-items?limit=100`` signed in as the
generator's finance user, in three alternating rounds and ``--seconds`` in all, and prints the
median requests/s of each and the ratio. Both servers are killed at the end.

The client runs on the same machine and takes CPU of its own: on a 2-core machine two
workers cannot reach 2× (the client, PostgreSQL and both workers share the two cores).
"""

import argparse
import os
import statistics
import sys

from bench.list_page import (
    PAGE,
    ROUNDS,
    app_env,
    ensure_county,
    load,
    sign_in,
    uvicorn_server,
    warm,
)

GOAL = 1.7


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0, help="Load time in all")
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("P6 is measured on PostgreSQL: give a postgresql+psycopg:// URL")
    if args.seconds > 15:
        parser.error("keep the load bounded: --seconds at most 15")

    ensure_county(args.database_url)
    env = app_env(args.database_url)
    path = f"/api/v1/budget-items?limit={PAGE}"
    share = args.seconds / ROUNDS / 2
    with (
        uvicorn_server("perfbudget.main:create_app", env, workers=1) as one,
        uvicorn_server("perfbudget.main:create_app", env, workers=2) as two,
    ):
        headers = sign_in(one)  # the same secret key: the token is good on both
        body = warm(one + path, headers)
        warm(two + path, headers, count=40)  # both workers' first requests
        print(
            f"postgresql: {body['total']} items, page of {PAGE}, {args.threads} client threads, "
            f"{ROUNDS} rounds of {share:.1f} s each, {os.cpu_count()} CPUs"
        )
        one_rates, two_rates = [], []
        for _ in range(ROUNDS):
            one_rates.append(load(one + path, headers, share, args.threads))
            two_rates.append(load(two + path, headers, share, args.threads))
    one_rps, two_rps = statistics.median(one_rates), statistics.median(two_rates)
    ratio = two_rps / one_rps
    print(f"{'uvicorn':<14}{'median req/s':>14}   rounds")
    for name, median, rates in (
        ("--workers 1", one_rps, one_rates),
        ("--workers 2", two_rps, two_rates),
    ):
        print(f"{name:<14}{median:>14.1f}   " + " ".join(f"{rate:.1f}" for rate in rates))
    print(f"ratio {ratio:.2f}× (goal ≥ {GOAL:.1f}×): {'met' if ratio >= GOAL else 'MISSED'}")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
