"""Adversarial tests of the interop and nn-split code of the second wave (issue 12, "Then").

Each test here failed before the fix it names. Without the `interop` extra they skip."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd import Tensor

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_ONNX = importlib.util.find_spec("onnx") is not None and importlib.util.find_spec("onnxruntime") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="needs the interop extra: pip install -e '.[interop]'")
needs_onnx = pytest.mark.skipif(not HAVE_ONNX, reason="needs the interop extra: pip install -e '.[interop]'")


def _run(path, x):
    import onnxruntime as ort

    return ort.InferenceSession(str(path)).run(None, {"input": x})[0]


@needs_onnx
def test_export_onnx_writes_numpy_promotion_as_casts(tmp_path):
    # a float32 model on a float64 batch computes in float64 (numpy promotes); the file mixed float32 weights and
    # float64 activations in one Gemm and onnx.checker refused it: "B has inconsistent type tensor(float)"
    model = nn.Sequential(nn.Dense(3, 4, "relu", rng=0, dtype=np.float32), nn.Dense(4, 2, rng=1, dtype=np.float32))
    x = np.random.default_rng(0).normal(size=(5, 3))
    nn.export_onnx(model, tmp_path / "m.onnx", x)
    out = _run(tmp_path / "m.onnx", x)
    assert out.dtype == np.float64
    assert np.allclose(out, model(x).data, rtol=1e-12, atol=1e-12)
    # the same through autograd.export_onnx: a float16 parameter times a float32 input
    w = Tensor(np.array([[0.5], [-1.0]], np.float16), requires_grad=True)
    xs = np.ones((3, 2), np.float32)
    autograd.export_onnx(lambda t: (t @ w).tanh(), (xs,), tmp_path / "f.onnx", dynamic_batch=True)
    assert np.allclose(_run(tmp_path / "f.onnx", xs), (Tensor(xs) @ w).tanh().data)


@needs_onnx
def test_export_onnx_refuses_a_single_sample_and_a_function(tmp_path):
    # a (3,) example was written with its feature axis as the dynamic batch: the file ran only on (3,) inputs
    model = nn.Sequential(nn.Dense(3, 2, rng=0))
    with pytest.raises(ValueError, match=r"got shape \(3,\); for one sample pass x\[None\] \(shape \(1, 3\)\)"):
        nn.export_onnx(model, tmp_path / "m.onnx", np.ones(3))
    # a function raised AttributeError ('function' object has no attribute 'parameters')
    with pytest.raises(TypeError, match="export_onnx: model must be a chainrule nn.Module, got function"):
        nn.export_onnx(lambda x: x, tmp_path / "f.onnx", np.ones((2, 3)))
    assert not (tmp_path / "m.onnx").exists() and not (tmp_path / "f.onnx").exists()


@needs_torch
def test_log_softmax_round_trips_through_torch():
    # to_torch writes F.log_softmax as torch's LogSoftmax(dim=-1), which from_torch refused
    import torch

    model = nn.Sequential(nn.Dense(3, 4, "tanh", rng=0), nn.Dense(4, 3, F.log_softmax, rng=1))
    back = nn.from_torch(nn.to_torch(model))
    x = np.random.default_rng(1).normal(size=(6, 3))
    assert np.allclose(back(x).data, model(x).data, rtol=0, atol=1e-15)
    alone = nn.from_torch(torch.nn.Sequential(torch.nn.Linear(3, 3, dtype=torch.float64), torch.nn.ReLU(),
                                              torch.nn.LogSoftmax(dim=-1)))
    t = alone(x).data
    assert np.allclose(np.exp(t).sum(axis=1), 1.0)
    with pytest.raises(nn.interop.ConversionError, match=r"LogSoftmax\(dim=0\)"):
        nn.from_torch(torch.nn.LogSoftmax(dim=0))


@needs_torch
def test_from_torch_names_a_dtype_numpy_lacks():
    # bfloat16 weights reached Tensor(), whose TypeError printed the whole array and named no module
    import torch

    module = torch.nn.Sequential(torch.nn.Linear(2, 2, dtype=torch.bfloat16))
    with pytest.raises(nn.interop.ConversionError, match=r"module '0'.*bfloat16 weights.*module.float\(\)"):
        nn.from_torch(module)


# ----------------------------------------------------------------------------------------------------------------
# The nn split: callbacks are checked when made, not an epoch into training
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hooks, said", [
    (dict(on_epoch_end=5), "on_epoch_end must be a function \\(index, logs\\), got int 5"),
    (dict(on_epoch_end=lambda logs: None), "on_epoch_end is called as on_epoch_end\\(index, logs\\), but the function "
                                           "given takes \\(logs\\)"),
    (dict(on_train_begin=lambda epoch, logs: None), "on_train_begin\\(logs\\), but the function given takes "
                                                    "\\(epoch, logs\\)"),
    (dict(on_batch_end=print, on_train_batch_end=print), "two names of one hook"),
])
def test_lambda_callback_refuses_a_hook_it_cannot_call(hooks, said):
    # each was accepted, then failed (or, for the twin names, one was silently dropped) once training had run
    with pytest.raises(TypeError, match=said):
        nn.LambdaCallback(**hooks)


def test_lambda_callback_takes_what_it_can_call():
    seen = []
    cb = nn.LambdaCallback(on_epoch_end=lambda epoch, logs=None: seen.append(epoch), on_train_begin=print,
                           on_batch_end=lambda *a: seen.append("b"), on_train_end=None)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    nn.fit(model, np.ones((4, 2)), np.ones((4, 1)), epochs=2, batch_size=4, loss="mse", optimizer="sgd", verbose=0,
           callbacks=[cb])
    assert seen == ["b", 0, "b", 1]


@pytest.mark.parametrize("verbose", [5, "1", -1, 1.5])
def test_progress_bar_refuses_a_verbosity_fit_would_refuse(verbose):
    # ProgressBar("1") was accepted and failed at the first epoch's end comparing str >= int
    with pytest.raises(ValueError, match="ProgressBar: verbose must be 0 \\(silent\\), 1 .* or 2"):
        nn.ProgressBar(verbose)


def test_fit_compile_names_itself_when_the_step_cannot_be_traced():
    # hinge loss checks its labels with numpy; fit(compile=True) failed with a TraceError naming only a line of
    # nn/functional.py, not fit's compile option
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(autograd.TraceError, match="fit\\(compile=True\\): the batch step .*'hinge_loss'.* use "
                                                  "compile=False. The trace said: the data of an argument"):
        nn.fit(model, np.ones((4, 2)), np.ones((4, 1)), epochs=1, loss="hinge", optimizer="sgd", verbose=0,
               compile=True)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))


@pytest.mark.parametrize("clip", ["norm", "value", "norm of a generator"])
@pytest.mark.parametrize("name,hp", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01)),
                                     ("RMSprop", dict(lr=0.01, centered=True))])
def test_a_compiled_training_step_clips_on_every_call(clip, name, hp):
    # clip_grad_norm_ / clip_grad_value_ change .grad in place with numpy: a compiled step ran them only while
    # tracing and replayed the step unclipped (SGD's loss after 5 steps 0.331 instead of 0.981)
    rng = np.random.default_rng(0)
    X, Y = Tensor(rng.normal(size=(8, 3))), Tensor(rng.normal(size=(8, 1)))
    runs = []
    for compiled in (False, True):
        model = nn.Sequential(nn.Dense(3, 4, "tanh", rng=0), nn.Dense(4, 1, rng=1))
        opt = getattr(nn, name)(model.parameters(), **hp)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            if clip == "norm":
                nn.optim.clip_grad_norm_(model.parameters(), 0.1)
            elif clip == "value":
                nn.optim.clip_grad_value_(model.parameters(), 0.01)
            else:
                nn.optim.clip_grad_norm_((p for p in model.parameters()), 0.1)  # used up once: kept as a list
            opt.step()
            return loss

        f = autograd.compile(step) if compiled else step
        losses = [float(f(X, Y).data) for _ in range(5)]
        runs.append((losses, [p.data.copy() for p in model.parameters()]))
    (eager_losses, eager_params), (comp_losses, comp_params) = runs
    assert comp_losses == eager_losses
    assert all(np.array_equal(a, b) for a, b in zip(eager_params, comp_params))
