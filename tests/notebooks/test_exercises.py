"""Every exercise of the course, both ways: its check passes on the solution (notebooks/solutions/) and fails on
the notebook's untouched blank, with a message that says what is wrong and points at the lecture's formula."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import nbformat
import pytest

from nn import course

ROOT = Path(__file__).resolve().parents[2]
CHECK = re.compile(r'^check\("(\w+)", (\w+)\)', flags=re.M)


def exercise_cells() -> dict[str, tuple[str, str, str]]:
    """exercise name -> (notebook stem, the blank cell's source, the function's name)."""
    found = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                for name, fn in CHECK.findall(cell.source):
                    found[name] = (path.stem, cell.source, fn)
    return found


CELLS = exercise_cells()


def test_every_exercise_is_in_its_notebook_and_every_lecture_notebook_has_two_to_four() -> None:
    coverage_table = runpy.run_path(str(Path(__file__).with_name("test_coverage.py")))["coverage_table"]
    assert sorted(CELLS) == sorted(course.EXERCISES)
    for name, (stem, _, _) in CELLS.items():
        assert course.EXERCISES[name].notebook == stem, f"{name} is checked in {stem}"
    per_notebook = {stem: 0 for stem, _ in coverage_table().values()}
    for stem, _, _ in CELLS.values():
        per_notebook[stem] = per_notebook.get(stem, 0) + 1
    assert len(per_notebook) >= 8 and all(2 <= n <= 4 for n in per_notebook.values()), per_notebook


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_solution_passes(name: str) -> None:
    stem, _, fn = CELLS[name]
    solution = runpy.run_path(str(ROOT / "notebooks" / "solutions" / f"{stem}.py"))[fn]
    verdict = course.verdict(name, solution)
    assert verdict.ok, verdict.message
    assert verdict.message.startswith(f"✓ {name}: right.")


@pytest.mark.parametrize("name", sorted(CELLS))
def test_the_blank_fails_and_says_why(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, source, fn = CELLS[name]
    namespace: dict = {"check": course.check, "np": pytest.importorskip("numpy")}
    exec(compile(source, f"<{name} blank>", "exec"), namespace)  # runs the cell as a student would, checks included
    assert f"✗ {name}:" in capsys.readouterr().out
    verdict = course.verdict(name, namespace[fn])
    assert not verdict.ok
    assert "replace the `...` with your code" in verdict.message
    assert "Hint: " in verdict.message and course.EXERCISES[name].hint in verdict.message


WRONG = {  # a classic mistake per exercise -> what its check must say
    "perceptron_output": (lambda x, w0, W: w0 + sum(a * b for a, b in zip(x, W)), "expected 0.0024726232, got -6"),
    "decision_line": (lambda w0, w1, w2, x1: (w0 + w1 * x1) / w2, "element 0 expected"),
    "relu_prime": (lambda z: (z >= 0).astype(float), "element 3 expected 0, got 1"),
    "dense_z": (lambda x, W, w0: W @ x[: W.shape[1]] if W.shape[0] != len(x) else x @ W, "expected"),
    "hidden_layer": (lambda x, W1, b1, W2, b2: 1 / (1 + __import__("numpy").exp(-(x @ W1 + b1))), "4 numbers"),
    "binary_cross_entropy": (lambda y, p: (y * __import__("numpy").log(p) + (1 - y) * __import__("numpy").log(1 - p))
                             .mean(), "the sign is flipped"),
    "dJ_dw1": (lambda x, y, w1, w2: 2 * (y - 1), "expected"),
    "central_difference": (lambda f, x, h: (f(x + h) - f(x)) / h, "that is the forward difference"),
    "momentum_step": (lambda w, b, g, eta, mu: w - eta * g, "return the pair (w, b)"),
    "inverted_dropout": (lambda x, mask, p: x * mask, "not scaled by 1 / (1 - p) = 2"),
    "early_stopping": (lambda losses, patience: (losses.index(min(losses)), None), "stopped epoch expected 4, got None"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_classic_mistake_is_named(name: str) -> None:
    answer, says = WRONG[name]
    verdict = course.verdict(name, answer)
    assert not verdict.ok and says in verdict.message, verdict.message


def test_the_early_stopping_exercise_is_the_rule_the_library_follows() -> None:
    """The exercise's rule (and its solution) stop where nn.train.EarlyStopping stops, on random loss curves."""
    import numpy as np

    from nn.train import EarlyStopping

    solution = runpy.run_path(str(ROOT / "notebooks" / "solutions" / "08_overfitting.py"))["early_stopping"]
    rng = np.random.default_rng(0)
    for _ in range(200):
        losses = list(rng.random(int(rng.integers(1, 15))).round(2))
        patience = int(rng.integers(1, 5))
        callback = EarlyStopping(monitor="val_loss", patience=patience)
        callback.on_train_begin()
        stopped = None
        for epoch, loss in enumerate(losses):
            callback.on_epoch_end(epoch, {"val_loss": loss})
            if callback.stopped_epoch:
                stopped = epoch
                break
        assert solution(losses, patience) == (callback.best_epoch, stopped), (losses, patience)
