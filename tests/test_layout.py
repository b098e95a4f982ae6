"""The package keeps its shape: small modules and functions, and imports that only point down.

The layers, lowest first: core (leaves) -> extensions -> models -> permissions -> services ->
the edges (publicsite, views, jobs, scheduler, cli, demo) -> create_app. A module may import its
own layer and the layers below it, never one above (see docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "statuspage"
LONGEST_MODULE = 500  # lines
LONGEST_FUNCTION = 60
LONGEST_VIEW = 40  # views parse, authorise, call a service, commit and respond
SEED_DATA = {"statuspage.demo"}  # a list of realistic records, not code to read through
MOST_SERVICE_MODULES = 10  # beside the area subpackages
LAYERS = (
    ("statuspage.core",),
    ("statuspage.extensions",),
    ("statuspage.models",),
    ("statuspage.permissions",),
    ("statuspage.services",),
    (
        "statuspage.publicsite",
        "statuspage.serving",
        "statuspage.views",
        "statuspage.jobs",
        "statuspage.scheduler",
        "statuspage.cli",
        "statuspage.demo",
    ),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    """The module's layer (create_app's package itself is above them all)."""
    for index, prefixes in enumerate(LAYERS):
        if any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return index
    assert module == "statuspage", f"{module} belongs to no layer: add it to LAYERS"
    return len(LAYERS)


def imported_modules(tree: ast.Module) -> set[str]:
    """The statuspage modules a module imports, anywhere in it (`from x import y`: x.y if that is
    a module, else x)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
    return {name for name in found if name == "statuspage" or name.startswith("statuspage.")}


def functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def length(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1  # type: ignore[attr-defined, operator]


def test_no_module_is_longer_than_a_read_through():
    long = {
        name: len(path.read_text().splitlines())
        for name, path in MODULES.items()
        if name not in SEED_DATA
    }
    assert {name: lines for name, lines in long.items() if lines > LONGEST_MODULE} == {}


def longer_than(limit: int, *, within: str = "statuspage") -> list[str]:
    """The functions of the modules under `within` that are longer than `limit` lines."""
    return [
        f"{name}.{function.name}: {length(function)} lines"
        for name, tree in TREES.items()
        if name == within or name.startswith(within + ".")
        for function in functions(tree)
        if length(function) > limit
    ]


def test_no_function_is_longer_than_a_screen():
    assert longer_than(LONGEST_FUNCTION) == []


def test_views_are_thin():
    assert longer_than(LONGEST_VIEW, within="statuspage.views") == []


def test_no_module_imports_a_layer_above_its_own():
    upward = [
        f"{name} imports {imported}"
        for name, tree in TREES.items()
        for imported in sorted(imported_modules(tree))
        if layer_of(imported) > layer_of(name)
    ]
    assert upward == []


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("statuspage.models", "statuspage.services"),
        ("statuspage.models", "statuspage.views"),
        ("statuspage.services", "statuspage.views"),
        ("statuspage.services", "statuspage.publicsite"),
        ("statuspage.services", "statuspage.jobs"),
        ("statuspage.services", "statuspage.cli"),
        ("statuspage.core", "statuspage.extensions"),
    ],
)
def test_the_layer_check_knows_which_way_is_up(module, forbidden):
    assert layer_of(forbidden) > layer_of(module)


def test_the_leaves_import_only_each_other():
    outside = [
        f"{name} imports {imported}"
        for name, tree in TREES.items()
        if name.startswith("statuspage.core")
        for imported in sorted(imported_modules(tree))
        if not imported.startswith("statuspage.core")
    ]
    assert outside == []


def test_services_show_their_areas_and_a_few_modules():
    services = PACKAGE / "services"
    modules = [path.name for path in services.glob("*.py") if path.name != "__init__.py"]
    areas = [path.name for path in services.iterdir() if (path / "__init__.py").is_file()]
    assert len(modules) <= MOST_SERVICE_MODULES, modules
    assert {"cadence", "outbox", "public"} <= set(areas)


def test_every_module_says_what_it_holds():
    assert [name for name, tree in TREES.items() if not ast.get_docstring(tree)] == []
