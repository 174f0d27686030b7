"""trace / compile: the recorded program computes what eager execution computes, values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import BUILDERS
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Tensor, TraceError, Value, strategies

TOL = 1e-12


def close(a, b):
    return np.allclose(a, b, rtol=TOL, atol=TOL, equal_nan=False)


# ----------------------------------------------------------------------------------------------------------------
# Random Value programs (the builders of tests/support/graphs.py, as a function of the leaves)
# ----------------------------------------------------------------------------------------------------------------


@st.composite
def value_programs(draw):
    n = draw(st.integers(1, 4))
    pick = st.sampled_from(sorted(BUILDERS))
    recipe = [(draw(pick), draw(st.integers(0, n + k - 1)), draw(st.integers(0, n + k - 1)))
              for k in range(draw(st.integers(1, 15)))]

    def f(*leaves):
        nodes = list(leaves)
        for name, i, j in recipe:
            nodes.append(BUILDERS[name](nodes[i], nodes[j]))
        return nodes[-1]

    xs = [draw(st.floats(-1.5, 1.5)) for _ in range(n)]
    ys = [draw(st.floats(-1.5, 1.5)) for _ in range(n)]
    return f, xs, ys


def eager_value(f, xs):
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


@given(value_programs())
def test_random_value_programs_compiled_and_source_equal_eager(case):
    f, xs, ys = case
    cf = autograd.compile(f)
    for data in (xs, ys):  # the first call traces, the second replays
        leaves = [Value(x) for x in data]
        out = cf(*leaves)
        out.backward()
        want, grads = eager_value(f, data)
        assert close(out.data, want)
        assert close([v.grad for v in leaves], grads)
    assert cf.traces == 1
    program = autograd.trace(f, *[Value(x) for x in xs])
    ns: dict = {}
    exec(program.source(), ns)
    value, grads = ns[program.name](*ys)
    want, want_grads = eager_value(f, ys)
    assert close(value, want)
    names = [s.name for s in program.inputs]
    assert close([grads.get(n, 0.0) for n in names], want_grads)


# ----------------------------------------------------------------------------------------------------------------
# Random Tensor programs: broadcasting, reductions, matmul, where
# ----------------------------------------------------------------------------------------------------------------

UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp_small": lambda a: (a * 0.1).exp(),
    "square": lambda a: a**2,
    "relu": lambda a: a.relu(),
    "sum_keep": lambda a: a.sum(axis=-1, keepdims=True) if a.ndim else a,
    "mean": lambda a: a.mean(),
    "where": lambda a: autograd.where(a > 0, a, a * -0.5),
}
BINARY = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / (b * b + 1.0),
}


@st.composite
def tensor_programs(draw):
    sa, sb = draw(strategies.broadcastable_shapes(max_dims=3, max_side=3))
    a1, a2 = draw(strategies.arrays(sa, min_value=-2, max_value=2)), draw(strategies.arrays(sa, min_value=-2,
                                                                                            max_value=2))
    b1, b2 = draw(strategies.arrays(sb, min_value=-2, max_value=2)), draw(strategies.arrays(sb, min_value=-2,
                                                                                            max_value=2))
    grad_b = draw(st.booleans())
    steps = [(draw(st.sampled_from(sorted(UNARY))), draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, 2)))
             for _ in range(draw(st.integers(1, 6)))]

    def f(a, b):
        nodes = [b, a]  # the chain starts at a: the result depends on it
        for u, bi, k in steps:
            x = UNARY[u](nodes[-1])
            nodes.append(BINARY[bi](x, nodes[min(k, len(nodes) - 1)]))
        return nodes[-1].sum()

    return f, (a1, b1), (a2, b2), grad_b


def eager_tensor(f, a, b, grad_b):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=grad_b)
    out = f(ta, tb)
    out.backward()
    return out.data, ta.grad, tb.grad


@given(tensor_programs())
def test_random_tensor_programs_compiled_and_source_equal_eager(case):
    f, first, second, grad_b = case
    cf = autograd.compile(f)
    for a, b in (first, second):
        ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=grad_b)
        out = cf(ta, tb)
        out.backward()
        want, ga, gb = eager_tensor(f, a, b, grad_b)
        assert close(out.data, want)
        assert ta.grad.shape == a.shape and close(ta.grad, ga)
        assert (tb.grad is None) == (gb is None)
        if gb is not None:
            assert close(tb.grad, gb)
    assert cf.traces == 1
    program = autograd.trace(f, Tensor(first[0], requires_grad=True), Tensor(first[1], requires_grad=grad_b))
    ns: dict = {}
    exec(program.source(), ns)
    value, grads = ns[program.name](*second)
    want, ga, gb = eager_tensor(f, *second, grad_b)
    assert close(value, want) and close(grads["a"], ga)
    assert ("b" in grads) == (gb is not None)
    if gb is not None:
        assert close(grads["b"], gb)


# ----------------------------------------------------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------------------------------------------------


def test_print_shows_forward_and_backward_with_the_registry_formulas():
    w = Tensor([3.0, -2.0], requires_grad=True, label="w")
    program = autograd.trace(lambda x: (x @ w + 1.0).sigmoid(), Tensor([-1.0, 2.0]))
    text = str(program)
    assert "t1 = x @ w" in text and "t3 = sigmoid(t2)" in text
    assert autograd.REGISTRY["sigmoid"].formula[0].replace("x", "t2") in text
    assert "d_w = x^T @ d_t1" in text and "w.grad += d_w" in text
    html = program._repr_html_()
    assert "<table>" in html and "sigmoid" in html


def test_accumulation_and_unbroadcasting_are_written_out():
    b = Tensor(np.zeros(3), requires_grad=True, label="b")
    program = autograd.trace(lambda x: ((x + b) * (x + b)).sum(), Tensor(np.ones((2, 3))))
    text = str(program)
    assert "d_b += unbroadcast(" in text or "d_b = unbroadcast(" in text
    assert "+=" in text  # b feeds two consumers: the second contribution is added
    assert "np.ones((), dtype=np.float64)" in program.source() or "d_" in program.source()


# ----------------------------------------------------------------------------------------------------------------
# compile: cache, retracing, gradients, control flow
# ----------------------------------------------------------------------------------------------------------------


def test_retraces_on_shape_dtype_and_requires_grad_change_and_keeps_a_small_cache():
    cf = autograd.compile(lambda x: (x * x).sum(), cache_size=2)
    cf(Tensor(np.ones(3), requires_grad=True))
    cf(Tensor(np.full(3, 2.0), requires_grad=True))
    assert cf.traces == 1
    cf(Tensor(np.ones(4), requires_grad=True))  # shape
    cf(Tensor(np.ones(4, dtype=np.float32), requires_grad=True))  # dtype
    assert cf.traces == 3 and len(cf.programs) == 2
    out = cf(Tensor(np.ones(4, dtype=np.float32)))  # requires-grad flag
    assert cf.traces == 4 and out.data.dtype == np.float32
    cf(Tensor(np.ones(3), requires_grad=True))  # dropped from the LRU cache of 2: traced again
    assert cf.traces == 5


def test_gradients_accumulate_in_grad_as_backward_does():
    w = Tensor([1.0, 2.0], requires_grad=True)

    @autograd.compile
    def step(x):
        loss = (x * w).tanh().sum()
        loss.backward()
        return loss

    x = Tensor([0.5, -0.25])
    step(x)
    g1 = w.grad.copy()
    step(x)
    assert close(w.grad, 2 * g1)
    ref = Tensor([1.0, 2.0], requires_grad=True)
    (x * ref).tanh().sum().backward()
    assert close(g1, ref.grad)


def test_compiled_output_backward_outside_lands_in_the_inputs_grad():
    cf = autograd.compile(lambda x, y: (x * y + x.exp()).sum())
    for vals in ([1.0, 2.0], [0.3, -1.0]):
        x, y = Tensor(vals, requires_grad=True), Tensor([2.0, 3.0])
        out = cf(x, y)
        out.backward()
        out.backward()  # twice: doubles, as eager
        assert close(x.grad, 2 * (np.array([2.0, 3.0]) + np.exp(vals)))
        assert y.grad is None


def test_where_on_a_traced_comparison_is_recomputed_on_every_call():
    cf = autograd.compile(lambda x: autograd.where(x > 0, x * 2.0, x * -1.0).sum())
    for vals in ([1.0, -1.0, 2.0], [-3.0, 4.0, -5.0]):
        x = Tensor(vals, requires_grad=True)
        out = cf(x)
        out.backward()
        v = np.array(vals)
        assert close(out.data, np.where(v > 0, 2 * v, -v).sum())
        assert close(x.grad, np.where(v > 0, 2.0, -1.0))


@pytest.mark.parametrize("how", ["bool", "float", "item", "value"])
def test_control_flow_on_traced_values_is_a_clear_error_naming_the_line(how):
    def f(x):
        if how == "bool":
            if x.sum() > 0:  # the line the error names
                return x * 2
        elif how == "float":
            return x * float(x.sum())
        elif how == "item":
            return x * x.sum().item()
        return x

    def g(v):
        if v > 0:
            return v * 2
        return v

    with pytest.raises(TraceError) as e:
        if how == "value":
            autograd.compile(g)(Value(1.0))
        else:
            autograd.compile(f)(Tensor([1.0, 2.0], requires_grad=True))
    msg = str(e.value)
    assert "test_trace.py" in msg and "autograd.where" in msg and "eagerly" in msg
    assert Tensor([1.0]).item() == 1.0 and float(Value(2.0)) == 2.0  # hooks are gone after tracing


def test_create_graph_is_refused_while_tracing():
    def f(x):
        y = (x * x).sum()
        y.backward(create_graph=True)
        return y

    with pytest.raises(TraceError, match="first-order"):
        autograd.compile(f)(Tensor([1.0], requires_grad=True))


# ----------------------------------------------------------------------------------------------------------------
# Training: a compiled step, fit(compile=True)
# ----------------------------------------------------------------------------------------------------------------


def _model(seed=0):
    return nn.Sequential(nn.Dense(2, 8, "tanh", rng=seed), nn.Dense(8, 1, None, rng=seed + 1))


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, :1] * X[:, 1:] > 0).astype(np.float64)


@pytest.mark.parametrize("Opt", [nn.optim.SGD, nn.optim.Adam])
def test_a_compiled_training_step_equals_the_eager_one(Opt):
    X, Y = _data()
    results = []
    for compiled in (False, True):
        model = _model()
        opt = Opt(model.parameters(), lr=0.05)

        def step(x, y):
            opt.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
            loss.backward()
            opt.step()
            return loss

        run = autograd.compile(step) if compiled else step
        losses = [run(Tensor(X[i:i + 10]), Tensor(Y[i:i + 10])).data.item() for i in range(0, 40, 10)] * 1
        losses += [run(Tensor(X[:7]), Tensor(Y[:7])).data.item()]  # a new shape: traced again
        results.append((losses, [p.data.copy() for p in model.parameters()]))
    assert close(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1]):
        assert close(a, b)


@pytest.mark.parametrize("loss", ["mse", "bce_with_logits"])
def test_fit_compile_equals_fit(loss):
    X, Y = _data(50)
    runs = []
    for compiled in (False, True):
        model = _model(3)
        h = nn.fit(model, X, Y, loss=loss, optimizer=nn.optim.Adam(model.parameters(), lr=0.02), epochs=3,
                   batch_size=16, seed=0, verbose=0, metrics=["mae"], compile=compiled)
        runs.append((h.history, [p.data.copy() for p in model.parameters()]))
    for k in runs[0][0]:
        assert close(runs[0][0][k], runs[1][0][k])
    for a, b in zip(runs[0][1], runs[1][1]):
        assert close(a, b)


def test_fit_compile_refuses_what_it_cannot_replay():
    X, Y = _data(20)
    with pytest.raises(ValueError, match="Dropout"):
        nn.fit(nn.Sequential(nn.Dense(2, 4, rng=0), nn.Dropout(0.5, rng=0), nn.Dense(4, 1, None, rng=1)), X, Y,
               loss="mse", optimizer="sgd", epochs=1, verbose=0, compile=True)
    with pytest.raises(ValueError, match="cross-entropy"):
        nn.fit(nn.Sequential(nn.Dense(2, 2, None, rng=0)), X, Y[:, 0].astype(int), loss="cross_entropy",
               optimizer="sgd", epochs=1, verbose=0, compile=True)


def test_reading_an_arguments_data_outside_the_ops_is_an_error_not_a_frozen_constant():
    logits = Tensor(np.zeros((3, 2)), requires_grad=True)
    f = autograd.compile(lambda z, y: nn.functional.cross_entropy(z, y))  # reads the labels with numpy
    with pytest.raises(TraceError, match="read outside the recorded operations"):
        f(logits, Tensor(np.array([0, 1, 1])))
    g = autograd.compile(lambda x: x * float(x.data.sum()))
    with pytest.raises(TraceError, match="test_trace.py"):
        g(Tensor([1.0, 2.0]))
    h = autograd.compile(lambda x: (x * 2.0).sum() + x.shape[0])  # shapes are static: fine
    assert h(Tensor([1.0, 2.0])).data == 8.0 and h(Tensor([2.0, 2.0])).data == 10.0


def test_first_call_inside_no_grad_still_records_the_program():
    w = Tensor([2.0], requires_grad=True)
    cf = autograd.compile(lambda x: x * w)
    with autograd.no_grad():
        first = cf(Tensor([1.0]))
    assert not first.requires_grad and first.data.tolist() == [2.0]
    out = cf(Tensor([3.0]))  # replayed with new numbers, and differentiable outside no_grad
    assert out.data.tolist() == [6.0] and out.requires_grad
    with pytest.raises(TypeError, match="by position"):
        cf(x=Tensor([1.0]))


def test_a_step_that_zeroes_grads_through_the_model_and_returns_constants_replays_them():
    model = _model(5)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X, Y = _data(10)

    def step(x, y):
        model.zero_grad()  # Module.zero_grad: each parameter's zero_grad() is recorded and repeated
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss, 7

    cf = autograd.compile(step)
    ref_model = _model(5)
    ref_opt = nn.optim.SGD(ref_model.parameters(), lr=0.1)
    for _ in range(3):
        loss, seven = cf(Tensor(X), Tensor(Y))
        ref_model.zero_grad()
        ref = nn.functional.mse_loss(ref_model(Tensor(X)), Tensor(Y))
        ref.backward()
        ref_opt.step()
        assert seven == 7 and close(loss.data, ref.data)
    for p, q in zip(model.parameters(), ref_model.parameters()):
        assert close(p.data, q.data) and close(p.grad, q.grad)
    text = str(next(iter(cf.programs.values())))
    assert "SGD.step()" in text and "runs on every call" in text


@given(st.tuples(strategies.shapes(1, 3), strategies.shapes(1, 3)), st.sampled_from([np.float32, np.float64]))
def test_retraces_exactly_when_the_shape_or_dtype_changes(shapes, dtype):
    cf = autograd.compile(lambda x: (x.tanh() * x).sum())
    calls = [(shapes[0], np.float64), (shapes[1], dtype), (shapes[0], np.float64)]
    for shape, dt in calls:
        x = Tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dt), requires_grad=True)
        out = cf(x)
        out.backward()
        ref = Tensor(x.data, requires_grad=True)
        (ref.tanh() * ref).sum().backward()
        assert out.data.dtype == dt and x.grad.dtype == dt
        assert np.allclose(x.grad, ref.grad, rtol=1e-6 if dt == np.float32 else TOL, atol=0)
    assert cf.traces == (1 if (shapes[0], np.float64) == (shapes[1], dtype) else 2)


@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4), st.sampled_from([np.float32, np.float64]))
def test_random_dense_layers_compiled_equal_eager(n, k, m, dtype):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    W = Tensor(rng.normal(size=(k, m)).astype(dtype), requires_grad=True)
    b = Tensor(rng.normal(size=m).astype(dtype), requires_grad=True)
    W2, b2 = Tensor(W.data.copy(), requires_grad=True), Tensor(b.data.copy(), requires_grad=True)

    def f(x, W, b):
        return (autograd.linear(x, W, b).tanh() @ W.T).mean()

    cf = autograd.compile(f)
    for _ in range(2):
        x = Tensor(rng.normal(size=(n, k)).astype(dtype))
        out = cf(x, W, b)
        out.backward()
        ref = f(x, W2, b2)
        ref.backward()
        assert out.data == ref.data  # the same rules in the same order: bitwise equal
        assert np.array_equal(W.grad, W2.grad) and np.array_equal(b.grad, b2.grad)
        assert W.grad.dtype == dtype
