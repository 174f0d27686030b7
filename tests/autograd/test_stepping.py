"""Stepping through backward: the engine's own loop, with steps that print, tabulate and draw themselves."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import value_graphs
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import REGISTRY, Tensor, Value, ops, topological_order, weighted_sum
from autograd.engine import Step
from autograd.stepping import RichStep, backward_steps, formula_letters, node_name, slot_formula
from autograd.tensor import concatenate, maximum, minimum, where


def _assert_reverse_topological(steps: list[RichStep]) -> None:
    done: set[int] = set()
    for s in steps:  # a node has its turn only after every node that consumes it
        assert id(s.node) not in done
        for parent in s.node.parents:
            assert id(parent) not in done
        done.add(id(s.node))


@given(value_graphs())
def test_value_steps_leave_exactly_backwards_gradients(graph) -> None:
    leaves, root = graph
    root.backward()
    order = topological_order(root)
    expected = [n.grad for n in order]
    for n in order:
        n.zero_grad()
    steps = list(backward_steps(root))
    assert [n.grad for n in order] == expected  # bit-identical: the same loop
    assert all(isinstance(s, RichStep) and isinstance(s, Step) for s in steps)
    assert [s.index for s in steps] == list(range(len(steps)))
    assert {id(s.node) for s in steps} == {id(n) for n in order if n.op is not None}
    _assert_reverse_topological(steps)
    for s in steps:  # every step prints, tabulates and draws
        assert str(s).startswith(f"step {s.index}: ") and "<table>" in s._repr_html_()
        assert "n" + str(s._run.index[s.node]) + "op" in s.draw().source


@st.composite
def tensor_graphs(draw):
    """Tensor graphs with broadcasting: (3, 1) and (4,) parameters meet a (2, 3, 4) input."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = Tensor(rng.standard_normal((3, 1)), requires_grad=True, label="a")
    b = Tensor(rng.standard_normal(4), requires_grad=True, label="b")
    x = Tensor(rng.standard_normal((2, 3, 4)), label="x")
    h = x * a + b
    for kind in draw(st.lists(st.sampled_from(["tanh", "mul_a", "add_b", "square", "sigmoid"]), max_size=5)):
        h = {"tanh": lambda: h.tanh(), "mul_a": lambda: h * a, "add_b": lambda: h + b, "square": lambda: h * h,
             "sigmoid": lambda: h.sigmoid()}[kind]()
    return (a, b), h.sum(axis=2).mean()


@given(tensor_graphs())
def test_tensor_steps_leave_exactly_backwards_gradients(graph) -> None:
    params, root = graph
    root.backward()
    expected = [p.grad.copy() for p in params]
    for n in topological_order(root):
        n.zero_grad()
    steps = list(backward_steps(root))
    for p, e in zip(params, expected):
        np.testing.assert_array_equal(p.grad, e)
    _assert_reverse_topological(steps)
    for s in steps:
        assert str(s) and s.draw().source


def test_lecture_chain_prints_one_line_per_step() -> None:
    x, w1 = Value(-1.0, label="x"), Value(3.0, label="w1")
    z1 = w1 * x
    z1.label = "z1"
    J = z1**2
    J.label = "J"
    lines = [str(s) for s in backward_steps(J)]
    assert lines == [
        "step 0: J = z1 ** 2 | upstream dJ/dJ = 1 | z1: n * x^(n-1) [x = z1, n = 2] = -6, gets -6, total -6",
        "step 1: z1 = w1 * x | upstream dJ/dz1 = -6 | w1: b [a = w1, b = x] = -1, gets 6, total 6 | "
        "x: a [a = w1, b = x] = 3, gets -18, total -18",
    ]
    assert w1.grad == 6.0 and x.grad == -18.0


def test_repeated_parent_gets_one_row_per_slot_and_running_totals() -> None:
    a = Value(3.0, label="a")
    y = a * a
    (step,) = backward_steps(y)
    rows = step.rows()
    assert [r["slot"] for r in rows] == [0, 1] and all(r["parent"] is a for r in rows)
    assert [r["formula"] for r in rows] == ["b", "a"]
    assert [r["local"] for r in rows] == [3.0, 3.0]
    assert [r["contribution"] for r in rows] == [3.0, 3.0]
    assert [r["total"] for r in rows] == [6.0, 6.0]  # the total after the step: both slots are in
    assert str(step) == ("step 0: J = a * a | upstream dJ/dJ = 1 | a: b [a = a, b = a] = 3, gets 3, total 6 | "
                         "a: a [a = a, b = a] = 3, gets 3, total 6")
    assert a.grad == 6.0


def test_html_names_the_arguments_says_what_the_letters_are_and_escapes() -> None:
    a, b = Value(2.0, label="a<b&c>"), Value(3.0, label="k")
    y = a * b
    y.label = "y"
    (step,) = backward_steps(y)
    page = step._repr_html_()
    assert "<code>y = a&lt;b&amp;c&gt; * k</code>" in page and "<b>step 0</b>" in page
    assert "<th>where</th>" in page and "<code>a = a&lt;b&amp;c&gt;, b = k</code>" in page
    assert "a<b" not in page


def test_formula_letters_name_the_constants_of_each_op() -> None:
    x = Tensor(np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]]), requires_grad=True, label="x")
    cases = {x.leaky_relu(0.1): "x = x, a = 0.1", x.clip(-1, 1): "x = x, lo = -1, hi = 1",
             x.mean(axis=0): "x = x, n = 2", x.mean(): "x = x, n = 6", x**3: "x = x, n = 3",
             x @ x.T: "a = x, b = ?, g = the upstream gradient",
             where(x.data > 0, x, x): "a = x, b = x, cond = a fixed mask of shape (2, 3)"}
    for node, text in cases.items():
        assert formula_letters(node, 0, lambda n: n.label or "?") == text


def test_html_table_has_a_row_per_parent_with_formula_and_numbers() -> None:
    x = Value(0.5, label="x")
    y = x.tanh()
    y.label = "y"
    (step,) = backward_steps(y)
    page = step._repr_html_()
    assert page.count("<tr>") == 2 and "<code>1 - tanh(x)^2</code>" in page
    assert f"<code>{1 - np.tanh(0.5) ** 2:.4g}</code>" in page and "upstream" in page


def test_draw_shows_the_gradients_known_at_that_step() -> None:
    x, w = Value(2.0, label="x"), Value(-1.0, label="w")
    z = w * x
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    J = h + z
    J.label = "J"
    steps = list(backward_steps(J))  # run to the end first: the pictures must still show their own moment
    assert [s.node.label for s in steps] == ["J", "h", "z"]
    first = steps[0].draw().source
    assert '"J | data' in first and 'grad 1.0000"' in first
    assert '"z | data -2.0000 | grad so far 1.0000"' in first  # one of its two consumers has sent
    assert '"w | data -1.0000 | grad ?"' in first and '"x | data 2.0000 | grad ?"' in first
    assert "penwidth=3" in first and "n4op -> n4 [color=" in first
    last = steps[2].draw().source
    dz = 1 + (1 - np.tanh(-2.0) ** 2)
    assert f'"z | data -2.0000 | grad {dz:.4f}"' in last
    assert f'"w | data -1.0000 | grad {2 * dz:.4f}"' in last  # its one consumer z has sent: final
    assert last.count("penwidth=3") == 5  # z, its op node, the op's edge to z and its two parent edges
    assert "step 2: z = w * x" in last


def test_draw_says_so_far_only_while_consumers_remain_and_shows_constants_as_constants() -> None:
    x, w = Value(0.5, label="x"), Value(-1.0, label="w")
    u = x * 3.0  # x has two consumers, u and J; 3.0 is a Constant
    u.label = "u"
    v = u.tanh()
    v.label = "v"
    m = v * w
    m.label = "m"
    J = m + x
    J.label = "J"
    steps = list(backward_steps(J))
    assert [s.node.label for s in steps] == ["J", "m", "v", "u"]
    pics = [s.draw().source for s in steps]
    assert '"m | data' in pics[0] and f'"m | data {-np.tanh(1.5):.4f} | grad 1.0000"' in pics[0]
    assert '"x | data 0.5000 | grad so far 1.0000"' in pics[0]  # u has yet to send its share
    assert '"w | data -1.0000 | grad ?"' in pics[0]
    assert f'"w | data -1.0000 | grad {np.tanh(1.5):.4f}"' in pics[1]  # m, its only consumer, is done
    assert '"x | data 0.5000 | grad so far 1.0000"' in pics[2]
    dx = 1 + 3 * -(1 - np.tanh(1.5) ** 2)
    assert f'"x | data 0.5000 | grad {dx:.4f}"' in pics[3] and "so far" not in pics[3]
    for pic in pics:  # the 3 of x * 3.0 never gets a gradient: it is drawn as a constant, never "grad ?"
        assert '"data 3.0000 | constant"' in pic and "grad 0.0000" not in pic
    assert x.grad == pytest.approx(dx) and w.grad == pytest.approx(np.tanh(1.5))


def test_data_tensors_are_drawn_as_constants_in_steps() -> None:
    W = Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    x = Tensor(np.arange(6.0).reshape(2, 3), label="x")
    L = (x @ W).sum()
    for step in backward_steps(L):
        src = step.draw().source
        assert '"x (2, 3) float64 | data [[0, 1, 2], [3, 4, 5]] | constant"' in src


def test_is_final_follows_the_last_consumer() -> None:
    a = Value(1.5, label="a")
    b = a.exp()
    y = b * a + b  # b has two consumers; a has two (b's exp and the product)
    s0, s1, s2 = backward_steps(y)
    assert [s.node.op.name for s in (s0, s1, s2)] == ["add", "mul", "exp"]
    assert not s0.is_final(b) and s1.is_final(b)
    assert not s0.is_final(a) and not s1.is_final(a) and s2.is_final(a)
    assert all(s.is_final(y) for s in (s0, s1, s2))


def test_broadcast_summing_is_visible_on_tensor_steps() -> None:
    W = Tensor(np.ones((3, 4)), requires_grad=True, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, label="b")
    x = Tensor(np.arange(6.0).reshape(2, 3), label="x")
    L = (x @ W + b).sum()
    L.label = "L"
    steps = list(backward_steps(L))
    add = steps[1]
    (row_mm, row_b) = add.rows()
    assert row_mm["summed"] is None and np.shape(row_b["contribution"]) == (2, 4)
    np.testing.assert_array_equal(row_b["summed"], [2.0, 2.0, 2.0, 2.0])
    assert "b: 1 [a = #1, b = b] = (2, 4) mean 1, gets (2, 4) summed to (4,) [2, 2, 2, 2], total [2, 2, 2, 2]" \
        in str(add)
    assert "summed over broadcast axes (2, 4) → (4,)" in add._repr_html_()
    mm = steps[2]
    assert "x: no gradient (constant)" in str(mm)
    assert "W: a^T @ g [a = x, b = W, g = the upstream gradient] = (3, 4) mean 5" in str(mm)
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0, 2.0])


def test_names_fall_back_to_op_and_index() -> None:
    x = Value(1.0, label="x")
    y = (x * 3.0).exp()
    steps = list(backward_steps(y))
    assert str(steps[0]).startswith("step 0: J = exp(#1)")
    assert "const 3: " in str(steps[1])
    assert node_name(Tensor(np.ones((2, 3)))) == "input(2, 3)"


def test_root_without_grad_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        next(backward_steps(Tensor([1.0]).sum()))


def test_weighted_sum_slots_map_to_their_formula() -> None:
    assert [slot_formula(ops.WEIGHTED_SUM, (2, True), i, 5) for i in range(5)] == [
        "x_i  (for w_i)", "x_i  (for w_i)", "w_i  (for x_i)", "w_i  (for x_i)", "1  (for b)"]
    assert slot_formula(ops.CONCATENATE, (0, (0, 1, 2, 3)), 2, 3) == "1  (on its own slice of the result)"


# one graph per registered op: the stepper must show that op's registered formulas --------------------------------
_X = np.array([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]])


def _t(data=_X, label="x"):
    return Tensor(np.array(data, dtype=np.float64), requires_grad=True, label=label)


BUILDERS = {
    "add": lambda: _t() + _t(label="y"), "sub": lambda: _t() - _t(label="y"), "mul": lambda: _t() * _t(label="y"),
    "div": lambda: _t() / _t(label="y"), "neg": lambda: -_t(), "pow": lambda: _t() ** 3,
    "power": lambda: _t(np.abs(_X)) ** _t(label="y"), "abs": lambda: abs(_t()), "exp": lambda: _t().exp(),
    "log": lambda: _t(np.abs(_X)).log(), "sqrt": lambda: _t(np.abs(_X)).sqrt(), "tanh": lambda: _t().tanh(),
    "sigmoid": lambda: _t().sigmoid(), "relu": lambda: _t().relu(), "leaky_relu": lambda: _t().leaky_relu(0.1),
    "softplus": lambda: _t().softplus(),
    "bce_with_logits": lambda: _t().bce_with_logits(_t(label="y")),
    "sin": lambda: _t().sin(), "cos": lambda: _t().cos(),
    "weighted_sum": lambda: weighted_sum([Value(1.0, "w1"), Value(2.0, "w2")], [Value(3.0, "x1"), 4.0],
                                         Value(0.5, "b")),
    "linear": lambda: autograd.linear(_t(), _t(_X.T, "W"), _t(np.zeros(_X.shape[0]), "b")),
    "matmul": lambda: _t() @ _t(_X.T, "y"), "sum": lambda: _t().sum(axis=1), "mean": lambda: _t().mean(axis=0),
    "max": lambda: _t().max(axis=1), "min": lambda: _t().min(), "maximum": lambda: maximum(_t(), _t(label="y")),
    "minimum": lambda: minimum(_t(), _t(label="y")), "clip": lambda: _t().clip(-1, 1),
    "where": lambda: where(_X > 0, _t(), _t(label="y")), "reshape": lambda: _t().reshape(3, 2),
    "transpose": lambda: _t().T, "broadcast_to": lambda: _t().broadcast_to((4, 2, 3)), "getitem": lambda: _t()[0],
    "scatter_add": lambda: Tensor._apply(ops.SCATTER_ADD, (_t(),), ((0,), (3, 2, 3))),
    "concatenate": lambda: concatenate([_t(), _t(label="y")], axis=1), "softmax": lambda: _t().softmax(axis=1),
    "log_softmax": lambda: _t().log_softmax(), "logsumexp": lambda: _t().logsumexp(axis=1),
    "astype": lambda: _t().astype(np.float32),
}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_op_steps_with_its_registered_formulas(name: str) -> None:
    op = REGISTRY[name]
    assert name in BUILDERS, f"op {name!r} was registered: add a graph for it to BUILDERS in this file"
    out = BUILDERS[name]()
    assert out.op is op
    root = out if isinstance(out, Value) else (out * out).sum()
    (step,) = [s for s in backward_steps(root) if s.node is out]
    rows = step.rows()
    assert len(rows) == len(out.parents)
    for r in rows:
        assert r["formula"] == slot_formula(op, out._ctx, r["slot"], len(rows)) and r["formula"] in op.formula
        assert r["formula"] in str(step) or not r["parent"].requires_grad
        assert (r["local"] is not None) == r["parent"].requires_grad
    for p in out.parents:
        assert p.grad is not None or not p.requires_grad


def test_a_dense_layers_step_reads_like_its_formula() -> None:
    x = Tensor(np.ones((3, 2)), label="x")
    W = Tensor(np.ones((2, 4)), requires_grad=True, label="W")
    b = Tensor(np.zeros(4), requires_grad=True, label="b")
    (step,) = [s for s in backward_steps(autograd.linear(x, W, b).sum()) if s.op is autograd.ops.LINEAR]
    text = str(step)
    assert "= x @ W + b |" in text and "W: x^T @ g [x = x, W = W, g = the upstream gradient]" in text
    assert "b: 1  (summed over the batch)" in text and "summed to (4,)" in text
