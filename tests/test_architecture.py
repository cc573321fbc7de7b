"""The house's walls: handlers/ speaks no transport or database, and no package imports in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "locales")
FORBIDDEN_IN_HANDLERS = ("bot", "telegram", "pywa", "pywa_async", "aiohttp", "aiosqlite")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports(path: Path, name: str) -> set[str]:
    """Every module an import statement in the file names (TYPE_CHECKING and function-level ones too)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


@pytest.mark.parametrize("name", sorted(n for n in modules() if top(n) == "handlers"))
def test_handlers_import_no_transport_and_no_database(name: str) -> None:
    path = modules()[name]
    bad = sorted({top(m) for m in imports(path, name)} & set(FORBIDDEN_IN_HANDLERS))
    assert not bad, f"{name} imports {bad}"


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        # An import of a.b.c names a.b.c if it is a module, else the module a.b that holds c.
        edges[name] = {m for m in imports(path, name) if m in known and m != name}
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative enough for a small tree."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in edges:
        if node not in index:
            visit(node)
    return components


def test_no_import_cycle_anywhere() -> None:
    cycles = [sorted(c) for c in strongly_connected(graph()) if len(c) > 1]
    assert not cycles, cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert [sorted(c) for c in strongly_connected({"a": {"b"}, "b": {"a"}, "c": {"a"}}) if len(c) > 1] == [["a", "b"]]


def storage_classes_taking_a_database() -> set[str]:
    """Every class in storage/ whose constructor takes the Database: the repositories the Store builds."""
    found: set[str] = set()
    for path in sorted((ROOT / "storage").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        annotations = [ast.unparse(a.annotation) for a in item.args.args if a.annotation is not None]
                        if "Database" in annotations:
                            found.add(node.name)
    return found


def test_the_repository_finder_knows_the_repositories() -> None:
    assert {"Reports", "SummaryStore", "Retention", "TriageStore", "Inbox"} <= storage_classes_taking_a_database()


@pytest.mark.parametrize("package", ["bot", "handlers"])
def test_only_the_store_builds_repositories(package: str) -> None:
    """One store holding every repository once: a second instance would miss the state the first keeps."""
    repositories = storage_classes_taking_a_database()
    built = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.func.id}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in repositories
    ]
    assert not built, built
