"""nn.to_torch / nn.from_torch (models and optimizers), nn.export_onnx and autograd.export_onnx.

Each claim of issue 16 is a test here: outputs equal to 1e-12 (float64) and 1e-6 (float32) in both directions;
10 epochs here + 10 in PyTorch == 20 here (and 10 in PyTorch + 10 here == 20 in PyTorch) to 1e-10 for every
optimizer; ONNX files that onnx.checker accepts and whose onnxruntime outputs equal ours to 1e-5 on several batch
sizes. Without the `interop` extra these tests skip and say so; the lazy-import test always runs.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

import autograd
import nn
from autograd import Op, Tensor, Value, apply, register, unregister

HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_ONNX = importlib.util.find_spec("onnx") is not None and importlib.util.find_spec("onnxruntime") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="PyTorch is not installed: pip install -e '.[interop]'")
needs_onnx = pytest.mark.skipif(
    not HAVE_ONNX, reason="onnx and onnxruntime are not installed: pip install -e '.[interop]'"
)


def test_import_nn_does_not_import_torch_or_onnx() -> None:
    code = "import sys, nn, autograd; print(sorted({'torch', 'onnx', 'onnxruntime'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_without_torch_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"to_torch: needs PyTorch.*\[interop\]"):
        nn.to_torch(nn.Sequential(nn.Dense(2, 1, rng=0)))


def test_without_onnx_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"export_onnx: needs the onnx package.*\[interop\]"):
        autograd.export_onnx(lambda x: x * 2, (np.ones(3),), None)


# ----------------------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------------------

TOL = {np.float64: 1e-12, np.float32: 1e-6}


def _mixed(dtype, p=0.3):
    return nn.Sequential(
        nn.Flatten(), nn.Dense(6, 16, "relu", rng=0, dtype=dtype), nn.Dropout(p, rng=0),
        nn.Dense(16, 12, "tanh", rng=1, dtype=dtype), nn.LeakyReLU(0.2), nn.Dense(12, 8, rng=2, dtype=dtype),
        nn.Sigmoid(), nn.Dense(8, 8, nn.functional.softplus, rng=3, dtype=dtype), nn.Softplus(2.0, 5.0),
        nn.Dense(8, 4, "softmax", rng=4, dtype=dtype),
    )


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_to_torch_same_outputs_in_eval_and_train_mode(dtype) -> None:
    import torch

    x = np.random.default_rng(1).normal(size=(32, 2, 3)).astype(dtype)
    model = _mixed(dtype).eval()
    tmodel = nn.to_torch(model)
    assert not tmodel.training
    assert isinstance(tmodel[1], torch.nn.Linear) and tmodel[1].weight.dtype == getattr(torch, np.dtype(dtype).name)
    np.testing.assert_array_equal(tmodel[1].weight.detach().numpy(), model[1].W.data.T)  # (out, in) layout
    diff = np.abs(tmodel(torch.from_numpy(x)).detach().numpy() - model(x).data).max()
    assert diff <= TOL[dtype], diff
    model_train = _mixed(dtype, p=0.0).train()  # dropout aside: it draws its own masks on each side
    tmodel_train = nn.to_torch(model_train)
    assert tmodel_train.training
    diff = np.abs(tmodel_train(torch.from_numpy(x)).detach().numpy() - model_train(x).data).max()
    assert diff <= TOL[dtype], diff


@needs_torch
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_from_torch_same_outputs_and_the_activation_joins_its_dense(dtype) -> None:
    import torch

    torch.manual_seed(0)
    tdt = getattr(torch, np.dtype(dtype).name)
    tn = torch.nn
    tmodel = tn.Sequential(
        tn.Flatten(), tn.Linear(6, 10, dtype=tdt), tn.ReLU(), tn.Dropout(0.25),
        tn.Sequential(tn.Linear(10, 10, dtype=tdt), tn.Tanh()), tn.Linear(10, 5, bias=False, dtype=tdt),
        tn.LeakyReLU(0.3), tn.Linear(5, 3, dtype=tdt), tn.Softmax(dim=1),
    ).eval()
    model = nn.from_torch(tmodel)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Flatten", "Dense", "Dropout", "Dense", "Dense", "Dense"], kinds
    assert model[1].activation == "relu" and model[4].b is None and not model.training
    assert model[1].W.dtype == dtype
    x = np.random.default_rng(2).normal(size=(17, 3, 2)).astype(dtype)
    diff = np.abs(tmodel(torch.from_numpy(x)).detach().numpy() - model(x).data).max()
    assert diff <= TOL[dtype], diff
    again = nn.to_torch(model)  # and back: the same modules, the same weights
    assert [type(m).__name__ for m in again] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear", "Tanh", "Linear",
                                                 "LeakyReLU", "Linear", "Softmax"]
    for a, b in zip(tmodel.parameters(), again.parameters()):
        assert torch.equal(a, b)


@needs_torch
def test_value_models_become_linear_layers() -> None:
    import torch

    mlp = nn.MLP(3, [5, 4, 2], rng=0)
    tm = nn.to_torch(mlp)
    assert [type(m).__name__ for m in tm] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert tm[0].weight[2, 1].item() == mlp.layers[0].neurons[2].w[1].data  # row j holds neuron j's weights
    x = np.random.default_rng(0).normal(size=(9, 3))
    ours = np.array([[v.data for v in mlp(list(row))] for row in x])
    assert np.abs(tm(torch.from_numpy(x)).detach().numpy() - ours).max() <= 1e-12
    p = nn.Perceptron(2, activation="sigmoid", w0=1.0, W=(3.0, -2.0))  # the lecture's perceptron
    tp = nn.to_torch(p)
    assert tp(torch.tensor([[-1.0, 2.0]], dtype=torch.float64)).item() == pytest.approx(p([-1.0, 2.0]).data, abs=1e-15)


class _Custom(nn.Module):
    def forward(self, x):
        return x


@needs_torch
def test_unsupported_layers_are_named() -> None:
    import torch

    with pytest.raises(nn.ConversionError, match=r"layer '1' is a _Custom"):
        nn.to_torch(nn.Sequential(nn.Dense(2, 2, rng=0), _Custom()))
    with pytest.raises(nn.ConversionError, match=r"activation of layer '0' is '_cube'"):
        nn.to_torch(nn.Sequential(nn.Dense(2, 2, _cube, rng=0)))
    tn = torch.nn
    with pytest.raises(nn.ConversionError, match=r"module '1', Conv1d"):
        nn.from_torch(tn.Sequential(tn.Linear(2, 2), tn.Conv1d(1, 1, 1)))
    with pytest.raises(nn.ConversionError, match=r"module '0.1', GELU"):
        nn.from_torch(tn.Sequential(tn.Sequential(tn.Linear(2, 2), tn.GELU())))
    with pytest.raises(nn.ConversionError, match=r"dim=None"):
        nn.from_torch(tn.Sequential(tn.Softmax()))


def _cube(z):
    return z * z * z


# ----------------------------------------------------------------------------------------------------------------
# Optimizers: 10 epochs here + 10 in PyTorch == 20 here, both ways, to 1e-10 in float64
# ----------------------------------------------------------------------------------------------------------------

RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 3))
Y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]]))
ORDERS = [np.random.default_rng(e).permutation(40).reshape(4, 10) for e in range(20)]  # the same batches

OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01, betas=(0.8, 0.99))),
    ("AdamW", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=1.0, rho=0.8)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.01)),
]
IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in hp.items())}" for n, hp in OPTIMIZERS]


def _ours_train(model, opt, epochs) -> None:
    for e in epochs:
        for idx in ORDERS[e]:
            opt.zero_grad()
            nn.functional.mse_loss(model(X[idx]), Tensor(Y[idx])).backward()
            opt.step()


def _torch_train(tmodel, topt, epochs) -> None:
    import torch

    for e in epochs:
        for idx in ORDERS[e]:
            topt.zero_grad()
            torch.nn.functional.mse_loss(tmodel(torch.from_numpy(X[idx])), torch.from_numpy(Y[idx])).backward()
            topt.step()


def _model():
    return nn.Sequential(nn.Dense(3, 8, "tanh", rng=0), nn.Dense(8, 6, "relu", rng=1), nn.Dense(6, 1, rng=2))


def _gap(model, tmodel) -> float:
    theirs = nn.from_torch(tmodel).state_dict()
    return max(float(np.abs(theirs[k] - v).max()) for k, v in model.state_dict().items())


@needs_torch
@pytest.mark.parametrize("name,hp", OPTIMIZERS, ids=IDS)
def test_training_goes_on_in_pytorch(name, hp) -> None:
    here = _model()
    _ours_train(here, getattr(nn, name)(here.parameters(), **hp), range(20))
    half = _model()
    opt = getattr(nn, name)(half.parameters(), **hp)
    _ours_train(half, opt, range(10))
    tmodel, topt = nn.to_torch(half, opt)
    assert type(topt).__name__ == name
    _torch_train(tmodel, topt, range(10, 20))
    assert _gap(here, tmodel) <= 1e-10


@needs_torch
@pytest.mark.parametrize("name,hp", OPTIMIZERS, ids=IDS)
def test_training_comes_back_from_pytorch(name, hp) -> None:
    import torch

    there = nn.to_torch(_model())
    _torch_train(there, getattr(torch.optim, name)(there.parameters(), **hp), range(20))
    half = nn.to_torch(_model())
    topt = getattr(torch.optim, name)(half.parameters(), **hp)
    _torch_train(half, topt, range(10))
    model, opt = nn.from_torch(half, topt)
    assert type(opt).__name__ == name and opt.hyperparameters["lr"] == hp["lr"]
    _ours_train(model, opt, range(10, 20))
    assert _gap(model, there) <= 1e-10
    here = _model()  # and all of it here: the same weights again
    _ours_train(here, getattr(nn, name)(here.parameters(), **hp), range(20))
    assert _gap(here, there) <= 1e-10


@needs_torch
def test_parameter_groups_and_value_models_carry_over() -> None:
    import torch

    def value_train(mlp, opt, epochs):
        for e in epochs:
            for idx in ORDERS[e]:
                opt.zero_grad()
                preds = [mlp(list(X[i])) for i in idx]
                loss = sum(((p - float(Y[i, 0])) ** 2 for p, i in zip(preds, idx)), Value(0.0)) / len(idx)
                loss.backward()
                opt.step()

    def groups(mlp):
        return [{"params": mlp.layers[0].parameters(), "lr": 0.02}, {"params": mlp.layers[1].parameters()}]

    here = nn.MLP(3, [4, 1], activation="tanh", rng=3)
    value_train(here, nn.Adam(groups(here), lr=0.01, amsgrad=True), range(6))
    half = nn.MLP(3, [4, 1], activation="tanh", rng=3)
    opt = nn.Adam(groups(half), lr=0.01, amsgrad=True)
    value_train(half, opt, range(3))
    tmodel, topt = nn.to_torch(half, opt)
    assert [g["lr"] for g in topt.param_groups] == [0.02, 0.01]
    assert topt.state[tmodel[0].weight]["exp_avg"][2, 1].item() == opt.state[opt.params.index(
        half.layers[0].neurons[2].w[1])]["exp_avg"]
    _torch_train(tmodel, topt, range(3, 6))
    ours = np.array([[n.w[i].data for i in range(3)] for n in here.layers[0].neurons])
    assert np.abs(tmodel[0].weight.detach().numpy() - ours).max() <= 1e-10
    assert abs(tmodel[2].bias.item() - here.layers[1].neurons[0].b.data) <= 1e-10
    with pytest.raises(nn.ConversionError, match="exactly the model's parameters"):
        nn.to_torch(half, nn.SGD(half.layers[0].parameters()))
    with pytest.raises(nn.ConversionError, match="different groups"):
        nn.to_torch(half, nn.SGD([{"params": half.layers[0].neurons[0].parameters()},
                                  {"params": [p for n in half.layers[0].neurons[1:] for p in n.parameters()]
                                   + half.layers[1].parameters()}]))
    with pytest.raises(nn.ConversionError, match="NAdam has no counterpart"):
        nn.from_torch(tmodel, torch.optim.NAdam(tmodel.parameters()))


@needs_torch
def test_optimizer_state_dicts_in_both_forms() -> None:
    import torch

    model = _model()
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    _ours_train(model, opt, range(2))
    sd = nn.interop.optimizer_state_to_torch(opt, model)
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3, 4, 5]
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"].numpy(), opt.state[0]["momentum_buffer"].T)
    tmodel = nn.to_torch(model)
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    topt.load_state_dict(sd)
    back = nn.interop.optimizer_state_from_torch(topt, model, tmodel)
    for i, s in opt.state_dict()["state"].items():
        np.testing.assert_array_equal(back["state"][i]["momentum_buffer"], s["momentum_buffer"])
    fresh = nn.Adagrad(model.parameters(), initial_accumulator_value=0.5)  # no step yet: torch wants its sums
    _, tada = nn.to_torch(model, fresh)
    assert float(tada.state[next(iter(tada.state))]["sum"].flatten()[0]) == 0.5


# ----------------------------------------------------------------------------------------------------------------
# ONNX
# ----------------------------------------------------------------------------------------------------------------


def _run(path, feeds):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)


@needs_onnx
def test_export_onnx_runs_in_onnxruntime_on_any_batch(tmp_path) -> None:
    import onnx

    model = _mixed(np.float32).train()
    path = tmp_path / "model.onnx"
    proto = nn.export_onnx(model, path, np.zeros((4, 2, 3), np.float32))
    assert model.training  # the mode is restored; dropout was left out of the file
    onnx.checker.check_model(onnx.load(path), full_check=True)
    assert proto.opset_import[0].version == 18
    ops = [n.op_type for n in proto.graph.node]
    assert [op for op in ops if op not in ("Abs", "Neg", "Exp", "Log", "Add", "Relu", "Mul", "Div")] == [
        "Reshape", "Gemm", "Gemm", "Tanh", "LeakyRelu", "Gemm", "Sigmoid", "Gemm", "Greater", "Where", "Greater",
        "Where", "Gemm", "Softmax"], ops
    assert ops[:3] == ["Reshape", "Gemm", "Relu"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    model.eval()
    rng = np.random.default_rng(0)
    for n in (1, 5, 64, 257):
        x = rng.normal(size=(n, 2, 3)).astype(np.float32)
        (out,) = _run(path, {"input": x})
        assert out.shape == (n, 4)
        assert np.abs(out - model(x).data).max() <= 1e-5


@needs_onnx
def test_export_onnx_of_a_value_mlp(tmp_path) -> None:
    mlp = nn.MLP(2, [8, 8, 1], rng=0)
    nn.export_onnx(mlp, tmp_path / "mlp.onnx", np.zeros((3, 2), np.float32))
    x = np.random.default_rng(1).normal(size=(11, 2)).astype(np.float32)
    (out,) = _run(tmp_path / "mlp.onnx", {"input": x})
    ours = np.array([mlp(list(map(float, row))).data for row in x])
    assert np.abs(out[:, 0] - ours).max() <= 1e-5


@needs_onnx
def test_a_value_graph_exports(tmp_path) -> None:
    def perceptron(x1, x2):
        return (1 + 3 * x1 - 2 * x2).sigmoid()

    autograd.export_onnx(perceptron, (-1.0, 2.0), tmp_path / "p.onnx", input_names=["x1", "x2"])
    for a, b in [(-1.0, 2.0), (0.3, -0.7)]:
        (out,) = _run(tmp_path / "p.onnx", {"x1": np.array(a), "x2": np.array(b)})
        assert out.shape == () and abs(out - perceptron(Value(a), Value(b)).data) <= 1e-12
    neuron = nn.Neuron(3, "tanh", rng=0)
    autograd.export_onnx(lambda *xs: neuron(list(xs)), (0.1, 0.2, 0.3), tmp_path / "n.onnx")
    feeds = {f"input{i}": np.array(v) for i, v in enumerate((0.5, -1.0, 2.0))}
    assert abs(_run(tmp_path / "n.onnx", feeds)[0] - neuron([0.5, -1.0, 2.0]).data) <= 1e-12


def _tensor_function(x, y):
    z = (x[:, 1:] * 2.0 - y.reshape(x.shape[0], 2)).abs() ** 1.5
    h = autograd.concatenate([z, x.exp(), (x + 2).log(), (x * x + 1).sqrt(), x.sin(), x.cos()], axis=1)
    m = autograd.maximum(h, 0.5) + autograd.minimum(h, 1.0) - h.clip(-1.0, 1.0) / 3
    s = m.softplus(beta=2.0) + m.leaky_relu(0.1) + m.transpose(1, 0).T.sigmoid()
    r = (s.sum(axis=1, keepdims=True) + s.mean(axis=1, keepdims=True) + s.max(axis=1, keepdims=True)
         - s.min(axis=1, keepdims=True) + s.logsumexp(axis=1, keepdims=True))
    e = r.broadcast_to(r.shape[0], 4) * s[:, 0:4] + s[:, -1].unsqueeze(1)
    bce = (e @ np.ones((4, 2)) - 40.0).bce_with_logits(Tensor(np.ones(2)) * 0.3).mean(axis=1, keepdims=True)
    return e.softmax(axis=1) + e.log_softmax(axis=1) + bce, (e / 10).relu().tanh().sum(axis=0) + bce.softplus()


@needs_onnx
def test_a_tensor_function_with_many_ops_exports(tmp_path) -> None:
    rng = np.random.default_rng(3)
    args = (rng.uniform(-1, 1, size=(5, 3)), rng.uniform(-1, 1, size=(5, 2)))
    proto = autograd.export_onnx(_tensor_function, args, tmp_path / "f.onnx", dynamic_batch=True,
                                 output_names=["per_row", "total"])
    used = {n.op_type for n in proto.graph.node}
    assert {"MatMul", "Concat", "ReduceLogSumExp", "ReduceMax", "Expand", "Slice", "Squeeze", "Transpose", "Pow",
            "Clip", "Max", "Min", "Softmax", "LogSoftmax", "Sin", "Cos", "Sqrt"} <= used, used
    dims = [[d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in proto.graph.output]
    assert dims == [["batch", 4], ["batch", 4]], dims
    summed = autograd.export_onnx(lambda x: (x.sum(axis=0), x.reshape(4, 2, 2)), (np.ones((4, 4)),), None,
                                  dynamic_batch=True)  # shape inference tells a batch axis from a 4 that is not
    dims = [[d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] for o in summed.graph.output]
    assert dims == [[4], ["batch", 2, 2]], dims
    for n in (5, 1, 9):
        x, y = rng.uniform(-1, 1, size=(n, 3)), rng.uniform(-1, 1, size=(n, 2))
        got = _run(tmp_path / "f.onnx", {"input0": x, "input1": y})
        want = _tensor_function(Tensor(x), Tensor(y))
        for g, w in zip(got, want):
            assert g.shape == w.shape and np.abs(g - w.data).max() <= 1e-9, (n, np.abs(g - w.data).max())


@needs_onnx
def test_the_first_op_without_an_onnx_form_is_named(tmp_path) -> None:
    with pytest.raises(autograd.OnnxExportError, match=r"op 'where' .*condition is an array captured"):
        autograd.export_onnx(lambda x: autograd.where(x.data > 0, x, 0.0) * 2, (np.ones(3),), tmp_path / "w.onnx")
    cube = register(Op("my_cube", arity=1, forward=lambda F, ctx, x: x * x * x,
                       backward=lambda F, ctx, g, out, x: (g * 3 * x * x,), formula=("3x^2",)))
    try:
        with pytest.raises(autograd.OnnxExportError, match=r"op 'my_cube' \(node 3 of 4.*ONNX_FORMS\['my_cube'\]"):
            autograd.export_onnx(lambda x: apply(cube, x.exp()).tanh(), (np.ones(3),), None)
        autograd.onnx.ONNX_FORMS["my_cube"] = lambda g, node, ins: g.op("Mul", [g.op("Mul", ins * 2), ins[0]])
        autograd.export_onnx(lambda x: apply(cube, x), (np.ones(3),), tmp_path / "c.onnx")
        assert np.allclose(_run(tmp_path / "c.onnx", {"input": np.array([2.0, 3.0, -1.0])})[0], [8, 27, -1])
    finally:
        autograd.onnx.ONNX_FORMS.pop("my_cube", None)
        unregister("my_cube")
    builtin = {v.name for v in vars(autograd.ops).values() if isinstance(v, Op)}
    unmapped = builtin - set(autograd.onnx.ONNX_FORMS) - set(autograd.onnx.NO_ONNX_FORM)
    assert not unmapped, f"every op of autograd.ops has an ONNX form or a reason why not: {sorted(unmapped)}"
