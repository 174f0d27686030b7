"""The benchmark suite runs (tiny sizes) and prints its table. No timing is asserted anywhere: speed is judged by
`make bench`, whose ratios come from one run on one machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.__main__ import BENCHMARKS, main
from benchmarks.common import HEADER, Row, interleaved, markdown_table
from benchmarks.digits import digits_split, ours_fit, ours_loop, torch_loop
from benchmarks.scalar import build_chain, demo_step, initial_weights, our_mlp, two_moons
from benchmarks.tensor_mlp import hand_large, hand_small, init_mlp, ours_large, ours_small

ROOT = Path(__file__).resolve().parent.parent


def test_quick_suite_runs_in_a_subprocess_and_writes_the_table(tmp_path):
    out = tmp_path / "bench.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    header = "| " + " | ".join(HEADER) + " |"
    assert header in proc.stdout
    text = out.read_text()
    assert header in text and "Command: `python -m benchmarks --quick`" in text
    for needle in ("micrograd demo step", "chain of", "memory per graph node", "tensor large", "tensor small",
                   "per-op overhead", "digits 64-64-10"):
        assert needle in text, needle
    assert "FAILED" not in text


def test_rows_without_micrograd_and_torch_are_skipped_gracefully(tmp_path, monkeypatch, capsys):
    for name in ("micrograd", "micrograd.engine", "micrograd.nn", "torch"):
        monkeypatch.setitem(sys.modules, name, None)  # `import name` now raises ImportError
    out = tmp_path / "b.md"
    assert main(["--quick", "--only", "micrograd", "--only", "small", "--out", str(out)]) == 0
    text = out.read_text()
    assert "micrograd not installed" in text
    assert "PyTorch: not installed" in text and "PyTorch eager" not in text
    assert text.count("tensor small") == 2  # batch 100 and 8, no PyTorch rows
    assert "| " + " | ".join(HEADER) + " |" in capsys.readouterr().out


def test_only_rejects_an_unknown_benchmark():
    with pytest.raises(SystemExit):
        main(["--only", "nonexistent"])
    assert set(BENCHMARKS) == {"micrograd", "chain", "large", "small", "per_op", "digits"}


def test_markdown_table_and_row_cells():
    rows = [Row("a", "1 ms", "2 ms", 0.5, "<= 1x", True), Row("b", "3 ms", "—", None), Row("c", "x", "y", 2.0,
                                                                                         "<= 1x", False)]
    lines = markdown_table(rows).splitlines()
    assert lines[0] == "| benchmark | ours | baseline | ratio | target | met? |"
    assert lines[2] == "| a | 1 ms | 2 ms | 0.5x | <= 1x | yes |"
    assert lines[3] == "| b | 3 ms | — | — | — | info |"
    assert lines[4].endswith("| 2x | <= 1x | **NO** |")


def test_interleaved_times_every_contender():
    calls = {"a": 0, "b": 0}

    def bump(k):
        calls[k] += 1

    med = interleaved({"a": lambda: bump("a"), "b": lambda: bump("b")}, repeats=3, number=2, warmup=1)
    assert set(med) == {"a", "b"} and all(v >= 0 for v in med.values())
    assert calls == {"a": 7, "b": 7}  # 1 warm-up + 3 repeats x 2


def test_two_moons_is_seeded_and_balanced():
    X, y = two_moons(20)
    assert (X, y) == two_moons(20)
    assert len(X) == 20 and sorted(set(y)) == [-1.0, 1.0] and sum(y) == 0


def test_both_neuron_styles_give_the_same_demo_loss():
    from autograd import Value

    X, y = two_moons(6)
    w = initial_weights([2, 4, 4, 1])
    losses = []
    for nfn in (False, True):
        model, params = our_mlp(w, node_for_node=nfn)
        losses.append((demo_step(model, params, Value, X, y), demo_step(model, params, Value, X, y)))
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-12)
    assert losses[0][0] != losses[0][1]  # the SGD update changed the weights


def test_chain_gradient_is_the_product_of_the_factors():
    from autograd import Value

    leaf, root = build_chain(Value, 200)
    root.backward()
    assert leaf.grad == pytest.approx(1.0000001**100, rel=1e-12)


@pytest.mark.parametrize("dtype,rtol", [(np.float32, 1e-4), (np.float64, 1e-10)])
def test_hand_numpy_and_ours_agree_on_the_large_step(dtype, rtol):
    Ws, bs = init_mlp([20, 8, 6, 5], dtype)
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((7, 20)).astype(dtype), rng.integers(0, 5, size=7)
    hand, ours = hand_large(Ws, bs, X, y), ours_large(Ws, bs, X, y)
    for _ in range(3):
        np.testing.assert_allclose(ours(), hand(), rtol=rtol)


def test_hand_numpy_and_ours_agree_on_the_small_step():
    Ws, bs = init_mlp([2, 16, 16, 1], np.float64)
    X, y = two_moons(8)
    Y = (np.asarray(y).reshape(-1, 1) > 0).astype(np.float64)
    hand, ours = hand_small(Ws, bs, np.asarray(X), Y), ours_small(Ws, bs, np.asarray(X), Y)
    for _ in range(3):
        np.testing.assert_allclose(ours(), hand(), rtol=1e-12)


def test_digits_quick_runs_and_reports_both_dtypes(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "d.md"
    assert main(["--quick", "--only", "digits", "--out", str(out)]) == 0
    text = out.read_text()
    assert "Command: `python -m benchmarks --quick --only digits`" in text
    for dtype in ("float64", "float32"):
        assert f"b32 {dtype}, 240 train samples: nn.fit, s/epoch" in text
        assert f"b32 {dtype}, 240 train samples: explicit loop, s/epoch" in text
        assert f"b32 {dtype}, 240 train samples: held-out 20% accuracy after 2 epochs" in text
    assert ">= 97% (full run only) | info |" in text  # two epochs on a subset do not judge the accuracy
    assert "FAILED" not in text and "**NO**" not in text


def test_digits_row_is_skipped_without_scikit_learn(tmp_path, monkeypatch):
    for name in ("sklearn", "sklearn.datasets"):
        monkeypatch.setitem(sys.modules, name, None)
    out = tmp_path / "d.md"
    assert main(["--quick", "--only", "digits", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| digits 64-64-10: skipped |" in text and "scikit-learn not installed" in text


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_digits_contenders_start_alike_and_see_the_same_batches(dtype):
    pytest.importorskip("sklearn")
    data = tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in digits_split(quick=True))
    fit_epoch, fit_held = ours_fit(data, dtype)
    loop_epoch, loop_held = ours_loop(data, dtype)
    before = loop_held()
    assert fit_held() == before
    for _ in range(2):  # the second epoch checks that both reshuffle alike
        fit_epoch()
        loop_epoch()
    after = loop_held()
    assert after[0] < before[0]  # Adam trained
    np.testing.assert_allclose(fit_held(), after, rtol=1e-12 if dtype == np.float64 else 1e-6)
    torch = pytest.importorskip("torch")
    torch_epoch, torch_held = torch_loop(torch, data, dtype)
    np.testing.assert_allclose(torch_held()[0], before[0], rtol=1e-12 if dtype == np.float64 else 1e-5)
    for _ in range(2):
        torch_epoch()
    np.testing.assert_allclose(torch_held()[0], after[0], rtol=1e-9 if dtype == np.float64 else 1e-4)
