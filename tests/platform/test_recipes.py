"""docs/integration.md runs as written: its ```sh / ```bash blocks, in order, in one bash
shell (set -euo pipefail) in an empty directory, against `perfbudget serve` on a fresh demo
database, each block to the end. A block after ``<!-- not run -->`` is left out.

The server runs on the real date: the recipes ask it which year is in execution and which
month has ended without a report, so they hold on any day."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfbudget.config import PROJECT_ROOT
from perfbudget.demo.loader import DEMO_PASSWORD

GUIDE = PROJECT_ROOT / "docs" / "integration.md"
NOT_RUN = "<!-- not run -->"
FENCE = re.compile(r"^```(?P<lang>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# hosts of the guide's examples that the demo server is told to accept (section 7)
ALLOWED_HOSTS = "treasury.county.gov.cn"


@dataclass(frozen=True)
class Block:
    line: int
    body: str
    run: bool


def recipes(text: str) -> list[Block]:
    """The shell blocks of a Markdown text, each marked whether it is run."""
    blocks = []
    for match in FENCE.finditer(text):
        if match["lang"].strip() not in ("sh", "bash"):
            continue
        before = text[: match.start()].rstrip().splitlines()
        blocks.append(
            Block(
                line=text.count("\n", 0, match.start()) + 1,
                body=match["body"],
                run=not (before and before[-1].strip() == NOT_RUN),
            )
        )
    return blocks


def test_recipes_are_found_and_few_are_left_out():
    text = GUIDE.read_text(encoding="utf-8")
    blocks = recipes(text)
    assert sum(block.run for block in blocks) >= 8
    assert sum(not block.run for block in blocks) <= 3
    # every marker (a line of its own) stands right before a shell block
    markers = re.findall(rf"^{re.escape(NOT_RUN)}[ \t]*$", text, re.MULTILINE)
    assert len(markers) == sum(not block.run for block in blocks)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _perfbudget(env: dict[str, str], cwd: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "perfbudget", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> Iterator[str]:
    """`perfbudget serve` on a fresh SQLite demo county; yields its base URL."""
    home = tmp_path_factory.mktemp("recipes-server")
    env = {
        **os.environ,
        "PERFBUDGET_ENV": "development",
        "PERFBUDGET_DATABASE_URL": f"sqlite:///{home / 'demo.db'}",
        "PERFBUDGET_SECRET_FILE": str(home / "secret"),
        "PERFBUDGET_ATTACHMENTS_DIR": str(home / "attachments"),
        "PERFBUDGET_EVENT_ALLOWED_HOSTS": ALLOWED_HOSTS,
        "PERFBUDGET_LOG_LEVEL": "WARNING",
    }
    env.pop("PERFBUDGET_SECRET_KEY", None)
    _perfbudget(env, home, "db", "upgrade")
    _perfbudget(env, home, "demo", "load")
    port = _free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "perfbudget", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (home / "server.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the demo server did not start in 30 s"
            time.sleep(0.2)
        yield base
    finally:
        stop(server)
        log.close()


def stop(server: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM, as a process manager would; killed if it has not finished in ``timeout``."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_the_recipes_run_as_written(demo_server, tmp_path):
    missing = [tool for tool in ("bash", "curl", "jq", "sha256sum") if not shutil.which(tool)]
    assert missing == [], f"the recipes need {missing} (Debian: apt install curl jq)"
    blocks = [block for block in recipes(GUIDE.read_text(encoding="utf-8")) if block.run]
    driver = ["set -euo pipefail"]
    for number, block in enumerate(blocks, 1):
        path = tmp_path / f"block-{number:02}.sh"
        path.write_text(block.body, encoding="utf-8")
        driver += [f"echo '::: block {number}'", f"source {path}", f"echo '::: ok {number}'"]
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "API": demo_server,
        "TREASURY_PASSWORD": DEMO_PASSWORD,
        "DEPARTMENT_PASSWORD": DEMO_PASSWORD,
        "ADMIN_PASSWORD": DEMO_PASSWORD,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "\n".join(driver)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    passed = len(re.findall(r"^::: ok \d+$", done.stdout, re.MULTILINE))
    if done.returncode != 0 or passed != len(blocks):
        failed = blocks[min(passed, len(blocks) - 1)]
        pytest.fail(
            f"docs/integration.md block at line {failed.line} exited {done.returncode}:\n"
            f"{failed.body}\n--- stdout (tail)\n{done.stdout[-3000:]}\n"
            f"--- stderr (tail)\n{done.stderr[-3000:]}"
        )
