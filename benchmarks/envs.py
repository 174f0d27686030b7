"""The peers' virtual environments: ``out/bench-envs/<name>``, made and filled by ``make bench``, never ``.venv``.

Each peer gets its own environment so that nothing it installs reaches the test environment, and so that HIPS
autograd (import name ``autograd``, like ours) can be imported at all. Every environment gets the same numpy as
ours, so the hand-written numpy each engine is measured against runs on the same numpy and BLAS everywhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_DIR = ROOT / "out" / "bench-envs"

#: name -> the pip requirements of that peer (numpy and threadpoolctl are added to each)
PEERS: dict[str, list[str]] = {
    "torch": ["torch==2.13.0"],  # the CPU wheel this machine has locally
    "jax": ["jax", "jaxlib"],
    "hips": ["autograd"],  # HIPS autograd: its import name clashes with ours, hence an environment of its own
    "micrograd": ["micrograd==0.1.0"],
    "tinygrad": ["tinygrad"],
}


#: name -> a line of Python that must run in the environment for its rows to be measured
PROBES: dict[str, str] = {
    "tinygrad": "import numpy as np; from tinygrad import Tensor; Tensor(np.ones(2, np.float32)).sum().numpy()",
}


def python_of(env: str) -> Path:
    """The interpreter of an environment: ours is the interpreter running this code (the project's .venv)."""
    return Path(sys.executable) if env == "ours" else ENV_DIR / env / "bin" / "python"


def _requirements(env: str) -> list[str]:
    import numpy

    return [f"numpy=={numpy.__version__}", "threadpoolctl", *PEERS[env]]


def ensure(env: str, log=print) -> str | None:
    """Create and fill ``out/bench-envs/<env>`` unless already done; None when usable, else the reason it is not."""
    if env == "ours":
        return None
    where = ENV_DIR / env
    stamp = where / ".bench-requirements.json"
    reqs = _requirements(env)
    if stamp.exists() and json.loads(stamp.read_text()) == reqs and python_of(env).exists():
        return probe(env)
    log(f"   installing {' '.join(reqs)} into {where.relative_to(ROOT)} ...")
    steps = [[sys.executable, "-m", "venv", "--clear", str(where)],
             [str(python_of(env)), "-m", "pip", "install", "-q", "--only-binary=:all:", *reqs]]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip() and "WARNING" not in ln]
            return f"`{' '.join(cmd[2:5])} ...` failed: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"
    stamp.write_text(json.dumps(reqs))
    return probe(env)


def probe(env: str) -> str | None:
    """None when the environment's library runs here, else why not (e.g. tinygrad's CPU backend needs clang)."""
    if env not in PROBES:
        return None
    proc = subprocess.run([str(python_of(env)), "-c", PROBES[env]], capture_output=True, text=True, timeout=300)
    if proc.returncode == 0:
        return None
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    why = lines[-1] if lines else f"exit {proc.returncode}"
    if env == "tinygrad" and shutil.which("clang") is None:
        why += " (tinygrad's CPU backend compiles its kernels with clang, which this machine does not have)"
    return f"installed, but does not run: {why}"


if __name__ == "__main__":
    for name in sys.argv[1:] or PEERS:
        print(name, ensure(name) or "ok", flush=True)
