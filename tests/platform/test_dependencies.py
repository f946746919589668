"""What the application imports is installed without the dev extras: every third-party
module imported under src/perfbudget comes from a distribution that ``pip install .`` brings
(a declared dependency, or one of theirs). ``perfbudget events deliver`` once imported httpx,
a dev-only dependency, and crashed on a plain install."""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

from perfbudget.config import PROJECT_ROOT

SOURCE = PROJECT_ROOT / "src" / "perfbudget"


def _name(requirement: Requirement) -> str:
    return requirement.name.lower().replace("_", "-")


def installed_without_extras() -> set[str]:
    """The declared dependencies and, transitively, theirs (with the extras asked for)."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pending = [Requirement(text) for text in project["project"]["dependencies"]]
    found: set[str] = set()
    while pending:
        requirement = pending.pop()
        if _name(requirement) in found:
            continue
        found.add(_name(requirement))
        for text in requires(requirement.name) or []:
            needed = Requirement(text)
            extras = requirement.extras or {""}
            if needed.marker is None or any(
                needed.marker.evaluate({"extra": extra}) for extra in extras
            ):
                pending.append(needed)
    return found


def imported_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                modules.setdefault(name.split(".")[0], path)
    return modules


def test_every_module_the_application_imports_is_installed_without_dev_extras():
    installed = installed_without_extras()
    distributions = packages_distributions()
    missing = {
        module: str(path.relative_to(PROJECT_ROOT))
        for module, path in imported_modules().items()
        if module not in sys.stdlib_module_names
        and module != "perfbudget"
        and not any(
            dist.lower().replace("_", "-") in installed for dist in distributions.get(module, [])
        )
    }
    assert missing == {}
    assert "httpx" in installed


def test_the_dev_tools_are_not_what_the_application_needs():
    assert imported_modules().keys().isdisjoint({"pytest", "schemathesis", "hypothesis", "ruff"})


LOCKS = PROJECT_ROOT / "requirements"


def locked(name: str) -> dict[str, str]:
    """``name==version`` lines of a lock, each with its hashes (uv pip compile output)."""
    text = (LOCKS / name).read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    for block in text.replace("\\\n", " ").splitlines():
        if not block or block.lstrip().startswith("#"):
            continue
        requirement = Requirement(block.split(" --hash")[0].strip())
        assert "--hash=sha256:" in block, f"{requirement.name} is locked without a hash"
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue  # another platform's (colorama on Windows …)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", block
        pins[_name(requirement)] = specifier.version
    return pins


def test_the_locks_pin_every_declared_dependency_with_a_version_it_accepts():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = [Requirement(text) for text in project["project"]["dependencies"]]
    dev = [Requirement(text) for text in project["project"]["optional-dependencies"]["dev"]]
    build = [Requirement(text) for text in project["build-system"]["requires"]]
    runtime_lock, dev_lock = locked("runtime.lock"), locked("dev.lock")
    for lock, requirements in (
        (runtime_lock, declared + build),
        (dev_lock, declared + dev + build),
    ):
        for requirement in requirements:
            assert _name(requirement) in lock, f"{requirement} is not locked: run make lock"
            assert requirement.specifier.contains(lock[_name(requirement)], prereleases=True), (
                f"{requirement} but the lock has {lock[_name(requirement)]}: run make lock"
            )
    # the runtime's versions are the ones the suite runs with
    assert {name: dev_lock[name] for name in runtime_lock} == runtime_lock
    assert set(locked("uv.lock")) == {"uv"}


def test_the_suite_runs_on_the_locked_versions():
    from importlib.metadata import distributions

    installed = {
        _name(Requirement(dist.metadata["Name"])): dist.version for dist in distributions()
    }
    wrong = {
        name: (version, installed.get(name))
        for name, version in locked("dev.lock").items()
        if installed.get(name) != version
    }
    assert wrong == {}, "the environment differs from requirements/dev.lock: run make install"
