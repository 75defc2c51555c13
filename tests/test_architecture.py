"""The import rule: ``pipeline`` has three layers whose imports run only downward, and ``dashboard`` sits on top.

core <- build, core <- runtime (build and runtime never import each other), runtime + core <- dashboard,
and ``pipeline/__main__.py`` (the command line) may use every pipeline layer. No project module imports
another inside a function (where cycles hide), no module imports streamlit from ``pipeline/``, and the
whole graph has no cycle. Read from the source with ``ast``: nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# layer -> the layers it may import (itself included)
ALLOWED: dict[str, set[str]] = {
    "pipeline.core": {"pipeline.core"},
    "pipeline.build": {"pipeline.build", "pipeline.core"},
    "pipeline.runtime": {"pipeline.runtime", "pipeline.core"},
    "pipeline.cli": {"pipeline.build", "pipeline.runtime", "pipeline.core"},
    "dashboard": {"dashboard", "pipeline.runtime", "pipeline.core"},
    "app": {"dashboard", "pipeline.runtime", "pipeline.core"},
}
PROJECT = ("pipeline", "dashboard")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> str:
    if module == "app":
        return "app"
    if module in ("pipeline.__main__", "pipeline"):
        return "pipeline.cli"
    for layer in ("pipeline.core", "pipeline.build", "pipeline.runtime"):
        if module == layer or module.startswith(layer + "."):
            return layer
    if module == "dashboard" or module.startswith("dashboard."):
        return "dashboard"
    raise AssertionError(f"{module} belongs to no layer: add it to a layer folder")


def sources() -> list[Path]:
    files = sorted((ROOT / "pipeline").rglob("*.py")) + sorted((ROOT / "dashboard").rglob("*.py"))
    return files + [ROOT / "app.py"]


def imports_of(path: Path, module: str | None = None) -> list[tuple[str, int, bool]]:
    """(imported project module, line, inside a function) for every import in ``path`` (module ``module``)."""
    module = module or module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # "from pipeline.runtime import metrics" imports the module pipeline.runtime.metrics
            targets = [f"{mod}.{a.name}" if _is_module(f"{mod}.{a.name}") else mod for a in node.names]
        for t in targets:
            if t.split(".")[0] in PROJECT or t.split(".")[0] == "streamlit":
                out.append((t, node.lineno, id(node) in in_function))
    return out


def _is_module(name: str) -> bool:
    p = ROOT.joinpath(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


GRAPH = {module_name(p): imports_of(p) for p in sources()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_downward_only(module):
    layer = layer_of(module)
    wrong = [(t, line) for t, line, _ in GRAPH[module]
             if t.split(".")[0] in PROJECT and layer_of(t) not in ALLOWED[layer]]
    assert wrong == [], f"{module} ({layer}) may import only {sorted(ALLOWED[layer])}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_project_import_inside_a_function(module):
    hidden = [(t, line) for t, line, inside in GRAPH[module] if inside and t.split(".")[0] in PROJECT]
    assert hidden == [], f"{module}: import at module level (an import inside a function hides a cycle)"


def test_pipeline_never_imports_streamlit():
    offenders = [(m, t) for m, imps in GRAPH.items() if m.startswith("pipeline")
                 for t, _, _ in imps if t.split(".")[0] == "streamlit"]
    assert offenders == []


def test_the_import_graph_has_no_cycle():
    edges = {m: sorted({t for t, _, _ in imps if t in GRAPH and t != m}) for m, imps in GRAPH.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in edges[m]:
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state:
            assert (cycle := visit(m)) is None, " -> ".join(cycle)


def test_the_rule_catches_an_upward_import_and_one_inside_a_function(tmp_path):
    """What the checks above read from a runtime module that imports build code, and a module inside a function."""
    probe = tmp_path / "probe.py"
    probe.write_text("from pipeline.build.run import build\nfrom ..core import dates\n\n"
                     "def f():\n    from pipeline.runtime import bundle\n", encoding="utf-8")
    found = imports_of(probe, "pipeline.runtime.probe")
    assert found == [("pipeline.build.run", 1, False), ("pipeline.core.dates", 2, False),
                     ("pipeline.runtime.bundle", 5, True)]
    assert layer_of("pipeline.build.run") not in ALLOWED["pipeline.runtime"]
    assert layer_of("pipeline.core.dates") in ALLOWED["pipeline.runtime"]


def magic_lines(source: str) -> list[int]:
    """Lines Streamlit's "magic" would have written to the page: a bare expression that is not a call, an await
    or a docstring. With ``runner.magicEnabled = false`` (.streamlit/config.toml) such a line shows nothing."""
    tree = ast.parse(source)
    lines = []
    for parent in ast.walk(tree):
        body = getattr(parent, "body", None)
        for i, node in enumerate(body if isinstance(body, list) else []):
            if not isinstance(node, ast.Expr) or isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
                continue
            docstring = i == 0 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            if not docstring:
                lines.append(node.lineno)
    return lines


def test_no_script_relies_on_magic():
    assert "magicEnabled = false" in (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    scripts = [ROOT / "app.py", *sorted((ROOT / "dashboard" / "pages").glob("*.py"))]
    found = {p.name: magic_lines(p.read_text(encoding="utf-8")) for p in scripts}
    assert not {k: v for k, v in found.items() if v}, "bare expressions that would show nothing: write st.write(...)"
    assert magic_lines('"""doc"""\nimport streamlit as st\nx = 1\nx\nst.write(x)\n"total"\n') == [4, 6]
