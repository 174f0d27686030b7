"""The main job (make demo / chainrule-demo) runs and writes valid pictures."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import autograd
from nn.demo import main, perceptron, tiny_network, train_red_green


def test_perceptron_part_prints_the_lecture_numbers() -> None:
    out = io.StringIO()
    y = perceptron(out)
    text = out.getvalue()
    assert "sigmoid(-6) = 0.002473" in text
    assert "dy/dw1 = -0.002467" in text and "dy/dx1 =  0.007400" in text
    assert abs(y.data - 0.0024726231566347743) < 1e-15


def test_tiny_network_steps_and_explains() -> None:
    out = io.StringIO()
    J = tiny_network(out)
    text = out.getvalue()
    assert sum(line.startswith("   step ") for line in text.splitlines()) == 5  # five ops, five steps
    assert "sum over 1 path" in text and "dz1/dw1" in text
    assert J.data > 0


def test_demo_writes_its_files(tmp_path: Path, capsys) -> None:
    assert main(["--out", str(tmp_path), "--epochs", "5", "--quiet"]) == 0
    printed = capsys.readouterr().out
    graph = tmp_path / ("perceptron_graph.svg" if shutil.which("dot") else "perceptron_graph.dot")
    for path in (graph, tmp_path / "decision_boundary.png", tmp_path / "loss_curve.png"):
        assert path.exists() and str(path) in printed
    if graph.suffix == ".svg":
        root = ET.parse(graph).getroot()
        assert root.tag.endswith("svg")
        assert "sigmoid" in graph.read_text()
    else:
        assert graph.read_text().startswith("digraph")
    for png in ("decision_boundary.png", "loss_curve.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_command_runs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "nn.demo", "--out", str(tmp_path), "--epochs", "3"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "sigmoid(-6)" in done.stdout and "Pictures written" in done.stdout


def test_tiny_network_names_every_node_and_keeps_data_constant() -> None:
    out = io.StringIO()
    J = tiny_network(out)
    text = out.getvalue()
    assert "#" not in text  # every node has the lecture's name: no mul#5
    assert "y_hat = sigmoid(z2)" in text and "z2 = z1 * w2" in text
    assert "y: no gradient (constant)" in text and "x: no gradient (constant)" in text
    J.backward()  # the target and the input stay constants
    assert all(not n.requires_grad for n in autograd.topological_order(J) if n.label in ("x", "y"))


def test_training_reports_the_best_epoch_and_reads_the_curve() -> None:
    out = io.StringIO()
    train_red_green(epochs=8, verbose=0, out=out)
    text = out.getvalue()
    assert "best epoch: " in text and " of 8, validation loss " in text
    assert "Reading the loss curve: measured with the same final weights" in text
