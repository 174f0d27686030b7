"""The benchmark harness runs (tiny sizes, chainrule and hand numpy only) and its pieces do what they say. No timing
is asserted anywhere: speed is judged by `make bench`, whose ratios come from one run on one machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import envs, harness
from benchmarks.__main__ import compiled_targets, main, merge, targets, workloads
from benchmarks.contenders import COMPILED, CONTENDERS, HAND, ORDER, maker
from benchmarks.workloads import CYCLE, Workload, data, hand_chain

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench_readme  # noqa: E402


def test_quick_suite_runs_in_subprocesses_and_writes_table_json_and_plot(tmp_path):
    out = tmp_path / "bench.md"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = out.read_text()
    assert "Command: `python -m benchmarks --quick" in text and "OPENBLAS_NUM_THREADS=1" in text
    assert bench_readme.START in text and bench_readme.END in text
    for w in workloads(quick=True):
        assert f"| **{w.name}** | hand numpy |" in text, w.name
    for engine in ("chainrule Tensor", "chainrule nn (Sequential, nn loss, nn.SGD)", "chainrule nn.fit",
                   "chainrule Value, node for node", "chainrule nn.MLP", COMPILED):
        assert f"| | {engine} |" in text, engine
    assert "trace+compile+run " in text  # a compiled row's one-off first call, shown beside it
    assert "not measured" not in text and "PyTorch" not in text.split(bench_readme.END)[0]
    rows = json.loads(out.with_suffix(".json").read_text())["rows"]
    assert rows and all(r["ratio"] > 0 and len(r["sessions"]) == 1 for r in rows)
    assert all(r["sessions"][0]["info"]["threadpools"] for r in rows)
    assert out.with_name("bench_scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("w", workloads(quick=True), ids=lambda w: w.name)
def test_each_of_our_contenders_computes_hand_numpys_losses(w):
    d = data(w)
    hand = CONTENDERS[HAND].makers[w.family](d)
    ref = [hand(), hand()]  # the second loss checks the update too
    ours = [c for c in CONTENDERS.values() if c.env == "ours" and w.family in c.makers]
    assert ours
    for c in ours:
        step = c.makers[w.family](d)
        np.testing.assert_allclose([step(), step()], ref, rtol=w.rtol, err_msg=c.name)


def test_hand_chain_gradients_are_chainrules():
    from autograd import Tensor

    d = data(Workload("c", "chain", dict(n_ops=40, backward=True)))
    step = hand_chain(d)
    step()
    leaves = [Tensor(d[k].copy(), requires_grad=True) for k in "xwb"]
    x = leaves[0]
    for _ in range(40 // CYCLE):
        x = (x * leaves[1] + leaves[2]).tanh()
        x = (x * 0.5).exp()
    x.sum().backward()
    for k, t in zip("xwb", leaves):
        np.testing.assert_allclose(step.grads[k], t.grad, rtol=1e-12)


def test_a_session_refuses_to_time_an_engine_whose_losses_disagree():
    w = workloads(quick=True)[3]  # small b8
    assert w.family == "small"
    ref = harness.reference_losses(w)
    with pytest.raises(AssertionError, match="not timed"):
        harness.session(w, CONTENDERS["chainrule Tensor"], [ref[0] * 1.01, ref[1]], sample=0.001)


def test_a_session_times_engine_and_hand_numpy_in_one_process_with_per_round_ratios():
    w = Workload("c", "chain", dict(n_ops=20, backward=False), rounds=3, unit="op")
    s = harness.session(w, CONTENDERS["chainrule Tensor"], harness.reference_losses(w), sample=0.001)
    assert s["processes"] == 1 and len(s["rounds"]["chainrule Tensor"]) == len(s["rounds"][HAND]) == 3
    per_round = [e / h for e, h in zip(s["rounds"]["chainrule Tensor"], s["rounds"][HAND])]
    assert s["ratio"] == pytest.approx(sorted(per_round)[1])


def test_engines_with_thread_pools_get_their_hand_numpy_in_another_process():
    for c in CONTENDERS.values():
        assert c.numpy_in_process == (c.env not in {"torch", "jax", "tinygrad"}), c.name
    assert set(ORDER) == set(CONTENDERS)


def test_maker_registers_a_row_in_one_function_and_refuses_two_environments():
    try:
        @maker("test row", "chain", env="ours")
        def one(d):
            return lambda: 0.0

        assert CONTENDERS["test row"].makers == {"chain": one} and CONTENDERS["test row"].numpy_in_process
        with pytest.raises(ValueError, match="two environments"):
            maker("test row", "large", env="torch")(one)
    finally:
        CONTENDERS.pop("test row", None)


def test_thread_env_pins_every_pool_or_leaves_the_defaults():
    one = harness.thread_env(1)
    assert one["OPENBLAS_NUM_THREADS"] == one["OMP_NUM_THREADS"] == "1" and "eigen=false" in one["XLA_FLAGS"]
    assert harness.thread_env(None) == {}


def test_peers_live_in_their_own_environments_never_the_test_one():
    assert envs.python_of("ours") == Path(sys.executable)
    for peer in envs.PEERS:
        assert envs.python_of(peer).is_relative_to(ROOT / "out" / "bench-envs" / peer)
    assert any(r.startswith("numpy==") for r in envs._requirements("hips"))


def test_an_environment_that_cannot_be_made_leaves_rows_that_say_why(tmp_path, monkeypatch):
    monkeypatch.setattr(envs, "ensure", lambda env, log=print: None if env == "ours" else "no network here")
    out = tmp_path / "b.md"
    assert main(["--quick", "--engines", "ours", "micrograd", "--only", "demo", "--no-scaling",
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert "| | micrograd 0.1.0 | not measured: its environment is unusable, see below |" in text
    assert "Not measured: micrograd 0.1.0: no network here" in text
    assert "| | chainrule nn.MLP |" in text


def _row(family, engine, workload, ratio, time=1e-3):
    return {"family": family, "engine": engine, "workload": workload, "ratio": ratio, "ratio_min": ratio * 0.9,
            "ratio_max": ratio * 1.1, "time": time}


def test_targets_are_judged_from_ratios_across_processes():
    rows = [_row("small", "chainrule Tensor", "small b100", 1.4), _row("small", "chainrule Tensor", "small b8", 1.8),
            _row("small", "chainrule nn (Sequential, nn loss, nn.SGD)", "small b8", 1.9),
            _row("chain", "chainrule Tensor", "chain forward+backward", 9, time=2.4e-6),
            _row("demo", "micrograd 0.1.0", "demo", 800), _row("demo", "chainrule nn.MLP", "demo", 20),
            _row("digits", "chainrule nn.fit", "digits", 1.5),
            _row("digits", "PyTorch nn.Module + torch.optim", "digits", 2.0)]
    got = {t: (m, ok) for t, m, ok in targets(rows)}
    assert got["small MLP b100: <= 1.5x hand numpy"][1] is True
    assert got["small MLP b8: <= 1.7x hand numpy"][1] is False
    assert got["per-op chain, forward+backward: <= 2.5 µs/op"] == ("2.40 µs/op", True)
    assert got["micrograd demo, nn.MLP: >= 30x faster than micrograd"][0].startswith("40.0x")
    assert got["nn path / raw Tensor ops, small b8: <= 1.10x"] == ("1.06x", True)
    assert got["digits s/epoch, nn.fit / PyTorch nn.Module + torch.optim: <= 0.7x"][1] is False


def test_compiled_targets_of_issue_15_are_judged_from_the_compiled_rows():
    rows = [_row("small", COMPILED, "small b100", 1.1), _row("small", COMPILED, "small b8", 1.4),
            _row("small", "chainrule Tensor", "small b8", 1.0),  # the eager row judges nothing here
            _row("chain", COMPILED, "chain forward+backward", 2, time=0.7e-6),
            _row("large", COMPILED, "large float32", 1.04), _row("large", COMPILED, "large float64", 1.06),
            _row("demo", "micrograd 0.1.0", "demo", 900), _row("demo", COMPILED, "demo", 20)]
    rows[0]["first_call"], rows[1]["first_call"], rows[-1]["first_call"] = 0.004, 0.06, 2.0
    rows[3]["hand"] = 0.35e-6
    got = {t: (m, ok) for t, m, ok in compiled_targets(rows)}
    assert got["compiled small MLP b100: <= 1.15x hand numpy"][1] is True
    assert got["compiled small MLP b8: <= 1.3x hand numpy"] == ("1.40x (1.26–1.54)", False)
    assert got["compiled per-op chain, forward+backward: <= 0.8 µs/op"] == (
        "0.70 µs/op (2.00x hand numpy's 0.35)", True)
    assert got["compiled large MLP float32: <= 1.05x hand numpy"][1] is True
    assert got["compiled large MLP float64: <= 1.05x hand numpy"][1] is False
    assert got["compiled micrograd demo, Value node for node: >= 30x faster than micrograd"] == (
        "45.0x (36.8–55.0); trace+compile 2 s", True)
    assert got["trace and compile of the small MLP step (b100): <= 50 ms"][1] is True
    assert got["trace and compile of the small MLP step (b8): <= 50 ms"][1] is False
    assert compiled_targets([r for r in rows if r["engine"] != COMPILED]) == []


def test_runs_are_merged_a_later_rows_replacing_an_earlier_ones(tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    assert main(["--quick", "--only", "forward only", "--no-scaling", "--out", str(a)]) == 0
    assert main(["--quick", "--only", "forward only", "--contenders", "compile", "--no-scaling", "--out", str(b)]) == 0
    run_a, run_b = (json.loads(p.with_suffix(".json").read_text()) for p in (a, b))
    assert {r["engine"] for r in run_b["rows"]} == {COMPILED}  # --contenders chose the row
    merged = merge([run_a, run_b])
    assert sorted(r["engine"] for r in merged["rows"]) == sorted(r["engine"] for r in run_a["rows"])
    assert [r for r in merged["rows"] if r["engine"] == COMPILED] == run_b["rows"]
    assert merged["command"] == f"{run_a['command']} + {run_b['command']}" and len(merged["parts"]) == 2
    out = tmp_path / "m.md"
    assert main(["--render", str(a.with_suffix(".json")), str(b.with_suffix(".json")), "--out", str(out)]) == 0
    text = out.read_text()
    assert "Rows from 1 later run(s) replace" in text
    assert f"| | {COMPILED} |" in text and "| | chainrule Tensor |" in text
    assert json.loads(out.with_suffix(".json").read_text())["parts"] == merged["parts"]
    # a merged JSON merges again (its parts are kept)
    assert len(merge([merged, run_b])["parts"]) == 3


def test_a_report_is_rendered_again_from_its_json_without_measuring(tmp_path):
    out = tmp_path / "b.md"
    assert main(["--quick", "--only", "forward only", "--no-scaling", "--out", str(out)]) == 0
    first = out.read_text()
    again = tmp_path / "again.md"
    assert main(["--render", str(out.with_suffix(".json")), "--out", str(again)]) == 0
    assert again.read_text() == first


def test_bench_readme_replaces_only_the_marked_block(tmp_path):
    readme = f"# x\n\nprose before\n{bench_readme.START}\nold table\n{bench_readme.END}\nprose after\n"
    bench = f"Command: `python -m benchmarks`\n{bench_readme.START}\n| new |\n{bench_readme.END}\nmethod\n"
    assert bench_readme.splice(readme, bench) == (
        f"# x\n\nprose before\n{bench_readme.START}\n| new |\n{bench_readme.END}\nprose after\n")
    with pytest.raises(ValueError, match="--quick"):
        bench_readme.splice(readme, bench.replace("benchmarks`", "benchmarks --quick`"))
    with pytest.raises(ValueError, match="README.md: expected one"):
        bench_readme.splice("no markers", bench)
    (tmp_path / "b.md").write_text(bench)
    (tmp_path / "R.md").write_text(readme)
    assert bench_readme.main(["--bench", str(tmp_path / "b.md"), "--readme", str(tmp_path / "R.md")]) == 0
    assert "| new |" in (tmp_path / "R.md").read_text()
    assert bench_readme.main(["--bench", str(tmp_path / "missing.md"), "--readme", str(tmp_path / "R.md")]) == 1


def test_the_readme_holds_a_generated_table():
    text = (ROOT / "README.md").read_text()
    block = bench_readme.block(text, "README.md")
    assert "| workload | engine |" in block and "Last full run:" in block
