"""Random programs against eager and PyTorch (float64): the adversarial pass over trace/compile, Stepper and
explain of issue 12 ("Then"). Not collected by pytest; run it to reproduce the counts in the closing note:

    .venv/bin/python tests/support/fuzz_new.py 500      # programs per check (needs the interop extra for torch)

Each random program combines 1-3 broadcastable inputs (0-d included, some not requiring grad) with up to 14 ops
(unary, binary, reductions, indexing, cat/stack, where, matmul), reusing nodes. Checks: compiled (traced on the
first call, replayed on two more) vs eager vs torch for values and gradients; Program.source() run standalone;
Stepper.commit() vs backward() bit for bit; explain(...).total vs .grad; int/bool/float32 inputs.
"""

import sys

import numpy as np
import torch

import autograd as ag
from autograd import Tensor

torch.set_default_dtype(torch.float64)

UN = {
    "exp": (lambda t: (t * 0.3).exp(), lambda t: (t * 0.3).exp()),
    "tanh": (lambda t: t.tanh(), lambda t: t.tanh()),
    "sig": (lambda t: t.sigmoid(), lambda t: t.sigmoid()),
    "relu": (lambda t: t.relu(), lambda t: t.relu()),
    "sin": (lambda t: t.sin(), lambda t: t.sin()),
    "sq": (lambda t: t * t, lambda t: t * t),
    "logsq": (lambda t: (t * t + 1.0).log(), lambda t: (t * t + 1.0).log()),
    "sqrt": (lambda t: (t * t + 0.5).sqrt(), lambda t: (t * t + 0.5).sqrt()),
    "neg": (lambda t: -t, lambda t: -t),
    "abs": (lambda t: abs(t), lambda t: abs(t)),
    "clip": (lambda t: t.clip(-0.5, 0.7), lambda t: t.clip(-0.5, 0.7)),
    "sumk": (
        lambda t: t.sum(axis=-1, keepdims=True) if t.ndim else t,
        lambda t: t.sum(dim=-1, keepdim=True) if t.ndim else t,
    ),
    "meank": (
        lambda t: t.mean(axis=0, keepdims=True) if t.ndim else t,
        lambda t: t.mean(dim=0, keepdim=True) if t.ndim else t,
    ),
    "softmax": (lambda t: t.softmax(axis=-1) if t.ndim else t, lambda t: t.softmax(dim=-1) if t.ndim else t),
    "lsm": (lambda t: t.log_softmax(axis=-1) if t.ndim else t, lambda t: t.log_softmax(dim=-1) if t.ndim else t),
    "pow3": (lambda t: t**3, lambda t: t**3),
    "const": (lambda t: t * 2.5 - 1.0, lambda t: t * 2.5 - 1.0),
    "rconst": (lambda t: 1.0 - t, lambda t: 1.0 - t),
    "where": (lambda t: ag.where(t > 0, t, t * 0.1), lambda t: torch.where(t > 0, t, t * 0.1)),
    "max": (
        lambda t: t.max(axis=-1, keepdims=True) if t.ndim else t,
        lambda t: t.amax(dim=-1, keepdim=True) if t.ndim else t,
    ),
    "T": (lambda t: t.transpose() if t.ndim else t, lambda t: t.permute(*reversed(range(t.ndim))) if t.ndim else t),
}
BIN = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "max": (lambda a, b: ag.maximum(a, b), lambda a, b: torch.maximum(a, b)),
}


def gen_program(rng):
    """A list of instructions over a pool of nodes; all nodes share one broadcastable shape family."""
    n_in = rng.integers(1, 4)
    base = tuple(int(x) for x in rng.integers(1, 4, size=rng.integers(0, 3)))
    shapes = []
    for _ in range(n_in):
        s = list(base)
        # broadcast: drop leading dims or set some to 1
        if s and rng.random() < 0.4:
            s = s[rng.integers(0, len(s)) :]
        s = [1 if rng.random() < 0.2 else d for d in s]
        shapes.append(tuple(s))
    n_ops = rng.integers(1, 15)
    instrs = []
    pool = n_in
    for _ in range(n_ops):
        if rng.random() < 0.5:
            name = rng.choice(sorted(UN))
            a = rng.integers(0, pool)
            instrs.append(("u", name, a))
        else:
            name = rng.choice(sorted(BIN))
            a, b = rng.integers(0, pool, size=2)
            instrs.append(("b", name, a, b))
        pool += 1
    return shapes, instrs


def run(instrs, xs, lib):
    nodes = list(xs)
    k = 0 if lib == "ag" else 1
    for ins in instrs:
        if ins[0] == "u":
            nodes.append(UN[ins[1]][k](nodes[ins[2]]))
        else:
            nodes.append(BIN[ins[1]][k](nodes[ins[2]], nodes[ins[3]]))
    return nodes[-1]


def close(a, b, tol=1e-9):
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def trial(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    shapes, instrs = gen_program(rng)
    data = [rng.normal(size=s).astype(dtype) for s in shapes]
    data2 = [rng.normal(size=s).astype(dtype) for s in shapes]
    rgs = [bool(rng.random() < 0.8) for _ in shapes]

    def f(*xs):
        out = run(instrs, xs, "ag")
        return out.sum() * 1.0 if out.ndim else out * 1.0

    comp = ag.compile(f)
    problems = []
    for d in (data, data2, data):
        # eager
        xe = [Tensor(x.copy(), requires_grad=r) for x, r in zip(d, rgs)]
        ye = f(*xe)
        if ye.requires_grad:
            ye.backward()
        # compiled
        xc = [Tensor(x.copy(), requires_grad=r) for x, r in zip(d, rgs)]
        yc = comp(*xc)
        if yc.requires_grad:
            yc.backward()
        if not close(ye.data, yc.data):
            problems.append(("value", ye.data, yc.data))
        for a, b in zip(xe, xc):
            ga = None if a.grad is None else a.grad
            gb = None if b.grad is None else b.grad
            if (ga is None) != (gb is None) or (ga is not None and not close(ga, gb)):
                problems.append(("grad", ga, gb))
        # torch
        if dtype == np.float64:
            xt = [torch.tensor(x.copy(), requires_grad=r) for x, r in zip(d, rgs)]
            yt = run(instrs, xt, "t")
            yt = yt.sum() * 1.0 if yt.ndim else yt * 1.0
            if not close(ye.data, yt.detach().numpy()):
                problems.append(("torch value", ye.data, yt.detach().numpy()))
            if yt.requires_grad:
                yt.backward()
            for a, b in zip(xe, xt):
                if b.grad is not None and a.grad is not None and not close(a.grad, b.grad.numpy()):
                    problems.append(("torch grad", a.grad, b.grad.numpy()))
    if comp.traces != 1:
        problems.append(("traces", comp.traces))
    # source() runs
    try:
        prog = comp.programs[next(iter(comp.programs))]
        src = prog.source()
        ns = {}
        exec(src, ns)
        outs, grads = ns[prog.name](*[x.copy() for x in data])
        xe = [Tensor(x.copy(), requires_grad=r) for x, r in zip(data, rgs)]
        ye = f(*xe)
        if not close(outs, ye.data):
            problems.append(("source value", outs, ye.data))
        if ye.requires_grad:
            ye.backward()
            for s in prog.inputs:
                if s.name in grads and not close(grads[s.name], xe[s.index].grad):
                    problems.append(("source grad", s.name, grads[s.name], xe[s.index].grad))
    except Exception as e:
        problems.append(("source exc", repr(e)))
    return shapes, instrs, rgs, problems


UN.update(
    {
        "slice": (lambda t: t[..., ::-1] if t.ndim else t, lambda t: t.flip(-1) if t.ndim else t),
        "idx0": (lambda t: t[0:1] if t.ndim else t, lambda t: t[0:1] if t.ndim else t),
        "fancy": (lambda t: t[np.array([0, 0])] if t.ndim else t, lambda t: t[torch.tensor([0, 0])] if t.ndim else t),
        "reshape": (lambda t: t.reshape(-1), lambda t: t.reshape(-1)),
        "lse": (
            lambda t: t.logsumexp(axis=-1, keepdims=True) if t.ndim else t,
            lambda t: t.logsumexp(dim=-1, keepdim=True) if t.ndim else t,
        ),
        "var": (
            lambda t: t.var(axis=-1, keepdims=True) if t.ndim and t.shape[-1] > 1 else t,
            lambda t: t.var(dim=-1, keepdim=True, unbiased=False) if t.ndim and t.shape[-1] > 1 else t,
        ),
        "mean": (lambda t: t.mean(), lambda t: t.mean()),
        "cat": (
            lambda t: ag.cat([t, t * 2.0], axis=-1) if t.ndim else t,
            lambda t: torch.cat([t, t * 2.0], dim=-1) if t.ndim else t,
        ),
        "stack": (lambda t: ag.stack([t, t.exp()]), lambda t: torch.stack([t, t.exp()])),
        "bcast": (lambda t: t.broadcast_to((2,) + t.shape), lambda t: t.broadcast_to((2,) + tuple(t.shape))),
        "min": (lambda t: t.min(axis=0) if t.ndim else t, lambda t: t.amin(dim=0) if t.ndim else t),
        "lrelu": (lambda t: t.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
        "softplus": (lambda t: t.softplus(), lambda t: torch.nn.functional.softplus(t)),
    }
)
BIN.update(
    {
        "matmulT": (
            lambda a, b: a @ b.transpose() if a.ndim == 2 and b.ndim == 2 and a.shape[-1] == b.shape[-1] else a + b,
            lambda a, b: a @ b.T if a.ndim == 2 and b.ndim == 2 and a.shape[-1] == b.shape[-1] else a + b,
        ),
        "min2": (lambda a, b: ag.minimum(a, b), lambda a, b: torch.minimum(a, b)),
    }
)


def stepper_and_explain(seed):
    from autograd import Stepper, explain

    rng = np.random.default_rng(seed)
    shapes, instrs = gen_program(rng)
    d = [rng.normal(size=s) for s in shapes]

    def build():
        xs = [Tensor(x.copy(), requires_grad=True) for x in d]
        out = run(instrs, xs, "ag")
        return xs, (out.sum() if out.ndim else out * 1.0)

    xa, la = build()
    xb, lb = build()
    la.backward()
    s = Stepper(lb)
    s.goto(-1)
    s.commit()
    bad = [i for i, (a, b) in enumerate(zip(xa, xb)) if not np.array_equal(a.grad, b.grad)]  # None == None
    for x in xa:
        if x.data.size:
            idx = tuple(int(rng.integers(0, n)) for n in x.data.shape)
            if not np.isclose(
                explain(la, x, index=idx or None).total, (0.0 if x.grad is None else x.grad[idx]), rtol=1e-9, atol=1e-12
            ):
                bad.append(("explain", idx))
    return bad


def mixed_dtypes(seed):
    rng = np.random.default_rng(seed)
    shapes, instrs = gen_program(rng)
    dts = [str(rng.choice(["int64", "bool", "float64", "float32", "int32"])) for _ in shapes]
    rgs = [dt.startswith("float") and bool(rng.random() < 0.7) for dt in dts]

    def f(*xs):
        out = run(instrs, [x * 1.0 for x in xs], "ag")
        return out.sum() * 1.0 if out.ndim else out * 1.0

    c = ag.compile(f)
    bad = []
    for _ in range(2):
        data = [(rng.normal(size=s) * 3).astype(dt) for s, dt in zip(shapes, dts)]
        xe = [Tensor(x.copy(), requires_grad=r) for x, r in zip(data, rgs)]
        xc = [Tensor(x.copy(), requires_grad=r) for x, r in zip(data, rgs)]
        ye, yc = f(*xe), c(*xc)
        if ye.requires_grad:
            ye.backward()
            yc.backward()
        if ye.data.dtype != yc.data.dtype or not np.allclose(ye.data, yc.data, equal_nan=True):
            bad.append("value")
        for a, b in zip(xe, xc):
            if (a.grad is None) != (b.grad is None) or (
                a.grad is not None and (a.grad.dtype != b.grad.dtype or not np.allclose(a.grad, b.grad, equal_nan=True))
            ):
                bad.append("grad")
    return bad


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for what, check in [
        ("compiled vs eager vs torch (float64)", lambda s: trial(s)[3]),
        ("compiled vs eager (float32)", lambda s: trial(s, np.float32)[3]),
        ("Stepper.commit vs backward, explain vs .grad", stepper_and_explain),
        ("compiled vs eager, int/bool/float32/float64 inputs", mixed_dtypes),
    ]:
        bad = raised = 0
        for seed in range(n):
            try:
                problems = check(seed)
            except ag.ShapeError:  # the generator's transpose can make shapes that do not broadcast
                raised += 1
                continue
            if problems:
                bad += 1
                print("  seed", seed, str(problems)[:300])
        print(f"{n} programs, {what}: {bad} mismatching ({raised} refused with ShapeError by the generator's shapes)")
