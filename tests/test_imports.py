"""No import circles in chessweb/, and nothing imports upward: in the spirit of tests/fide/test_purity.py.

Every import counts, function-level ones included (a function-level import only hides a circle until the
function runs), except in `chessweb/__init__.py`: `create_app` is where the app is put together, and
nothing imports it. Imports under `if TYPE_CHECKING:` are for type checkers only and do not count.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "chessweb"

# Lower layers may not import higher ones: package -> the only chessweb modules it may import.
ALLOWED = {
    "chessweb.fide": ("chessweb.fide",),
    "chessweb.realtime": ("chessweb.realtime",),
    "chessweb.live": ("chessweb.live", "chessweb.realtime", "chessweb.models", "chessweb.extensions"),
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The chessweb modules `path` imports (a `from package import name` counts as package.name when that
    is a module)."""
    module = module_name(path, root)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(node: ast.AST, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if is_package and module == root.name and not top_level:
                continue  # the composition root's create_app
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, is_package, child)
                for alias in child.names:
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if candidate in modules else target)
            inner = top_level and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(tree, True)
    return {name for name in found if name in modules and name != module}


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(path, root) for path in paths}
    return {module_name(path, root): imports_of(path, root, modules) for path in paths}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer imports something above it."""
    bad = []
    for module, targets in graph.items():
        for layer, allowed in ALLOWED.items():
            if module == layer or module.startswith(layer + "."):
                bad += [(module, t) for t in sorted(targets)
                        if not any(t == a or t.startswith(a + ".") for a in allowed)]
    return bad


def test_chessweb_has_no_import_circle():
    graph = import_graph(ROOT)
    assert "chessweb.tournaments.live" in graph and "chessweb.events" in graph
    assert circles(graph) == []


def test_nothing_imports_upward():
    assert upward_imports(import_graph(ROOT)) == []


def test_the_check_sees_a_circle_hidden_in_a_function(tmp_path):
    """The old layout's circle: events -> live (inside a function) -> queries -> service -> events."""
    package = tmp_path / "chessweb"
    (package / "tournaments").mkdir(parents=True)
    (package / "__init__.py").write_text("def create_app():\n    from . import live\n")
    (package / "events.py").write_text("def publish():\n    from . import live\n    live.changed()\n")
    (package / "live.py").write_text("from .tournaments import queries\n")
    (package / "tournaments" / "__init__.py").write_text("")
    (package / "tournaments" / "queries.py").write_text("from . import service\n")
    (package / "tournaments" / "service.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .. import events\nif TYPE_CHECKING:\n    from .. import live\n")
    assert circles(import_graph(package)) == [
        ["chessweb.events", "chessweb.live", "chessweb.tournaments.queries", "chessweb.tournaments.service"]]
