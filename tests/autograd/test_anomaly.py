"""detect_anomaly: the first op making a NaN/inf, forward or backward, is named with the user's line."""

from __future__ import annotations

import inspect
import threading
import warnings

import numpy as np
import pytest

from autograd import Tensor, Value, engine, where
from autograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled


def _line() -> int:
    """The line number of the caller's line."""
    return inspect.currentframe().f_back.f_lineno


@pytest.fixture(autouse=True)
def quiet_numpy():
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
    assert engine._mode.anomaly is None  # every test leaves detection off


def cross_entropy(p: Tensor, y: Tensor) -> Tensor:
    return -(y * p.log()).sum()


def test_log_of_zero_in_a_loss_names_log_the_line_and_the_inputs():
    p = Tensor([0.7, 0.3, 0.0], requires_grad=True)
    y = Tensor([1.0, 0.0, 0.0])
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        cross_entropy(p, y)
    msg = str(info.value)
    assert msg.splitlines()[0] == "detect_anomaly: log produced -inf (1 of 3 elements) in its output (forward pass)"
    line = inspect.getsourcelines(cross_entropy)[1] + 1  # the body's line, outside the autograd package
    assert f"{__file__}:{line} in cross_entropy" in msg and "-(y * p.log()).sum()" in msg
    assert "input 0: shape (3,), min 0, max 0.7, no nan/inf" in msg
    assert "hint: log(x) is -inf at x = 0" in msg and "double where" in msg


def test_silent_when_off():
    p = Tensor([0.7, 0.3, 0.0], requires_grad=True)
    loss = cross_entropy(p, Tensor([1.0, 0.0, 0.0]))  # no error: numpy semantics
    assert np.isnan(loss.data) or np.isinf(loss.data)
    loss.backward()
    assert not is_anomaly_enabled()


def test_the_first_op_is_named_not_the_ones_that_propagate_it():
    x = Tensor([1.0, 0.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="^detect_anomaly: div produced inf"):
        ((1.0 / x) * 0.0 + 1.0).exp()


def test_backward_anomaly_names_the_op_and_where_its_node_was_made():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        r = x.sqrt(); line = _line()  # noqa: E702
        loss = (r * 3.0).sum()  # finite forward: sqrt(0) = 0; but d sqrt(x)/dx is infinite at 0
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    msg = str(info.value)
    assert msg.startswith("detect_anomaly: the backward of sqrt produced inf (1 of 2 elements) in the gradient")
    assert "from a finite upstream gradient" in msg and "1 / (2 * sqrt(x))" in msg
    assert f"{__file__}:{line}" in msg and "hint: sqrt(x) is NaN for x < 0" in msg


def test_backward_of_a_node_made_before_detection_says_so():
    x = Tensor([0.0], requires_grad=True)
    loss = (x.sqrt() * 2.0).sum()
    with detect_anomaly(), pytest.raises(AnomalyError, match="made before detect_anomaly was entered"):
        loss.backward()


def test_value_overflow_is_named():
    with detect_anomaly(), pytest.raises(AnomalyError, match="exp produced inf") as info:
        Value(800.0).exp()
    assert "input 0: value 800.0" in str(info.value) and "overflows" in str(info.value)


def test_where_pattern_is_safe_in_backward_and_the_double_where_is_quiet_in_forward():
    x = Tensor([0.0, 2.0], requires_grad=True)
    # the usual pattern: forward makes -inf in the unselected branch, which detection reports with the fix
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"where\(x > 0, log\(where\(x > 0, x, 1\)\), 0\)"):
        where(x.data > 0, x.log(), 0.0)
    # the double where: nothing to report, and the gradient is finite
    with detect_anomaly():
        safe = where(x.data > 0, where(x.data > 0, x, 1.0).log(), 0.0).sum()
        safe.backward()
    assert x.grad.tolist() == [0.0, 0.5]


def test_restores_nests_and_clears():
    assert engine._mode.anomaly is None
    with detect_anomaly():
        outer = engine._mode.anomaly
        kept = Tensor([1.0], requires_grad=True).exp()
        assert len(outer.sites) == 1
        Tensor([1.0], requires_grad=True).exp()  # dropped at once: its record goes with it (a weak reference)
        assert len(outer.sites) == 1 and kept is not None
        with detect_anomaly():
            assert engine._mode.anomaly is outer  # nested blocks share the records
        with detect_anomaly(enabled=False):
            assert engine._mode.anomaly is None
            Tensor([0.0], requires_grad=True).log()  # off: silent
        assert engine._mode.anomaly is outer
    assert engine._mode.anomaly is None and outer.sites == {}


def test_thread_local_and_usable_as_a_decorator():
    seen = []

    @detect_anomaly()
    def work():
        seen.append(is_anomaly_enabled())
        t = threading.Thread(target=lambda: seen.append(is_anomaly_enabled()))
        t.start()
        t.join()
        Value(1.0).log()

    work()
    work()  # re-usable
    assert seen == [True, False, True, False] and not is_anomaly_enabled()


def test_a_nan_made_from_infinities_is_named_with_its_hint():
    # -inf as a mask is legitimate; a row masked entirely makes log_softmax's NaN: that op is the one to name
    logits = Tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
    mask = np.array([[True, False], [False, False]])
    with detect_anomaly():
        masked = where(mask, logits, -np.inf)  # silent: the -inf comes from a constant
        with pytest.raises(AnomalyError) as info:
            masked.log_softmax(axis=-1)
    msg = str(info.value)
    assert msg.splitlines()[0] == "detect_anomaly: log_softmax produced nan and -inf (3 of 4 elements) in its " \
                                  "output (forward pass)"
    assert "its inputs (1 non-finite):" in msg and "hint: a row of all -inf logits gives NaN" in msg


def test_a_recorded_backward_names_the_op_whose_rule_failed_not_an_inner_step():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        r = x.sqrt(); line = _line()  # noqa: E702
        loss = (r * 3.0).sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward(create_graph=True)  # the rule runs on nodes: its division is recorded
    msg = str(info.value)
    assert msg.startswith("detect_anomaly: the backward of sqrt produced inf (1 of 2 elements) "
                          "(recorded with create_graph=True, in its div step)"), msg
    assert "sqrt: d/dx = 1 / (2 * sqrt(x))" in msg and f"{__file__}:{line}" in msg
    assert "hint: sqrt(x) is NaN for x < 0" in msg


def test_a_training_loop_under_detection_does_not_keep_its_graphs_alive():
    W = Tensor(np.ones((3, 2)), requires_grad=True)
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly():
        r = x.sqrt(); line = _line()  # noqa: E702
        for _ in range(3000):
            loss = ((Tensor(np.ones((1, 3))) @ W).tanh() * 0.5).sum()
            loss.backward()
        kept = len(engine._mode.anomaly.sites)
        with pytest.raises(AnomalyError, match=f"the node was created at {__file__}:{line}"):
            (r * 2.0).sum().backward()  # a node still alive keeps its site
    assert kept < 5000, kept  # 3000 graphs of 4 nodes each: the dead ones are let go
