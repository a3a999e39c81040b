"""queue_server's parts depend on each other top to bottom, never in a circle.

The parts are the first level under queue_server (a subpackage such as `cases/` or a
module such as `hall.py`). Every import counts, including those inside functions: a
lazy import is still a dependency, only a later one. Nothing is allowed to form a cycle,
so there is no allow-list.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from tests.conftest import REPO

ROOT = REPO / "queue_server"


def _part(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def import_graph() -> dict[str, dict[str, set[str]]]:
    """part -> part it imports -> the files that do."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        src = _part(path)
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}: a relative import hides its layer"
                base = node.module or ""
                # `from queue_server import hall` imports the part `hall`
                names = ([f"{base}.{a.name}" for a in node.names] if base == "queue_server"
                         else [base])
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "queue_server" and len(parts) > 1 and parts[1] != src:
                    graph[src][parts[1]].add(str(path.relative_to(REPO)))
    return graph


def cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """The strongly connected parts with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while (w := stack.pop()) != v:
                comp.append(w)
            comp.append(v)
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_the_scan_sees_the_known_layers():
    graph = import_graph()
    # The records wiring uses cases and archive, and every part stands on the domain.
    assert {"cases", "archive"} <= set(graph["records"])
    assert "domain" in graph["store"] and "store" in graph["cases"]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}}) == [["a", "b", "c"]]


def test_no_cycle_between_the_parts_of_queue_server():
    graph = import_graph()
    found = [
        "; ".join(f"{a} -> {b} ({', '.join(sorted(graph[a][b]))})"
                  for a in comp for b in graph[a] if b in comp)
        for comp in cycles(graph)]
    assert found == []


# --- the pure domain and the shared rules ---------------------------------------------------

def _imports(path: Path) -> list[str]:
    """Every module `path` imports (top level or inside a function)."""
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def _offending(folder: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{path.relative_to(folder)}: {name}"
                  for path in folder.rglob("*.py") for name in _imports(path)
                  if name.split(".")[0] in forbidden)


def test_the_domain_takes_no_rule_from_the_devices():
    # queue_server/domain is pure: a rule the card reader or the scanner also applies (ID
    # numbers, slips, masks) comes from hallrules below both, never from a driver package.
    assert _offending(ROOT / "domain", ("devices", "kiosk")) == []


def test_the_offending_scan_would_see_a_device_import(tmp_path):
    (tmp_path / "x.py").write_text("def f():\n    from devices.idcard import id_number\n")
    (tmp_path / "y.py").write_text("import devices.scanner.slip\n")
    assert len(_offending(tmp_path, ("devices",))) == 2


def test_hallrules_stands_below_everything():
    assert _offending(REPO / "hallrules", ("queue_server", "devices", "kiosk", "hallq",
                                           "hallenv")) == []


def test_every_top_level_package_is_installed():
    # `make install` (pip install -e .) installs what packages.find includes: a package
    # left out imports in the repo and fails on a hall PC.
    import tomllib

    include = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"][
        "setuptools"]["packages"]["find"]["include"]
    packages = {p.parent.name for p in REPO.glob("*/__init__.py")} - {"tests", "bench"}
    assert "hallrules" in packages
    assert {f"{p}*" for p in packages} <= set(include)
