"""Every ```python block of the documentation's pages runs, page by page in order, as a reader would paste it.

A page whose code cannot run here says so in its front matter (``examples: not-run``, with the reason in the
page); a page that needs optional packages lists them (``requires: torch onnx``) and is skipped, saying which,
where they are not installed (the ``interop`` extra brings them; CI installs it).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import matplotlib
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)


def _blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_the_pages_have_examples() -> None:
    assert sum(len(_blocks(p.read_text())) for p in PAGES) >= 15


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(page: Path, tmp_path, monkeypatch) -> None:
    text = page.read_text()
    if re.match(r"---\n(?:.*\n)*?examples: not-run\n(?:.*\n)*?---\n", text):
        pytest.skip(f"{page.name}: its front matter says its examples are not run here")
    needs = re.match(r"---\n(?:.*\n)*?requires: (.*)\n(?:.*\n)*?---\n", text)
    missing = [m for m in (needs.group(1).split() if needs else []) if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{page.name} needs {', '.join(missing)} (pip install -e '.[interop]')")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "docs_example"}
    for i, code in enumerate(_blocks(text)):
        exec(compile(code, f"{page.name} block {i + 1}", "exec"), ns)
