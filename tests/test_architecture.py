"""The architecture the folders promise, checked on the source: layering rules, no import cycle between
subpackages, and no knowledge of BFCL's tools outside its adapter (``fr_core/envs/bfcl/``)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

from fr_core.envs import BFCL_CLASSES, bfcl_tool_specs

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for folder in ("fr_core", "workbench") for p in (ROOT / folder).rglob("*.py"))


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (a lazy import is still a dependency)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def _unit(module: str) -> str | None:
    """The architectural unit of a module: ``fr_core.<subpackage>`` (a top-level module is its own), or the app."""
    parts = module.split(".")
    if parts[0] == "workbench":
        return "workbench"
    if parts[0] != "fr_core" or len(parts) < 2:
        return None
    return f"fr_core.{parts[1]}"


def _unit_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    known = {_module(p) for p in SOURCES}
    for path in SOURCES:
        src = _unit(_module(path))
        for target in _imports(path):
            if target not in known and target.rpartition(".")[0] not in known:
                continue
            dst = _unit(target if target in known else target.rpartition(".")[0])
            if src and dst and src != dst:
                g.add_edge(src, dst, where=f"{path.relative_to(ROOT)} imports {target}")
    return g


UNITS = _unit_graph()

# (importer, imported): never allowed.
FORBIDDEN = [
    *[(f"fr_core.{p}", "workbench") for p in ("agents", "analysis", "envs", "export", "graph", "llm", "pipeline",
                                             "refine", "sampling", "store", "synthesis")],
    ("fr_core.llm", "fr_core.agents"),
    ("fr_core.llm", "fr_core.pipeline"),
    ("fr_core.sampling", "fr_core.llm"),
    ("fr_core.envs", "fr_core.graph"),
    ("fr_core.store", "fr_core.pipeline"),
]


@pytest.mark.parametrize("importer, imported", FORBIDDEN, ids=[f"{a}-/->{b}" for a, b in FORBIDDEN])
def test_layering(importer, imported):
    assert not UNITS.has_edge(importer, imported), UNITS.edges[importer, imported]["where"]


def test_no_import_cycle_between_subpackages():
    cycles = list(nx.simple_cycles(UNITS))
    assert not cycles, [" -> ".join(c) + ": " + "; ".join(UNITS.edges[c[i], c[(i + 1) % len(c)]]["where"]
                                                          for i in range(len(c))) for c in cycles]


def _bfcl_names() -> set[str]:
    names = set(BFCL_CLASSES)
    for cls in BFCL_CLASSES:
        names.update(spec.name for spec in bfcl_tool_specs(cls))
    return names


# String literals that are BFCL tool names by coincidence, where they mean something else.
NOT_TOOLS = {
    ("fr_core/graph/overlay.py", "add"): "an overlay action (add or remove an edge)",
    ("workbench/pages/graph.py", "add"): "an overlay action",
    ("fr_core/sampling/sampler.py", "add"): "a state-diff operation",
    ("workbench/components/eval_view.py", "diff"): "a scored turn's state-diff field",
    ("workbench/pages/evaluation.py", "diff"): "a scored turn's state-diff field",
}


def _literals(path: Path) -> list[tuple[int, str]]:
    """The string constants of ``path`` outside docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_bfcl_tool_or_class_name_outside_its_adapter():
    names = _bfcl_names()
    adapter = ROOT / "fr_core" / "envs" / "bfcl"
    found = []
    for path in SOURCES:
        if adapter in path.parents:
            continue
        rel = path.relative_to(ROOT).as_posix()
        found += [f"{rel}:{line}: {text!r}" for line, text in _literals(path)
                  if text in names and (rel, text) not in NOT_TOOLS]
    assert not found, "BFCL knowledge outside fr_core/envs/bfcl/:\n" + "\n".join(found)
