"""What a user installs: the wheel and the sdist build, the wheel carries the two packages (with their type hints)
and nothing else, its metadata lists the license, URLs and classifiers, and the README's tour runs from the
installed wheel in a fresh virtual environment, in a folder with none of the repository's files.

numpy and graphviz (the only dependencies) come from pip's cache or PyPI, like a user's `pip install`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("build", reason="the packaging test needs 'build' (in the test extra)")


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> str:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # the sdist first, then the wheel built from the unpacked sdist (build's default): the sdist is complete
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], cwd=ROOT)
    return out


def test_the_wheel_holds_the_two_packages_and_nothing_else(dist) -> None:
    (wheel,) = dist.glob("chainrule-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"autograd", "nn", wheel.name.split("-py")[0] + ".dist-info"}, tops
    assert "autograd/py.typed" in names and "nn/py.typed" in names
    assert not [n for n in names if re.search(r"(^|/)(tests?|notebooks|benchmarks)/|\.ipynb$", n)]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    (sdist,) = dist.glob("chainrule-*.tar.gz")
    assert sdist.stat().st_size > 10_000


def test_the_readme_tour_runs_from_the_installed_wheel(dist, tmp_path) -> None:
    (wheel,) = dist.glob("chainrule-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)], cwd=tmp_path)

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks, "the README has no Python tour"
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "tour.py").write_text("\n".join(blocks))
    printed = _run([str(py), "-I", "tour.py"], cwd=work)  # -I: no repository folder on sys.path
    assert "sum over 1 path" in printed and "val_accuracy" in printed
    where = _run([str(py), "-I", "-c", "import autograd, nn; print(autograd.__file__, nn.__file__)"], cwd=work)
    assert str(ROOT) not in where and str(venv) in where  # the installed copy ran, not the checkout

    shown = _run([str(py), "-m", "pip", "show", "-v", "chainrule"], cwd=work)
    # (an older pip's `show` leaves License empty for a PEP 639 License-Expression: read the metadata itself)
    lic = _run([str(py), "-I", "-c", "from importlib.metadata import metadata; "
                "print(metadata('chainrule')['License-Expression'])"], cwd=work)
    assert lic.strip() == "MIT"
    urls = shown.split("Project-URLs:")[1]
    for name in ("Homepage", "Documentation", "Changelog"):
        assert re.search(rf"^\s+{name}, https://", urls, flags=re.M), name
    classifiers = shown.split("Classifiers:")[1].split("Entry-points:")[0]
    assert "Typing :: Typed" in classifiers and "License" not in classifiers.replace("License-", "")
    assert "Programming Language :: Python :: 3" in classifiers
