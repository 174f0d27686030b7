"""Every course notebook runs top to bottom, and is stored with its outputs cleared.

A notebook may declare in its metadata ``"chainrule": {"requires": [modules], "checks": n}``: without one of those
modules it is skipped (with the reason), and it must print n lines ``check ...: max |difference| = d (tolerance t)``
with every d <= t (notebooks print their checks; the suite asserts on them).
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_course_is_there() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 7, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_outputs_are_cleared_in_git(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, (
                f"{path.name}: clear outputs before committing (jupyter nbconvert --clear-output --inplace)"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    declared = nb.metadata.get("chainrule", {})
    missing = [m for m in declared.get("requires", []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)}, not installed: its first cell says how to install")
    env_before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    try:
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        if env_before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_before
    checks = [
        (line, float(m.group(1)), float(m.group(2)))
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("name") == "stdout"
        for line in out.get("text", "").splitlines()
        if (m := re.search(r"max \|difference\| = (\S+) \(tolerance (\S+)\)", line))
    ]
    assert len(checks) == declared.get("checks", len(checks)), [c[0] for c in checks]
    for line, difference, tolerance in checks:
        assert difference <= tolerance, f"{path.name}: {line}"
