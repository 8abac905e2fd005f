"""No import cycle among the modules of ``monitor/``: data flows one way, and so do imports.

The graph is read from the source with ``ast`` rather than from ``sys.modules``, so a cycle that happens to load in
today's order is still found. It holds what runs when a module is first imported: imports at module level (in class
bodies and ``try``/``if`` blocks too), not those inside functions or under ``if TYPE_CHECKING:``. Importing
``a.b.c`` also runs the ``__init__`` of ``a.b``, so that counts as an import of ``a.b`` unless the importer lives inside
``a.b`` (its package is then already being loaded, and only the names it takes from it matter).
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import monitor

PACKAGE_DIR = Path(monitor.__file__).parent


@dataclass(frozen=True)
class Edge:
    """``importer`` imports ``imported`` at ``line`` of its file."""

    importer: str
    imported: str
    line: int


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at ``package_dir``."""
    root = package_dir.parent
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph(package_dir: Path) -> dict[str, list[Edge]]:
    """Each module's imports of other modules of the package, in the order they appear."""
    modules = module_files(package_dir)
    graph: dict[str, list[Edge]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = [
            Edge(name, imported, statement.lineno)
            for statement in _load_time_imports(tree)
            for imported in _imported_modules(statement, name, is_package, modules)
        ]
        graph[name] = list(dict.fromkeys(edge for edge in edges if edge.imported != name))
    return graph


def _load_time_statements(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The simple statements that run when the module is loaded."""
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            yield from _load_time_statements(statement.orelse)
            continue
        nested = _nested_statements(statement)
        if nested:
            yield from _load_time_statements(nested)
        else:
            yield statement


def _load_time_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    for statement in _load_time_statements(tree.body):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            yield statement


def dynamic_imports(package_dir: Path) -> list[str]:
    """``importlib.import_module`` calls that run at load time: imports this graph cannot see, so none are allowed."""
    found = []
    for name, path in module_files(package_dir).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for statement in _load_time_statements(tree.body):
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and _called_name(node.func) == "import_module":
                    found.append(f"{name} (line {node.lineno}) imports modules by name at load time")
    return found


def _called_name(function: ast.expr) -> str:
    return function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")


def _nested_statements(statement: ast.stmt) -> list[ast.stmt]:
    """The statements inside a compound statement (``if``, ``try``, ``with``, ``for``, ``match``, a class body)."""
    nested: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        nested.extend(getattr(statement, field, []))
    for block in (*getattr(statement, "handlers", []), *getattr(statement, "cases", [])):
        nested.extend(block.body)
    return nested


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(
    statement: ast.Import | ast.ImportFrom, importer: str, is_package: bool, modules: Mapping[str, Path]
) -> Iterator[str]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            yield from _loaded_with(alias.name, importer, modules)
        return
    target = _absolute(statement, importer, is_package)
    submodules = [f"{target}.{alias.name}" for alias in statement.names if f"{target}.{alias.name}" in modules]
    takes_names = len(submodules) < len(statement.names)
    for loaded in _loaded_with(target, importer, modules):
        # ``from pkg import name`` inside pkg reads pkg's namespace: a dependency, unless every name is a submodule.
        if loaded != target or takes_names or not _inside(importer, target):
            yield loaded
    for submodule in submodules:
        yield from _loaded_with(submodule, importer, modules)


def _absolute(statement: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not statement.level:
        return statement.module or ""
    package = importer if is_package else importer.rpartition(".")[0]
    base = package.rsplit(".", statement.level - 1)[0] if statement.level > 1 else package
    return f"{base}.{statement.module}" if statement.module else base


def _loaded_with(target: str, importer: str, modules: Mapping[str, Path]) -> Iterator[str]:
    """``target`` and the packages above it whose ``__init__`` importing it runs (those not above ``importer``)."""
    parts = target.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        if name in modules and (name == target or not _inside(importer, name)):
            yield name


def _inside(module: str, package: str) -> bool:
    return module.startswith(package + ".")


def find_cycles(graph: Mapping[str, list[Edge]]) -> list[list[Edge]]:
    """One cycle from each group of modules that import each other (strongly connected), as the edges that close it."""
    return [_cycle_in(component, graph) for component in _strongly_connected(graph) if len(component) > 1]


def _strongly_connected(graph: Mapping[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's algorithm, written iteratively so a deep package cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            edge = next(edges, None)
            if edge is not None:
                nxt = edge.imported
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, []))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _cycle_in(component: list[str], graph: Mapping[str, list[Edge]]) -> list[Edge]:
    """The shortest cycle through the component's first module (breadth-first inside the component)."""
    members, start = set(component), component[0]
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.imported == start:
                    path = [edge]
                    while path[0].importer != start:
                        path.insert(0, came_by[path[0].importer])
                    return path
                if edge.imported in members and edge.imported not in came_by:
                    came_by[edge.imported] = edge
                    following.append(edge.imported)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {component}")


def describe(cycle: list[Edge]) -> str:
    steps = ", which ".join(f"imports {edge.imported} (line {edge.line} of {edge.importer})" for edge in cycle)
    return f"{cycle[0].importer} {steps}"


def imports_anywhere(path: Path, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module named) of every import in the file, in functions and under ``if TYPE_CHECKING:`` too."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, _absolute(node, module, is_package)


# --- the tests ------------------------------------------------------------------------------------------------------


def test_no_import_cycle_among_monitor_modules():
    cycles = find_cycles(import_graph(PACKAGE_DIR))
    assert not cycles, "import cycles in monitor/:\n" + "\n".join(describe(cycle) for cycle in cycles)


# The stages and the leaves they share. Only the code that composes them (app, cli, scheduler, demo) reads the
# configuration as a whole; a stage is handed its own settings.
STAGES = (
    "sources",
    "fetch",
    "items",
    "extract",
    "match",
    "store",
    "digest",
    "deliver",
    "settings",
    "durations",
    "urls",
    "clock",
    "cron",
    "page_retry",
)


def test_no_stage_imports_the_configuration_package():
    found = [
        f"{module} (line {line}) imports {imported}"
        for module, path in module_files(PACKAGE_DIR).items()
        if module.split(".")[1:2] and module.split(".")[1] in STAGES
        for line, imported in imports_anywhere(path, module, path.name == "__init__.py")
        if imported == "monitor.config" or imported.startswith("monitor.config.")
    ]
    assert found == []


def test_every_import_in_monitor_is_one_the_graph_can_see():
    assert dynamic_imports(PACKAGE_DIR) == []


def test_the_graph_sees_the_cycles_python_would_run_into(tmp_path):
    """The checker itself: each way a cycle can be written is found, and what runs later is not counted."""
    package = tmp_path / "pkg"
    files = {
        "__init__.py": "",
        "stage/__init__.py": "from pkg.stage.table import TABLE\n",
        "stage/table.py": "from .plugin import Plugin\nTABLE = {'plugin': Plugin}\n",
        "stage/plugin.py": """\
            from pkg.stage import base
            from pkg.settings import Settings
            class Plugin(base.Base): ...
            """,
        "stage/base.py": "class Base: ...\n",
        "settings.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pkg.stage.plugin import Plugin
            def plugins():
                from pkg.stage import TABLE
                return TABLE
            import pkg.config.errors
            class Settings: ...
            """,
        "config/__init__.py": "from pkg.config.models import Model\n",
        "config/models.py": """\
            try:
                from pkg.stage.table import TABLE
            except ImportError:
                TABLE = {}
            Model = 1
            """,
        "config/errors.py": "",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(textwrap.dedent(text), encoding="utf-8")

    cycles = find_cycles(import_graph(package))

    assert [describe(cycle) for cycle in cycles] == [
        "pkg.config imports pkg.config.models (line 1 of pkg.config), "
        "which imports pkg.stage.table (line 2 of pkg.config.models), "
        "which imports pkg.stage.plugin (line 1 of pkg.stage.table), "
        "which imports pkg.settings (line 2 of pkg.stage.plugin), "
        "which imports pkg.config (line 7 of pkg.settings)"
    ]


def test_a_plugin_taking_a_name_from_its_own_package_is_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    (package / "stage").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "stage" / "__init__.py").write_text("def register(cls): return cls\nfrom pkg.stage import plugin\n")
    (package / "stage" / "plugin.py").write_text("from pkg.stage import register\n")

    assert [describe(cycle) for cycle in find_cycles(import_graph(package))] == [
        "pkg.stage imports pkg.stage.plugin (line 2 of pkg.stage), which imports pkg.stage (line 1 of pkg.stage.plugin)"
    ]
