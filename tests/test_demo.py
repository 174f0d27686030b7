"""The main job runs and prints the lecture's numbers."""

import io
import subprocess
import sys

from nn.demo import perceptron


def test_perceptron_part_prints_the_lecture_numbers() -> None:
    out = io.StringIO()
    y = perceptron(out)
    text = out.getvalue()
    assert "sigmoid(-6) = 0.002473" in text
    assert "dy/dw1 = -0.002467" in text and "dy/dx1 =  0.007400" in text
    assert abs(y.data - 0.0024726231566347743) < 1e-15


def test_demo_command_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "nn.demo"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "sigmoid(-6)" in done.stdout
