"""``python -m bench.tasks`` on a small generated county: it signs in as finance and as the
busiest department, and both inboxes have work (every month of the executing year due)."""

import re
import subprocess
import sys

from bench.generate import generate, migrate
from perfbudget.config import PROJECT_ROOT
from perfbudget.db import make_engine
from tests.isolated import fresh_database_url


def test_the_benchmark_reads_both_inboxes_of_a_generated_county(tmp_path):
    with fresh_database_url(tmp_path, "bench_tasks") as url:
        migrate(url)
        engine = make_engine(url)
        try:
            generate(engine, organisations=30, items=120, seed=5, year=2025, years=2)
        finally:
            engine.dispose()
        run = subprocess.run(
            [sys.executable, "-m", "bench.tasks", "--database-url", url, "--repeat", "2"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert run.returncode in (0, 1), run.stderr  # 1: a median over the goal (a busy machine)
    totals = dict(re.findall(r"(finance|department) as of \S+: (\d+) tasks", run.stdout))
    assert int(totals["finance"]) > 0 and int(totals["department"]) > 0, run.stdout
    for request in ("finance tasks", "department tasks 100/kind", "department summary"):
        assert re.search(rf"^{request}\s+\d", run.stdout, re.MULTILINE), run.stdout
