"""The import contract (STYLE.md): stages import the core and a few leaf modules of other
stages, never a cycle; the core imports no stage; only the HTTP layer imports fastapi.

Read from the source with ``ast`` (every import, including those inside functions), so the
test needs nothing installed and names the offending import when it fails.
"""

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import perfbudget

ROOT = Path(perfbudget.__file__).parent
PACKAGE = "perfbudget"

# Composition roots: they assemble every stage.
ROOTS = {"main", "cli", "models", "__main__"}
# A stage's leaf modules other stages may import: what the stage stores (models, schemas),
# reads (repository) and a few pure or read-only modules named here. A leaf imports no
# other stage's non-leaf module, so importing one can never close a cycle.
LEAF_NAMES = {"models", "schemas", "repository"}
LEAF_MODULES = {
    "auth.policy",
    "auth.passwords",
    "budget_items.access",
    "budget_items.rules",
    "budget_items.gates",
    "fiscal_years.parameters",
    "monitoring.schedule",
    "targets.lines_in_force",
}
# The HTTP layer: routers and the modules that speak HTTP for them. Only these (and the
# composition roots) may import fastapi or starlette, and no service imports them.
HTTP_MODULES = {
    "answers",  # writes large JSON answers
    "db",  # the request's session dependency (SessionDep)
    "docs",  # the offline API docs
    "middleware",
    "auth.deps",  # the permission dependency
    "integration.idempotency",  # a middleware
    "metrics.requests",  # a middleware
}
HTTP_PACKAGES = {"api", "contract"}


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@cache
def _imports() -> dict[str, set[str]]:
    """Every module of the package and what it imports (modules of ours, or third-party
    top-level names prefixed with ``!``)."""
    stages = _stages()
    found: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    names.add(_ours(alias.name) or "!" + alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                module = _ours(node.module)
                if module is None:
                    names.add("!" + node.module.split(".")[0])
                elif module in stages or (module == "" and node.names):
                    # ``from perfbudget.targets import service``: the modules named
                    prefix = f"{module}." if module else ""
                    names.update(prefix + alias.name for alias in node.names)
                else:
                    names.add(module)
        found[_name(path)] = names
    return found


def _ours(module: str) -> str | None:
    if module == PACKAGE:
        return ""
    return module.removeprefix(PACKAGE + ".") if module.startswith(PACKAGE + ".") else None


@cache
def _stages() -> frozenset[str]:
    return frozenset(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in HTTP_PACKAGES
    )


def _stage(module: str) -> str | None:
    head = module.split(".")[0]
    return head if head in _stages() else None


def _is_leaf(module: str) -> bool:
    return module.split(".")[-1] in LEAF_NAMES or module in LEAF_MODULES


def _is_http(module: str) -> bool:
    return (
        module.split(".")[-1] in ("router", "deps")
        or module in HTTP_MODULES
        or module.split(".")[0] in HTTP_PACKAGES
    )


def test_the_core_imports_no_stage():
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if _stage(module) is None
        and module not in ROOTS
        and module.split(".")[0] not in HTTP_PACKAGES
        for target in targets
        if _stage(target) or (target.split(".")[0] in HTTP_PACKAGES and not _is_http(module))
    )
    assert offending == []


def test_leaf_modules_import_no_other_stage_beyond_its_leaves():
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if _stage(module) and _is_leaf(module)
        for target in targets
        if _stage(target) not in (None, _stage(module)) and not _is_leaf(target)
    )
    assert offending == []


def test_nothing_but_the_composition_roots_imports_a_router():
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in _imports().items()
        if module not in ROOTS
        for target in targets
        if target.split(".")[-1] == "router" and _stage(target) != _stage(module)
    )
    assert offending == []


def test_stages_form_no_import_cycle():
    """Between stages, an import of a non-leaf module is an edge; routers and the
    permission dependency are the HTTP edge, above every stage, and do not count."""
    edges: dict[str, dict[str, str]] = defaultdict(dict)
    for module, targets in _imports().items():
        stage = _stage(module)
        if stage is None or _is_http(module):
            continue
        for target in targets:
            other = _stage(target)
            if other not in (None, stage) and not _is_leaf(target):
                edges[stage].setdefault(other, f"{module} → {target}")
    cycle = _a_cycle({stage: set(targets) for stage, targets in edges.items()})
    assert cycle == [], " ; ".join(
        edges[a][b] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True)
    )


def test_only_the_http_layer_imports_fastapi_or_starlette():
    offending = sorted(
        f"{module} imports {target[1:]}"
        for module, targets in _imports().items()
        if module not in ROOTS and not _is_http(module)
        for target in targets
        if target in ("!fastapi", "!starlette")
    )
    assert offending == []


def _a_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as the list of its nodes, or [] when it has none."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_contract_sees_a_cycle_and_a_clean_graph():
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c"]
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []
