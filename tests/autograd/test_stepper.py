"""The Stepper: the engine's own loop, walked forward and back, into a private buffer until commit()."""

from __future__ import annotations

import numpy as np
import pytest
from graphs import value_graphs
from hypothesis import given
from hypothesis import strategies as st
from markers import needs_dot

import autograd
from autograd import Stepper, Tensor, Value, topological_order
from autograd.engine import backward_steps as engine_steps


def _grads(nodes) -> list:
    return [None if n.grad is None else np.array(n.grad, copy=True) for n in nodes]


def _zero(nodes) -> None:
    for n in nodes:
        n.zero_grad()


def _same_bits(a, b) -> bool:
    """Equal bit for bit (NaN included), as arrays or floats."""
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _lecture_chain():
    x, w1 = Value(-1.0, label="x"), Value(3.0, label="w1")
    z1 = w1 * x
    z1.label = "z1"
    J = z1**2
    J.label = "J"
    return x, w1, z1, J


@given(value_graphs())
def test_steps_forward_back_and_goto_are_the_engines_loop(graph) -> None:
    leaves, root = graph
    order = topological_order(root)
    _zero(order)
    s = Stepper(root)
    assert all(n.grad == 0.0 for n in order)  # making a stepper changes no .grad
    expected = list(engine_steps(root))  # the loop backward() runs (this one stores into .grad)
    _zero(order)
    assert len(s) == len(expected)

    def same(step, e) -> bool:
        return (step.index == e.index and step.node is e.node and _same_bits(step.upstream, e.upstream)
                and all(_same_bits(a, b) for a, b in zip(step.contributions, e.contributions))
                and all(_same_bits(a, b) for a, b in zip(step.totals, e.totals)))

    seen = [s.current] + [s.next() for _ in range(len(s) - 1)]
    assert all(same(a, b) for a, b in zip(seen, expected))
    assert s.at_end and s.next() is seen[-1]  # stays at the end
    back = [s.prev() for _ in range(len(s) - 1)]
    assert [b.index for b in back] == list(range(len(s) - 2, -1, -1))
    assert s.prev().index == 0  # stays at the start
    for k in (len(s) - 1, 0, len(s) // 2, -1):
        assert same(s.goto(k), expected[k])
    assert s.reset() is s[0] and s.position == 0
    assert all(n.grad == 0.0 for n in order)  # no walk, forward or back, touched .grad


@given(value_graphs(), st.integers(1, 3))
def test_commit_is_backward_bit_for_bit_and_happens_once(graph, walks) -> None:
    leaves, root = graph
    order = topological_order(root)
    _zero(order)
    root.backward()
    expected = _grads(order)
    _zero(order)
    for _ in range(walks):  # re-running the cell: new steppers, walked to the end and back
        s = Stepper(root)
        for _ in range(len(s)):
            s.next()
        s.reset()
    assert all(n.grad == 0.0 for n in order)
    s.goto(-1)
    assert s.commit() is True
    assert all(_same_bits(n.grad, e) for n, e in zip(order, expected))
    assert s.commit() is False and s.committed  # a second commit adds nothing
    assert all(_same_bits(n.grad, e) for n, e in zip(order, expected))


@given(value_graphs())
def test_commit_adds_to_existing_gradients_as_backward_does(graph) -> None:
    leaves, root = graph
    order = topological_order(root)
    _zero(order)
    root.backward()
    root.backward()
    expected = _grads(order)
    _zero(order)
    root.backward()
    Stepper(root).commit()
    assert all(_same_bits(n.grad, e) for n, e in zip(order, expected))


def _tensor_graph(seed: int):
    rng = np.random.default_rng(seed)
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
    b = Tensor(rng.standard_normal(2), requires_grad=True, label="b")
    x = Tensor(rng.standard_normal((4, 3)), label="x")
    h = (x @ W + b).tanh()
    return (W, b), (h * h + b).mean()


@given(st.integers(0, 2**16))
def test_tensor_commit_is_backward_bit_for_bit(seed) -> None:
    params, root = _tensor_graph(seed)
    root.backward()
    order = topological_order(root)
    expected = _grads(order)
    params, root = _tensor_graph(seed)
    order = topological_order(root)
    s = Stepper(root)
    s.goto(-1)
    s.reset()
    assert all(n.grad is None for n in order)
    s.commit()
    assert all(_same_bits(n.grad, e) for n, e in zip(order, expected))
    params[0].grad[...] = 0.0  # an in-place change of .grad (zeroing, an optimizer) ...
    assert not np.all(s.gradients[params[0]] == 0)  # ... leaves the stepper's own gradients alone


def test_tensor_seed_for_a_non_scalar_root() -> None:
    W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="W")
    y = W * W
    g = np.array([[1.0, 0.0], [0.5, 2.0]])
    s = Stepper(y, grad=g)
    assert W.grad is None
    s.commit()
    np.testing.assert_array_equal(W.grad, 2 * W.data * g)
    with pytest.raises(RuntimeError, match="not a single number"):
        Stepper(y)


def test_known_gradients_grow_step_by_step_and_end_at_backwards() -> None:
    x, w1, z1, J = _lecture_chain()
    s = Stepper(J)
    final, partial = s.known(0)
    assert final == {J: 1.0, z1: -6.0} and partial == {}
    final, partial = s.known(1)
    assert final == {J: 1.0, z1: -6.0, w1: 6.0, x: -18.0}
    assert s.gradients == {J: 1.0, z1: -6.0, w1: 6.0, x: -18.0}
    assert w1.grad == 0.0 and x.grad == 0.0


def test_partial_sums_are_not_final_until_every_consumer_has_sent() -> None:
    a = Value(2.0, label="a")
    b = a * 3.0
    b.label = "b"
    c = b + a
    c.label = "c"
    s = Stepper(c)
    final, partial = s.known(0)  # c's turn: a has only c's share, b's is still to come
    assert final == {c: 1.0, b: 1.0} and partial == {a: 1.0}
    final, partial = s.known(1)
    assert final[a] == 4.0 and partial == {}


def test_commit_refuses_gradients_of_a_graph_whose_data_changed() -> None:
    x, w1, z1, J = _lecture_chain()
    s = Stepper(J)
    w1.data -= 0.1  # an optimizer step between stepping and committing
    with pytest.raises(RuntimeError, match="w1 changed since this stepper"):
        s.commit()
    assert w1.grad == 0.0 and not s.committed


def test_bad_positions_say_what_exists() -> None:
    *_, J = _lecture_chain()
    s = Stepper(J)
    with pytest.raises(IndexError, match="step 2 does not exist; this pass has 2 steps, 0 to 1"):
        s.goto(2)
    with pytest.raises(TypeError, match="must be an integer"):
        s.goto(1.0)
    assert s.position == 0
    with pytest.raises(TypeError, match="must be a Value or a Tensor"):
        Stepper(3.0)


def test_a_leaf_root_has_no_steps_but_commits_its_seed() -> None:
    a = Value(2.0, label="a")
    s = Stepper(a)
    assert len(s) == 0 and s.current is None and s.next() is None and s.prev() is None
    with pytest.raises(IndexError, match="the root is a leaf"):
        s.goto(0)
    s.commit()
    assert a.grad == 1.0
    assert "no operation to step through" in s.caption_html()
    assert repr(s) == "Stepper(a: step 0 of 0 steps, committed)"


def test_backward_steps_still_stores_as_it_goes() -> None:
    x, w1, z1, J = _lecture_chain()
    list(autograd.backward_steps(J))
    assert (w1.grad, x.grad) == (6.0, -18.0)


def test_repr_names_the_root_and_the_position() -> None:
    *_, J = _lecture_chain()
    s = Stepper(J)
    s.next()
    assert repr(s).startswith("Stepper(J: step 1 of 2 steps, not committed)\nstep 1: z1 = w1 * x")


def test_draw_highlights_the_current_node_and_marks_final_ones() -> None:
    x, w1, z1, J = _lecture_chain()
    s = Stepper(J)
    src = s.draw().source
    # step 0: J's turn; z1 got its whole gradient, w1 and x are not reached yet
    assert 'n3 [label="J | data 9.0000 | grad 1.0000" color="#d55e00"' in src
    assert 'n2 [label="z1 | data -3.0000 | grad -6.0000" color="#009e73"' in src
    assert 'n1 [label="w1 | data 3.0000 | grad ?" color="#0072b2" fillcolor' in src
    src = s.draw(1).source
    assert 'n1 [label="w1 | data 3.0000 | grad 6.0000" color="#009e73"' in src
    assert 'n2 [label="z1 | data -3.0000 | grad -6.0000" color="#d55e00"' in src
    assert s.position == 0  # drawing another step does not move the cursor


@needs_dot
def test_html_player_is_self_contained() -> None:
    x, w1, z1, J = _lecture_chain()
    s = Stepper(J)
    page = s.to_html()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == len(s) == 2
    assert "http://" not in page.replace("http://www.w3.org/", "") and "https://" not in page
    assert "<?xml" not in page and "src=" not in page  # inline SVG, no external script, image or font
    assert "data-node='n3'" in page and "data-node='n2'" in page
    assert s._repr_html_() in page
    assert s._repr_mimebundle_()["text/html"] == s._repr_html_()  # outside a kernel: the player only


def test_widget_buttons_move_the_stepper_and_the_picture() -> None:
    pytest.importorskip("ipywidgets")
    *_, J = _lecture_chain()
    s = Stepper(J)
    box = s.widget()
    c = box.stepper_controls
    first_view = c["view"].value
    c["next"].click()
    assert s.position == 1 and c["slider"].value == 1 and c["view"].value != first_view
    assert "step 1</b>" in c["view"].value
    c["next"].click()  # at the end: stays
    assert s.position == 1
    c["first"].click()
    assert s.position == 0 and c["view"].value == first_view
    c["last"].click()
    c["prev"].click()
    assert s.position == 0
    assert c["play"].max == c["slider"].max == 1


# -- Tensor steps: each parent's row shows what it really receives -----------------------------------------------
def test_tensor_step_table_shows_the_vjp_of_the_real_upstream() -> None:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), label="x")
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True, label="W")
    z = x @ W
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    L = h.sum()
    L.label = "L"
    s = Stepper(L)
    mm = next(step for step in s if step.node is z)
    (rx, rW) = mm.rows()
    g = mm.upstream  # d L / d z = 1 - tanh(z)^2, not ones
    assert not np.allclose(g, 1.0)
    np.testing.assert_array_equal(rW["receives"], x.data.T @ g)
    assert rW["elementwise"] is False and rx["receives"] is None
    text, table = str(mm), mm._repr_html_()
    assert "W: a^T @ g [a = x, b = W, g = the upstream gradient] = [[0.2001, 0.21], [-0.615" in text
    assert "(what it receives: the vector-Jacobian product)" in text
    assert "parent receives (vector-Jacobian product of the upstream)" in table
    assert "upstream × local" not in table and "not element-wise: the formula is applied to the upstream g" in table
    th = next(step for step in s if step.node is h)
    (row,) = th.rows()
    assert row["elementwise"] is True and "upstream × this, element by element" in th._repr_html_()
    np.testing.assert_allclose(th.upstream * row["local"], row["receives"], rtol=1e-15)


@given(st.integers(0, 2**16))
def test_what_parents_receive_adds_up_to_their_gradients(seed) -> None:
    params, root = _tensor_graph(seed)
    s = Stepper(root)
    received: dict = {}
    for step in s:
        for r in step.rows():
            if r["receives"] is not None:
                p = r["parent"]
                assert np.shape(r["receives"]) == p.data.shape
                received[p] = received[p] + r["receives"] if p in received else r["receives"]
                if r["elementwise"]:  # then the printed local derivative is honest: upstream x local
                    np.testing.assert_allclose(np.asarray(step.upstream) * r["local"], r["contribution"],
                                               rtol=1e-12)
    s.commit()
    for p in params:
        np.testing.assert_array_equal(received[p], p.grad)


@needs_dot
def test_in_a_kernel_a_stepper_shows_a_widget_with_the_player_as_fallback(tmp_path) -> None:
    """Run in a real Jupyter kernel: the output holds the widget (for a live front end) and the HTML player
    (for a saved notebook, GitHub, nbviewer), and stepping in the kernel changes no gradient."""
    import nbformat
    from nbclient import NotebookClient

    code = ("from autograd import Value, Stepper\n"
            "x, w1 = Value(-1.0, label='x'), Value(3.0, label='w1')\n"
            "z1 = w1 * x; z1.label = 'z1'\nJ = z1 ** 2; J.label = 'J'\n"
            "s = Stepper(J); s.next(); s.next(); s.prev()\ns")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code), nbformat.v4.new_code_cell("w1.grad")])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    (out,) = nb.cells[0].outputs
    assert "application/vnd.jupyter.widget-view+json" in out["data"]
    assert out["data"]["text/html"].startswith("<div class='cr-player'") and out["data"]["text/html"].count("<svg") == 2
    assert out["data"]["text/plain"].startswith("Stepper(J: step 0 of 2 steps, not committed)")
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "0.0"
