"""The shape of the package: a quick import, no import cycle, no tool that switches on an op's name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

PACKAGE = Path(autograd.__file__).parent
TOOLS = ("viz", "stepping", "explain", "gradcheck", "anomaly", "functional", "strategies")


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports anywhere in its code (``from .x import``, ``from . import x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__init__"}


def test_import_autograd_loads_no_tool_and_no_graphviz() -> None:
    code = ("import sys, autograd; heavy = ['graphviz', 'matplotlib', 'tqdm', 'hypothesis'] + "
            f"['autograd.' + t for t in {TOOLS!r}]; print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_tools_load_on_first_use_under_their_old_names() -> None:
    code = ("import sys, autograd; f = autograd.draw; import autograd.gradcheck, autograd.explain; "
            "from autograd import gradcheck, explain, backward_steps, detect_anomaly, grad; "
            "print('graphviz' in sys.modules, callable(autograd.gradcheck), callable(autograd.explain), "
            "autograd.explain is explain, backward_steps.__module__, type(autograd.viz).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True", "True", "autograd.stepping", "module"]
    assert set(autograd.__all__) <= set(dir(autograd))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        autograd.nonsense  # noqa: B018


def test_the_import_graph_has_no_cycle_and_the_engine_is_at_the_bottom() -> None:
    graph = import_graph()
    assert graph["engine"] == set()
    assert "tensor" not in graph["ops"] and "value" not in graph["ops"]
    state: dict[str, int] = {}

    def visit(m: str, path: tuple[str, ...]) -> None:  # depth-first: a module met again on its own path is a cycle
        if state.get(m) == 2:
            return
        assert state.get(m) != 1, f"import cycle: {' -> '.join(path + (m,))}"
        state[m] = 1
        for d in sorted(graph.get(m, ())):
            visit(d, path + (m,))
        state[m] = 2

    for m in graph:
        visit(m, ())


def test_no_tool_switches_on_an_op_name() -> None:
    """Each op's presentation and kinks live in its registry entry: outside ops.py no comparison names an op
    (``op.name == "pow"``, ``name in ("sum", "mean")``)."""
    offenders = []
    for path in PACKAGE.glob("*.py"):
        if path.stem == "ops":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                strings = {c.value for side in (node.left, *node.comparators) for c in ast.walk(side)
                           if isinstance(c, ast.Constant) and isinstance(c.value, str)}
                if strings & set(autograd.REGISTRY):
                    offenders.append(f"{path.name}:{node.lineno} {sorted(strings & set(autograd.REGISTRY))}")
    assert offenders == []
