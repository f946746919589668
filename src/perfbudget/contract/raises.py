"""Which refusals an operation can answer, read from the code.

Every refusal is a ``DomainError`` built with a literal code (``RuleViolation("PAYMENT_HOLD",
…)``), a ``problem_response(request, 503, "DATABASE_BUSY", …)`` or a Starlette HTTP error.
From an endpoint and its dependencies, the functions of our package they refer to are
followed (calls, and functions handed on as values, as the import kinds' registry does), and
every refusal built on the way is collected with its status. A code passed on through a
parameter (``_required(text, "REASON_REQUIRED", …)``) is read at the call; a code carried
by one of our objects (``Gate("PAYMENT_HOLD", …)``) and raised from it
(``RuleViolation(first.code, …)``) counts wherever both are reachable.

What is found is what the code can refuse, not what a given request will: a superset, so
that no answer a client receives is missing from the contract. The fuzz over the contract
(``tests/platform/test_fuzz.py``) checks the other direction on every run.
"""

import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import FunctionType, MethodType, ModuleType
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

import perfbudget
from perfbudget.api import problems
from perfbudget.errors import DomainError

Refusal = tuple[int, str]
_PACKAGE = perfbudget.__name__ + "."

# A method called on an object whose type the code does not name (``chain.move(…)``) is taken
# to be any of our classes' methods of that name, unless the name is one of the library
# types' that such objects usually are (a session, a statement, a dict …).
_LIBRARY_NAMES = frozenset(
    name for kind in (dict, list, set, str, bytes, Session, Select, Path) for name in dir(kind)
)


@dataclass
class _Facts:
    """What one function's body refers to."""

    refusals: set[Refusal] = field(default_factory=set)
    callees: list[Callable[..., Any]] = field(default_factory=list)
    # a parameter whose value becomes a refusal's code, with the refusal's status
    forwarded: dict[str, int] = field(default_factory=dict)
    # codes carried by our objects (a gate's ``Gate("PAYMENT_HOLD", …)``), and the statuses of
    # refusals raised with such an object's code (``RuleViolation(first.code, …)``)
    carried: set[str] = field(default_factory=set)
    relayed: set[int] = field(default_factory=set)


def _own(value: object) -> bool:
    return str(getattr(value, "__module__", "") or "").startswith(_PACKAGE)


def _function_of(value: object) -> Callable[..., Any] | None:
    if isinstance(value, MethodType):
        value = value.__func__
    if isinstance(value, staticmethod | classmethod):
        value = value.__func__
    if isinstance(value, FunctionType):
        function: Callable[..., Any] = inspect.unwrap(value)
        return function if _own(function) else None
    return None


@cache
def _modules() -> tuple[ModuleType, ...]:
    names = [perfbudget.__name__] + [
        info.name
        for info in pkgutil.walk_packages(perfbudget.__path__, _PACKAGE)
        if not info.name.endswith(".__main__")
    ]
    return tuple(importlib.import_module(name) for name in names)


@cache
def _methods_named() -> dict[str, tuple[Callable[..., Any], ...]]:
    found: dict[str, list[Callable[..., Any]]] = {}
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for name, member in vars(value).items():
                    function = _function_of(member)
                    if function is not None and name not in _LIBRARY_NAMES:
                        found.setdefault(name, []).append(function)
    return {name: tuple(functions) for name, functions in found.items()}


@cache
def _tree(module_name: str) -> ast.Module | None:
    source_file = getattr(sys.modules.get(module_name), "__file__", None)
    if not source_file:
        return None
    return ast.parse(Path(source_file).read_text(encoding="utf-8"))


def _definition(function: Callable[..., Any]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    tree = _tree(function.__module__)
    if tree is None:
        try:
            parsed = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError):
            return None
        tree = parsed
    node: ast.AST = tree
    for part in function.__qualname__.split("."):
        if part == "<locals>":
            continue
        children = getattr(node, "body", [])
        match = next(
            (
                child
                for child in children
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and child.name == part
            ),
            None,
        )
        if match is None:
            return None
        node = match
    return node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _owner_class(function: Callable[..., Any]) -> type | None:
    parts = function.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    owner: Any = sys.modules[function.__module__]
    for part in parts[:-1]:
        owner = getattr(owner, part, None)
    return owner if isinstance(owner, type) else None


def _literal(node: ast.AST | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _argument(call: ast.Call, index: int, name: str) -> ast.AST | None:
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[index]
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


class _Reader:
    """The facts of one function, its names resolved in its module as Python would."""

    def __init__(self, function: Callable[..., Any], node: ast.AST) -> None:
        self.function = function
        self.scope: dict[str, Any] = getattr(function, "__globals__", {})
        self.owner = _owner_class(function)
        self.parameters = set(inspect.signature(function).parameters)
        self.node = node
        self.facts = _Facts()

    def read(self) -> _Facts:
        for node in ast.walk(self.node):
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
                self._reference(self._resolve(node))
        return self.facts

    def _resolve(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self.scope.get(node.id)
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                return getattr(self.owner, node.attr, None) if self.owner else None
            base = self._resolve(node.value)
            if isinstance(base, ModuleType) or (
                base is not None and (_own(base) or _own(type(base)))
            ):
                return getattr(base, node.attr, None)
        return None

    def _reference(self, value: Any) -> None:
        function = _function_of(value)
        if function is not None and function is not self.function:
            self.facts.callees.append(function)

    def _call(self, call: ast.Call) -> None:
        callee = self._resolve(call.func)
        if callee is None:
            self._unresolved_call(call)
        elif isinstance(callee, type):
            self._constructed(callee, call)
        elif callee is problems.problem_response:
            self._problem_refusal(call)
        else:
            self._forwarded_refusals(callee, call)

    def _unresolved_call(self, call: ast.Call) -> None:
        """A call on an object whose type the code does not name: ``super().__init__`` in a
        ``DomainError``, or a method taken to be any of our classes' of that name."""
        if isinstance(call.func, ast.Attribute):
            if _is_super_init(call) and self.owner and issubclass(self.owner, DomainError):
                self._refusal(self.owner.status_code, _argument(call, 0, "code"))
            for method in _methods_named().get(call.func.attr, ()):
                self._reference(method)

    def _constructed(self, kind: type, call: ast.Call) -> None:
        """A class called: one of our objects, a ``DomainError`` or a Starlette HTTP error."""
        if _own(kind) and not issubclass(kind, DomainError):
            self._carried(kind, call)
        if issubclass(kind, DomainError):
            self._refusal(kind.status_code, _argument(call, 0, "code"))
            self._reference(vars(kind).get("__init__"))
        elif issubclass(kind, StarletteHTTPException):
            status = self._constant(_argument(call, 0, "status_code"))
            if isinstance(status, int):
                self.facts.refusals.add((status, problems.http_code(status)))

    def _problem_refusal(self, call: ast.Call) -> None:
        status = self._constant(_argument(call, 1, "status"))
        code = self._constant(_argument(call, 2, "code"))
        if isinstance(status, int) and isinstance(code, str):
            self.facts.refusals.add((status, code))

    def _forwarded_refusals(self, callee: Any, call: ast.Call) -> None:
        """The codes this call passes to a callee's parameters that become refusals' codes."""
        function = _function_of(callee)
        if function is None:
            return
        names = list(inspect.signature(function).parameters)
        for name, status in facts_of(function).forwarded.items():
            index = names.index(name) if name in names else -1
            code = self._constant(_argument(call, index, name)) if index >= 0 else None
            if isinstance(code, str):
                self.facts.refusals.add((status, code))

    def _constant(self, node: ast.AST | None) -> Any:
        """A literal, or a module's constant named in its place (``TOO_MANY``)."""
        if isinstance(node, ast.Name) and node.id in self.parameters:
            return None
        if isinstance(node, ast.Name | ast.Attribute):
            value = self._resolve(node)
            return value if isinstance(value, str | int) else None
        return _literal(node)

    def _carried(self, kind: type, call: ast.Call) -> None:
        try:
            names = list(inspect.signature(kind).parameters)
        except (TypeError, ValueError):
            return
        if "code" in names:
            code = self._constant(_argument(call, names.index("code"), "code"))
            if isinstance(code, str):
                self.facts.carried.add(code)

    def _refusal(self, status: int, code_node: ast.AST | None) -> None:
        code = self._constant(code_node)
        if isinstance(code_node, ast.Attribute) and code_node.attr == "code" and code is None:
            self.facts.relayed.add(status)
        elif isinstance(code, str):
            self.facts.refusals.add((status, code))
        elif isinstance(code_node, ast.Name) and code_node.id in self.parameters:
            self.facts.forwarded[code_node.id] = status


def _is_super_init(call: ast.Call) -> bool:
    func = call.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "__init__"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
    )


_reading: set[Callable[..., Any]] = set()


@cache
def _facts_cached(function: Callable[..., Any]) -> _Facts:
    node = _definition(function)
    if node is None:
        return _Facts()
    _reading.add(function)
    try:
        return _Reader(function, node).read()
    finally:
        _reading.discard(function)


def facts_of(function: Callable[..., Any]) -> _Facts:
    """One function's own facts (a function being read, met again through a cycle, has none
    yet: its callers are read through it anyway)."""
    if function in _reading:
        return _Facts()
    return _facts_cached(function)


def _reachable(roots: Iterable[Callable[..., Any]]) -> Iterator[Callable[..., Any]]:
    seen: set[Callable[..., Any]] = set()
    stack = [function for root in roots if (function := _function_of(root)) is not None]
    while stack:
        function = stack.pop()
        if function in seen:
            continue
        seen.add(function)
        yield function
        stack.extend(facts_of(function).callees)


def refusals_of(roots: Iterable[Callable[..., Any]]) -> set[Refusal]:
    """Every refusal the code reachable from these functions can build."""
    _modules()  # every module imported, so that every class's methods are known
    found: set[Refusal] = set()
    carried: set[str] = set()
    relayed: set[int] = set()
    for function in _reachable(roots):
        facts = facts_of(function)
        found |= facts.refusals
        carried |= facts.carried
        relayed |= facts.relayed
    return found | {(status, code) for status in relayed for code in carried}
