"""explain() on Tensors: one element of a parameter, as the sum over element paths of products of local derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markers import needs_dot

import autograd
from autograd import Tensor, explain, topological_order

UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "square": lambda a: a * a,  # one node, two slots
    "softmax": lambda a: a.softmax(axis=1),
    "colsum": lambda a: a + a.sum(axis=0, keepdims=True),  # every element of a column
    "relu": lambda a: a.relu(),
}


@st.composite
def tensor_graphs(draw):
    """A random DAG of (2, 3) Tensors with parameters of three shapes: a (2, 3) weight used elementwise, a (3,)
    bias broadcast over the rows, a (3, 3) matrix multiplied in; reuse and diamonds occur. Returns the
    parameters, the root (a mean or a sum) and one parameter element to explain."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    A = Tensor(rng.standard_normal((2, 3)), requires_grad=True, label="A")
    b = Tensor(rng.standard_normal(3), requires_grad=True, label="b")
    M = Tensor(rng.standard_normal((3, 3)) / 2, requires_grad=True, label="M")
    x = Tensor(rng.standard_normal((2, 3)), label="x")
    nodes = [x * A + b]
    for _ in range(draw(st.integers(1, 6))):
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        c = nodes[draw(st.integers(0, len(nodes) - 1))]
        kind = draw(st.sampled_from(["add", "mul", "matmul", "bias", "weight"] + sorted(UNARY)))
        out = {"add": lambda: a + c, "mul": lambda: a * c, "matmul": lambda: a @ M, "bias": lambda: a - b,
               "weight": lambda: a * A}.get(kind, lambda: UNARY[kind](a))()
        nodes.append(out)
    root = nodes[-1].mean() if draw(st.booleans()) else nodes[-1].sum()
    param = draw(st.sampled_from([A, b, M]))
    index = tuple(draw(st.integers(0, n - 1)) for n in param.data.shape)
    return (A, b, M), root, param, index


@given(tensor_graphs())
def test_sum_over_element_paths_equals_backward(graph) -> None:
    params, root, param, index = graph
    e = explain(root, param, index=index, max_paths=50)
    root.backward()
    grad = 0.0 if param.grad is None else float(param.grad[index])  # (None: the root does not use it)
    listed = [p.product for p in e.paths]
    scale = max(abs(grad), math.fsum(abs(c) for c in listed), 1e-300)
    assert abs(e.total - grad) <= 1e-12 * max(scale, abs(e.total))
    assert e.listed_sum + e.rest == pytest.approx(e.total, rel=1e-12, abs=1e-15)
    assert len(e.paths) == min(50, e.count)
    for p in e.paths:  # each product is the product of its factors; each factor an edge of the graph
        assert p.product == pytest.approx(math.prod(f.value for f in p.factors), rel=1e-12, abs=0)
        assert p.factors[0].child is root and p.factors[-1].parent is param
        for f in p.factors:
            assert f.parent is f.child.parents[f.slot] and f.value != 0
    mags = [abs(c) for c in listed]
    assert mags == sorted(mags, reverse=True)


def _dense():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 3)), label="x")
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
    bias = Tensor(np.zeros(2), requires_grad=True, label="b")
    z = x @ W + bias
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    L = h.mean()
    L.label = "L"
    return x, W, bias, L


def test_a_dense_layer_weight_has_one_path_per_row_of_the_batch() -> None:
    x, W, bias, L = _dense()
    e = explain(L, W, index=(1, 0))
    assert e.count == 2 and e.name == "dL/dW[1, 0]"
    names = [[f.name for f in p.factors] for p in e.paths]
    assert sorted(names) == [["dL/dh[0, 0]", "dh[0, 0]/dz[0, 0]", "dz[0, 0]/d(#1[0, 0])",
                              "d(#1[0, 0])/dW[1, 0]"],
                             ["dL/dh[1, 0]", "dh[1, 0]/dz[1, 0]", "dz[1, 0]/d(#1[1, 0])",
                              "d(#1[1, 0])/dW[1, 0]"]]
    for p in e.paths:  # the lecture's chain, element by element: 1/n * (1 - tanh^2) * 1 * x[n, i]
        n = int(p.factors[0].name[len("dL/dh[")])
        f_mean, f_tanh, f_add, f_mm = p.factors
        assert f_mean.value == 0.25 and f_mean.formula == "1/n"
        assert f_tanh.value == pytest.approx(1 - np.tanh((x.data @ W.data)[n, 0]) ** 2, rel=1e-15)
        assert f_add.value == 1.0
        assert f_mm.value == x.data[n, 1] and f_mm.formula == "a^T @ g"
        assert f"read at W[1, 0] with g = 1 at #1[{n}, 0], 0 elsewhere" in f_mm.where
    text = str(e)
    assert text.startswith("dL/dW[1, 0] = ") and "sum over all 2 paths" in text
    assert "<b>dL/dW[1, 0]</b>" in e._repr_html_()
    L.backward()
    assert e.total == pytest.approx(W.grad[1, 0], rel=1e-12)


def test_tensor_explanation_draws_the_path_like_a_values() -> None:
    x, W, bias, L = _dense()
    src = explain(L, W, index=(0, 1)).draw().source
    assert 'label="dL/dh[' in src and "d(#1[" in src and "/dW[0, 1] = " in src


@needs_dot
def test_tensor_explanation_renders() -> None:
    x, W, bias, L = _dense()
    assert "<svg" in autograd.viz.render_svg(explain(L, bias, index=(1,)).draw())


def test_an_element_every_path_of_which_is_zero_here() -> None:
    W = Tensor([[1.0, -1.0]], requires_grad=True, label="W")
    L = W.relu().sum()
    L.label = "L"
    e = explain(L, W, index=(0, 1))
    assert e.count == 0 and e.total == 0.0 and e.paths == []
    assert str(e).startswith("dL/dW[0, 1] = 0: every path from L to W[0, 1] has a local derivative that is exactly 0")
    assert explain(L, W, index=(0, 0)).total == 1.0


def test_scalar_roots_and_nodes_need_no_index() -> None:
    w = Tensor(3.0, requires_grad=True, label="w")
    L = (w * w).sum()
    e = explain(L, w)
    assert e.total == 6.0 and e.count == 2


def test_bad_tensor_requests_say_what_to_do() -> None:
    x, W, bias, L = _dense()
    with pytest.raises(ValueError, match=r"the node has shape \(3, 2\); say which element to explain with index="):
        explain(L, W)
    with pytest.raises(ValueError, match=r"index=\(1,\) must be 2 integers for a node of shape \(3, 2\)"):
        explain(L, W, index=(1,))
    with pytest.raises(IndexError, match=r"index=\(3, 0\) is out of range for a node of shape \(3, 2\)"):
        explain(L, W, index=(3, 0))
    with pytest.raises(ValueError, match=r"the root has shape \(2, 2\); explain needs one number"):
        explain(L.parents[0], W, index=(0, 0))
    assert explain(L, W, index=(-1, -1)).name == "dL/dW[2, 1]"
    a = autograd.Value(2.0, label="a")
    with pytest.raises(ValueError, match="index=0 picks an element of a Tensor; .* is a single number"):
        explain(a * a, a, index=0)
    assert all(n.grad is None for n in topological_order(L))  # explaining changes no gradient


def test_too_big_a_graph_is_refused_with_the_limit() -> None:
    W = Tensor(np.ones((200, 200)), requires_grad=True, label="W")
    L = W.tanh().sum()
    with pytest.raises(ValueError, match="40001 elements between the root and the node"):
        explain(L, W, index=(0, 0))


def _op_graphs() -> dict:
    """One small graph per registered op: test_stepping.py's BUILDERS (loaded from that file, not copied)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).with_name("test_stepping.py")
    spec = importlib.util.spec_from_file_location("_stepping_graphs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BUILDERS


OP_GRAPHS = _op_graphs()


@pytest.mark.parametrize("name", sorted(OP_GRAPHS))
def test_every_registered_op_explains_every_element(name) -> None:
    out = OP_GRAPHS[name]()
    root = out if isinstance(out, autograd.Value) else (out * out).sum()
    root.backward()
    for leaf in [n for n in topological_order(root) if n.op is None]:
        cells = list(np.ndindex(leaf.data.shape)) if isinstance(leaf, Tensor) else [None]
        for index in cells:
            e = explain(root, leaf, index=index, max_paths=3)
            grad = leaf.grad if index is None else leaf.grad[index]
            assert e.total == pytest.approx(grad, rel=1e-12, abs=1e-14), (name, leaf.label, index)
