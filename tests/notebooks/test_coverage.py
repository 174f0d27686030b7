"""The README's coverage table: every section of the lecture is taught by a notebook that exists, in a section
that exists. The titles below are the lecture's own (its slides' text), in the lecture's order."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]

LECTURE_SECTIONS = [
    "Why Deep Learning?",
    "Why Now?",
    "The Perceptron",
    "The Perceptron - Output Computation (i.e., Forward Pass)",
    "Beyond Sigmoid - Activation Functions",
    "Activation Functions",
    "The Perceptron – An Example of 2 Features",
    "From Perceptron to Neural Network",
    "The Perceptron in Matrix Form",
    "The Perceptron: Compact Notation",
    "Beyond One Output – Multivariate Case",
    "Now, Neural Network",
    "Beyond Single Layer - Deep Neural Network",
    "Example Problem",
    "Computing Loss (i.e., Error)",
    "Empirical Loss",
    "Binary Classification Case – Recall Logistic Regression",
    "Regression Case – Recall Linear Regression",
    "Model Training",
    "Loss Surface",
    "Gradient Descent",
    "Computing Gradients",
    "Model Training Techniques",
    "Mini-Batch Training",
    "Adaptive Learning Rates",
    "GD Variants",
    "Dealing with Model Overfitting",
    "Regularization",
    "Dropout",
    "Early Stopping",
]


def coverage_table() -> dict[str, tuple[str, str]]:
    """lecture section -> (notebook, section there), from the README's table."""
    rows = {}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    course = re.search(r"^## The course.*?(?=^## )", readme, flags=re.S | re.M)
    assert course, "README.md has no '## The course' section"
    for line in course.group(0).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[1].startswith(("0", "1")) and cells[1][:2].isdigit():
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def headings(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [m.group(1).strip() for c in nb.cells if c.cell_type == "markdown"
            for m in re.finditer(r"^#+\s+(.*)$", c.source, flags=re.M)]


def test_the_table_is_there() -> None:
    assert len(coverage_table()) >= len(LECTURE_SECTIONS)


@pytest.mark.parametrize("title", LECTURE_SECTIONS)
def test_every_lecture_section_is_taught(title: str) -> None:
    table = coverage_table()
    assert title in table, f"the README's coverage table has no row for the lecture's section {title!r}"
    notebook, section = table[title]
    path = ROOT / "notebooks" / f"{notebook}.ipynb"
    assert path.exists(), f"{title!r} is taught by {notebook}, which is not in notebooks/"
    assert section in headings(path), f"{notebook} has no heading {section!r} (its headings: {headings(path)})"
