"""Throughput and CPU per request, two uvicorn workers against one, on PostgreSQL (issue 16, P6).

    python -m bench.workers --database-url postgresql+psycopg://… \\
        [--seconds 24 --connections 8 --threads 1 --path '/api/v1/budget-items?limit=100']

Runs ``bench.generate`` first when the database holds no organisations. Starts the real
application twice on 127.0.0.1 (free ports, log level warning, each in a process group of its
own): ``--workers 1`` and ``--workers 2``. The load generator is ``wrk`` (a C client, one
thread and ``--connections`` keep-alive connections by default, loopback only) sending
``GET --path`` with the generator's finance user's bearer token. After a 1 s warm-up of each
server (wrk too, so that both workers of the second get connections), the two configurations
alternate (1, 2, 1, 2, 1, 2): ``ROUNDS`` rounds each, ``--seconds`` of load in all (whole
seconds per round, wrk's unit). Any response that is not 2xx/3xx, or any socket error,
stops the benchmark with wrk's output. Both servers are killed at the end.

Measured per round, and printed as the median over the rounds of each configuration:

- requests/s: wrk's ``Requests/sec:`` line; wall ms per request is 1000 ÷ requests/s (the
  time the machine takes per request at that concurrency, not the latency, printed too);
- CPU seconds per request, each as a before/after difference around the wrk run, divided by
  the requests wrk counted:
  - the workers: utime + stime from ``/proc/PID/stat`` of every process in the server's
    process group (the uvicorn supervisor and its workers; the supervisor's share is small);
  - PostgreSQL: utime + stime of every process whose ``comm`` is ``postgres`` (postmaster,
    background processes, backends), except the backends (and autovacuum workers) of OTHER
    databases, named in their process title: another job on the machine may be loading
    another database;
  - wrk: ``getrusage(RUSAGE_CHILDREN)`` of this process (wrk is its only child reaped during
    the round; the servers are reaped at the end);
  - total: their sum. The clock tick is ``os.sysconf('SC_CLK_TCK')`` (10 ms at 100 Hz).
- others: the CPU the rest of the machine used meanwhile (busy time in ``/proc/stat`` minus
  the three above), in cores: on a shared machine this is what the benchmark did not get;
  idle: the cores nobody used (idle + iowait in ``/proc/stat``). With idle cores left, the
  configuration is not CPU-bound (e.g. one worker waits on PostgreSQL between its own
  turns on the CPU); steal: the cores a virtual machine's hypervisor took (in neither).

The goal is ≥ 1.7× the requests/s with 2 workers. When missed, the script says whether the
workers' CPU per request stayed flat from 1 to 2 workers (then nothing serialises them: the
second worker does the same work per request, there is just no idle core for it). On
``os.cpu_count()`` cores shared by the workers, PostgreSQL and wrk, the throughput cannot
exceed the CPU ceiling cpu_count ÷ total CPU seconds per request; each configuration is
shown against its own ceiling, and, when other processes (or the hypervisor) took CPU
meanwhile, against the ceiling on the cores they left: (cpu_count − others − steal) ÷ total.

Caveats: ``/proc`` counts CPU in clock ticks, sampled per process: a process that exits
during a round takes its CPU with it, and one that starts during it is counted whole (the
application's connection pool keeps its backends, so in practice the backends stay). A
round of a few seconds has a few hundred ticks per counter. Processes are attributed by
group and name, not by what they did: a PostgreSQL backend of THIS database opened by
someone else would be counted, and so would checkpoints triggered by another job. The run
is on loopback: no network cost is measured. PostgreSQL only, as P6 is specified.
"""

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.list_page import (
    PAGE,
    ROUNDS,
    app_env,
    ensure_county,
    sign_in,
    uvicorn_server,
    warm,
)

GOAL = 1.7
MAX_SECONDS = 30  # load in all; the warm-ups add 2 s
IDLE = 0.25  # cores left idle with 2 workers that say the CPUs were not the limit
FLAT = 0.15  # workers' CPU per request within ±15 % from 1 to 2 workers counts as flat
TICK = os.sysconf("SC_CLK_TCK")
BACKEND_CLIENT = re.compile(r"^(\[local\]|\S+\(\d+\))$")  # "127.0.0.1(38422)" or "[local]"


# --- /proc -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    comm: str
    pgrp: int
    ticks: int  # utime + stime


def read_proc(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            line = stat.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    # utime stime …": comm may hold spaces and parentheses, so split after the last ')'
    comm = line[line.index("(") + 1 : line.rindex(")")]
    fields = line[line.rindex(")") + 2 :].split()
    return Proc(pid, comm, int(fields[2]), int(fields[11]) + int(fields[12]))


def processes() -> list[Proc]:
    found = (read_proc(int(name)) for name in os.listdir("/proc") if name.isdigit())
    return [proc for proc in found if proc is not None]


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as raw:
            return raw.read().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def postgres_database(pid: int) -> str | None:
    """The database a backend or autovacuum worker works on, from its process title
    ("postgres: [15/main: ]user database 127.0.0.1(38422) idle"); None for the others."""
    title = " ".join(cmdline(pid)).split()
    if not title or title[0] != "postgres:":
        return None  # the postmaster keeps its real command line
    words = title[1:]
    if words and words[0].endswith(":"):
        words = words[1:]  # the cluster name (Debian's cluster_name)
    if words[:2] == ["autovacuum", "worker"] and len(words) > 2:
        return words[2]
    if len(words) >= 3 and BACKEND_CLIENT.match(words[2]):
        return words[1]
    return None


def server_group(base: str) -> int:
    """The process group of the uvicorn server listening at ``base`` (started in a session
    of its own by ``uvicorn_server``, so its workers are in the same group)."""
    port = base.rsplit(":", 1)[1]
    for proc in processes():
        argv = cmdline(proc.pid)
        if "uvicorn" in argv and "--port" in argv and argv[argv.index("--port") + 1] == port:
            return proc.pgrp
    raise RuntimeError(f"no uvicorn process for {base}")


def machine_ticks() -> tuple[int, int, int]:
    """Busy, idle and stolen time of all CPUs since boot: user nice system irq softirq (guest
    is in user); idle iowait; steal (taken by the hypervisor of a virtual machine)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq, idle + iowait, steal


@dataclass(frozen=True)
class Sample:
    wall: float
    server: int  # ticks
    postgres: int  # ticks
    children: float  # seconds, getrusage(RUSAGE_CHILDREN)
    machine: int  # busy ticks, all CPUs
    idle: int  # idle ticks, all CPUs
    steal: int  # stolen ticks, all CPUs


def sample(pgrp: int, database: str) -> Sample:
    server = postgres = 0
    for proc in processes():
        if proc.pgrp == pgrp:
            server += proc.ticks
        elif proc.comm == "postgres" and postgres_database(proc.pid) in (None, database):
            postgres += proc.ticks
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, idle, steal = machine_ticks()
    return Sample(
        time.perf_counter(), server, postgres, usage.ru_utime + usage.ru_stime, busy, idle, steal
    )


# --- wrk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wrk:
    requests: int
    rate: float  # Requests/sec
    latency_ms: float  # mean


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, token: str, seconds: int, connections: int, threads: int) -> Wrk:
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
        "--timeout", "10s", "-H", f"Authorization: {token}", url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    out = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}:\n{out}{done.stderr}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    if non_2xx and int(non_2xx.group(1)):
        raise RuntimeError(f"{url}: {non_2xx.group(1)} responses not 2xx/3xx\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:
        raise RuntimeError(f"{url}: socket errors ({errors.group(1)})\n{out}")
    requests = re.search(r"^\s*(\d+) requests in ", out, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.MULTILINE)
    latency = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s|m)\b", out, re.MULTILINE)
    if not (requests and rate and latency) or not int(requests.group(1)):
        raise RuntimeError(f"cannot read wrk's output:\n{out}{done.stderr}")
    return Wrk(
        int(requests.group(1)),
        float(rate.group(1)),
        float(latency.group(1)) * UNITS[latency.group(2)],
    )


# --- a round ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    rate: float  # requests/s (wrk)
    wall_ms: float  # per request: 1000 / rate
    latency_ms: float
    workers_ms: float  # CPU per request
    postgres_ms: float
    wrk_ms: float
    others_cores: float  # the rest of the machine's CPU meanwhile, in cores
    idle_cores: float  # CPU nobody used meanwhile, in cores
    steal_cores: float  # CPU the hypervisor took meanwhile, in cores

    @property
    def total_ms(self) -> float:
        return self.workers_ms + self.postgres_ms + self.wrk_ms


def measured_round(
    url: str, token: str, pgrp: int, database: str, seconds: int, connections: int, threads: int
) -> Round:
    before = sample(pgrp, database)
    result = wrk(url, token, seconds, connections, threads)
    after = sample(pgrp, database)
    n = result.requests
    workers = (after.server - before.server) / TICK
    postgres = (after.postgres - before.postgres) / TICK
    client = after.children - before.children
    machine = (after.machine - before.machine) / TICK
    wall = after.wall - before.wall
    return Round(
        rate=result.rate,
        wall_ms=1000 / result.rate,
        latency_ms=result.latency_ms,
        workers_ms=1000 * workers / n,
        postgres_ms=1000 * postgres / n,
        wrk_ms=1000 * client / n,
        others_cores=max(0.0, machine - workers - postgres - client) / wall,
        idle_cores=(after.idle - before.idle) / TICK / wall,
        steal_cores=(after.steal - before.steal) / TICK / wall,
    )


def median(rounds: list[Round], field: str) -> float:
    return statistics.median(
        round_.total_ms if field == "total_ms" else getattr(round_, field) for round_ in rounds
    )


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=24, help="Load time in all (whole s)")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c")
    parser.add_argument("--threads", type=int, default=1, help="wrk -t")
    parser.add_argument("--path", default=f"/api/v1/budget-items?limit={PAGE}")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql"):
        parser.error("P6 is measured on PostgreSQL: give a postgresql+psycopg:// URL")
    if not 2 * ROUNDS <= args.seconds <= MAX_SECONDS:
        parser.error(f"keep the load bounded: --seconds from {2 * ROUNDS} to {MAX_SECONDS}")
    if not 1 <= args.threads <= args.connections <= 64:
        parser.error("need 1 ≤ --threads ≤ --connections ≤ 64")
    if not args.path.startswith("/"):
        parser.error("--path starts with /")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (apt-get install wrk)")

    from sqlalchemy.engine import make_url

    database = make_url(args.database_url).database or ""
    share = args.seconds // (2 * ROUNDS)
    cpus = os.cpu_count() or 1

    ensure_county(args.database_url)
    env = app_env(args.database_url)
    page = f"/api/v1/budget-items?limit={PAGE}"
    with (
        uvicorn_server("perfbudget.main:create_app", env, workers=1) as one,
        uvicorn_server("perfbudget.main:create_app", env, workers=2) as two,
    ):
        headers = sign_in(one)  # the same secret key: the token is good on both
        token = headers["Authorization"]
        body = warm(one + page, headers)  # checks the county and the page
        warm(two + page, headers)
        groups = {1: server_group(one), 2: server_group(two)}
        sizes = {
            workers: sum(proc.pgrp == pgrp for proc in processes())
            for workers, pgrp in groups.items()
        }
        for base in (one, two):  # every worker's first requests, on every connection
            wrk(base + args.path, token, 1, args.connections, args.threads)
        print(
            f"postgresql {database}: {body['total']} items; GET {args.path} with "
            f"wrk -t {args.threads} -c {args.connections}; {ROUNDS} rounds of {share} s per "
            f"configuration, alternating; {cpus} CPUs (os.cpu_count); clock tick "
            f"{1000 / TICK:g} ms; server processes: {sizes[1]} (--workers 1), "
            f"{sizes[2]} (--workers 2)",
            flush=True,
        )
        rounds: dict[int, list[Round]] = {1: [], 2: []}
        for number in range(1, ROUNDS + 1):
            for workers, base in ((1, one), (2, two)):
                done = measured_round(
                    base + args.path,
                    token,
                    groups[workers],
                    database,
                    share,
                    args.connections,
                    args.threads,
                )
                rounds[workers].append(done)
                print(
                    f"  round {number}, --workers {workers}: {done.rate:7.1f} req/s, CPU ms/req "
                    f"workers {done.workers_ms:.2f} postgres {done.postgres_ms:.2f} "
                    f"wrk {done.wrk_ms:.2f}; cores: others {done.others_cores:.2f} idle "
                    f"{done.idle_cores:.2f} steal {done.steal_cores:.2f}",
                    flush=True,
                )
    return report(rounds, cpus)


def report(rounds: dict[int, list[Round]], cpus: int) -> int:
    print(
        f"\nmedians over {ROUNDS} rounds; CPU in ms per request; ceiling = {cpus} CPUs ÷ total "
        f"CPU per request"
    )
    print(
        f"{'uvicorn':<12}{'req/s':>8}{'wall ms':>9}{'latency':>9}{'workers':>9}"
        f"{'postgres':>10}{'wrk':>7}{'total':>8}{'ceiling':>9}{'of it':>7}"
        f"{'others':>8}{'idle':>6}{'steal':>7}"
    )
    rates: dict[int, float] = {}
    cpu: dict[int, float] = {}
    left: list[str] = []
    for workers, done in rounds.items():
        rates[workers] = median(done, "rate")
        total = median(done, "total_ms")
        cpu[workers] = median(done, "workers_ms")
        ceiling = cpus / (total / 1000)
        others = median(done, "others_cores") + median(done, "steal_cores")
        print(
            f"{'--workers ' + str(workers):<12}{rates[workers]:>8.1f}"
            f"{median(done, 'wall_ms'):>9.2f}{median(done, 'latency_ms'):>9.2f}"
            f"{cpu[workers]:>9.2f}{median(done, 'postgres_ms'):>10.2f}"
            f"{median(done, 'wrk_ms'):>7.2f}{total:>8.2f}{ceiling:>9.1f}"
            f"{rates[workers] / ceiling:>7.0%}{median(done, 'others_cores'):>8.2f}"
            f"{median(done, 'idle_cores'):>6.2f}{median(done, 'steal_cores'):>7.2f}"
        )
        if others >= 0.05:
            rest = max(cpus - others, 0.01) / (total / 1000)
            left.append(
                f"--workers {workers}: {cpus} − {others:.2f} cores → {rest:.1f} req/s, "
                f"reached {rates[workers] / rest:.0%}"
            )
    print(
        "(wall ms = 1000 ÷ req/s; latency = wrk's mean; others = cores busy with other "
        "processes meanwhile, idle = cores nobody used, steal = cores the hypervisor took)"
    )
    if left:
        print("ceiling on the cores other processes (and steal) left: " + "; ".join(left))
    ratio = rates[2] / rates[1]
    met = ratio >= GOAL
    print(f"ratio {ratio:.2f}× (goal ≥ {GOAL:.1f}×): {'met' if met else 'MISSED'}")
    if not met:
        change = cpu[2] / cpu[1] - 1
        if abs(change) <= FLAT:
            verdict = (
                f"stayed flat ({change:+.0%}, within ±{FLAT:.0%}): nothing serialises the "
                "workers; the cores are shared by the workers, PostgreSQL and wrk, so the "
                "ceiling is cores ÷ CPU per request"
            )
        elif change > 0:
            verdict = (
                f"did NOT stay flat: {change:+.0%} with two (beyond ±{FLAT:.0%}): each worker "
                "spends more CPU per request when both run; look for contention"
            )
        else:
            verdict = (
                f"did not stay flat but FELL with two ({change:+.0%}, beyond ±{FLAT:.0%}): no "
                "sign of the workers serialising; compare the rounds, the CPU per request is "
                "noisy when other processes share the cores"
            )
        print(
            f"workers' CPU per request: {cpu[1]:.2f} ms with 1 worker, {cpu[2]:.2f} ms with 2 "
            f"— {verdict}"
        )
        idle = median(rounds[2], "idle_cores")
        if idle >= IDLE:
            print(
                f"but {idle:.2f} of {cpus} cores stayed idle with 2 workers: the CPUs were not "
                "saturated, so this run did not reach its ceiling for another reason (too few "
                "--connections to keep both workers busy while they wait on PostgreSQL?)"
            )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
