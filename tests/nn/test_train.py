"""nn.train: fit equals the explicit loop, modes, validation split, metrics, callbacks, errors, progress."""

import math
import sys

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import data
from nn.data import DataLoader
from nn.train import (
    Accuracy,
    Callback,
    EarlyStopping,
    History,
    LambdaCallback,
    evaluate,
    fit,
    get_loss,
    get_metric,
    mae,
    mse,
    predict,
)


def moons_model(dropout=0.0, seed=0):
    layers = [nn.Dense(2, 16, "relu", rng=seed)]
    if dropout:
        layers.append(nn.Dropout(dropout, rng=seed + 10))
    layers.append(nn.Dense(16, 1, rng=seed + 1))
    return nn.Sequential(*layers)


def test_history_equals_a_hand_run_loop_with_the_same_seed():
    X, y = data.make_moons(90, noise=0.2, seed=0)
    a, b = moons_model(dropout=0.3), moons_model(dropout=0.3)
    h = fit(a, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(a.parameters(), lr=0.02), epochs=4,
            batch_size=16, validation_split=0.2, seed=7, metrics=["accuracy", "mae"], verbose=0)

    split = math.floor(90 * 0.8)
    Xt, yt, Xv, yv = X[:split], y[:split, None].astype(float), X[split:], y[split:, None].astype(float)
    loss_fn, opt = nn.BCEWithLogitsLoss(), nn.optim.Adam(b.parameters(), lr=0.02)
    loader = DataLoader(Xt, yt, batch_size=16, seed=7)
    rows = {k: [] for k in ["loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae"]}
    for _ in range(4):
        b.train()
        tot = np.zeros(3)
        for xb, yb in loader:
            out = b(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            acc = np.mean((out.data > 0) == (yb.data > 0.5))
            tot += len(xb) / split * np.array([loss.item(), acc, np.mean(np.abs(out.data - yb.data))])
        b.eval()
        out = b(Tensor(Xv))
        val = [loss_fn(out, Tensor(yv)).item(), np.mean((out.data > 0) == (yv > 0.5)), np.mean(np.abs(out.data - yv))]
        for k, v in zip(rows, [*tot, *val]):
            rows[k].append(v)
    assert list(h.history) == list(rows)
    for k in rows:
        np.testing.assert_allclose(h.history[k], rows[k], rtol=1e-12, atol=1e-15, err_msg=k)
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert h.epoch == [0, 1, 2, 3]


class Probe(nn.Module):
    """Records the mode and the values that reach it."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, np.unique(x.data).tolist()))
        return x


def test_dropout_is_on_in_training_batches_and_off_in_validation():
    probe = Probe()
    model = nn.Sequential(nn.Dropout(0.5, rng=0), probe, nn.Dense(1, 1, rng=0))
    X, y = np.ones((40, 1)), np.zeros(40)
    model.eval()  # fit switches modes itself and restores the caller's afterwards
    fit(model, X, y, loss="mse", optimizer=nn.optim.SGD(model.parameters(), lr=0.01), epochs=2, batch_size=10,
        validation_split=0.25, verbose=0)
    assert model.training is False and not any(m.training for m in model.modules())
    train_calls = [s for s in probe.seen if s[0]]
    eval_calls = [s for s in probe.seen if not s[0]]
    assert len(train_calls) == 2 * 3 and len(eval_calls) == 2
    assert all(values == [0.0, 2.0] for _, values in train_calls)  # dropped or scaled by 1/(1 - p)
    assert all(values == [1.0] for _, values in eval_calls)  # identity


def test_train_mode_is_restored_too():
    model = moons_model()
    X, y = data.make_moons(20, seed=0)
    fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=1, verbose=0)
    assert model.training is True


def test_validation_split_takes_the_last_samples_before_shuffling():
    X = np.arange(10.0)[:, None]
    y = np.arange(10.0)
    seen_val = []

    class Rec(nn.Module):
        def forward(self, x):
            if not self.training:
                seen_val.append(x.data[:, 0].tolist())
            return x @ Tensor(np.ones((1, 1)))

    model = nn.Sequential(Rec(), nn.Dense(1, 1, rng=0))
    h = fit(model, X, y, loss="mse", optimizer=nn.optim.SGD(model.parameters(), lr=1e-3), epochs=2,
            validation_split=0.25, batch_size=3, verbose=0)
    assert seen_val == [[7.0, 8.0, 9.0], [7.0, 8.0, 9.0]]  # split_at = floor(10 * 0.75) = 7, never shuffled
    assert h.params["samples"] == 7 and h.params["validation_samples"] == 3


@pytest.mark.parametrize("v, msg", [
    (1e-17, r"validation_split=1e-17 of 10 samples leaves 10 for training and 0 for validation"),
    (0.99, r"validation_split=0.99 of 10 samples leaves 0 for training and 10 for validation"),
    (1.0, r"validation_split must lie in \[0, 1\), got 1.0"),
    (-0.1, r"validation_split must lie in \[0, 1\), got -0.1"),
])
def test_validation_split_errors(v, msg):
    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    with pytest.raises(ValueError, match=msg):
        fit(model, np.zeros((10, 1)), np.zeros(10), loss="mse", optimizer="sgd", epochs=1, validation_split=v,
            verbose=0)


def test_validation_data_and_its_errors():
    X, y = data.make_moons(40, seed=0)
    Xv, yv = data.make_moons(30, seed=1)
    model = moons_model()
    h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=2, validation_data=(Xv, yv), verbose=0)
    assert h.history["val_loss"][-1] == pytest.approx(evaluate(model, Xv, yv, "bce_with_logits")["loss"], rel=1e-12)
    with pytest.raises(ValueError, match="give validation_split or validation_data, not both"):
        fit(model, X, y, loss="mse", optimizer="adam", epochs=1, validation_data=(Xv, yv), validation_split=0.1)
    with pytest.raises(ValueError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        fit(model, X, y, loss="mse", optimizer="adam", epochs=1, validation_data=Xv)
    with pytest.raises(ValueError, match=r"fit \(validation_data\): X has 30 samples"):
        fit(model, X, y, loss="mse", optimizer="adam", epochs=1, validation_data=(Xv, yv[:5]))


def test_fit_learns_the_lecture_pass_fail_set_with_a_perceptron():
    X, y = data.make_pass_fail(300, noise=0.3, seed=0)
    X = X / 12.0
    model = nn.Sequential(nn.Dense(2, 1, activation="sigmoid", rng=0))
    h = fit(model, X, y, loss="bce", optimizer=nn.optim.Adam(model.parameters(), lr=0.1), epochs=60,
            metrics=["accuracy"], seed=0, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert h.history["accuracy"][-1] > 0.9


def test_multiclass_with_integer_labels_and_cross_entropy():
    X, y = data.make_blobs(150, noise=0.5, centers=3, seed=0)
    model = nn.Sequential(nn.Dense(2, 8, "relu", rng=0), nn.Dense(8, 3, rng=1))
    h = fit(model, X, y, loss=nn.CrossEntropyLoss(), optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
            epochs=20, metrics=["accuracy"], seed=0, verbose=0)
    assert h.history["accuracy"][-1] > 0.95
    assert evaluate(model, X, y, "cross_entropy", ["accuracy"])["accuracy"] > 0.95
    assert predict(model, X).shape == (150, 3)


def test_nan_loss_stops_with_epoch_and_batch():
    X, y = np.ones((10, 1)), np.ones(10)
    model = nn.Sequential(nn.Dense(1, 1, rng=0))

    class Poison(Callback):
        def on_batch_end(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 1:
                self.model.layers[0].W.data[...] = np.nan

    with pytest.raises(FloatingPointError, match=r"the loss became nan in epoch 2/3, batch 3/4"):
        fit(model, X, y, loss="mse", optimizer="sgd", epochs=3, batch_size=3, shuffle=False,
            callbacks=[Poison()], verbose=1)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_infinite_loss_is_caught_too():
    model = nn.Sequential(nn.Dense(1, 1, rng=0, init="ones"))
    with pytest.raises(FloatingPointError, match=r"the loss became inf in epoch 1/1, batch 1/1"):
        fit(model, np.full((2, 1), 1e200), np.zeros(2), loss="mse", optimizer="sgd", epochs=1, verbose=0)


def test_loss_names_and_errors():
    assert get_loss("cross_entropy") is nn.functional.cross_entropy
    with pytest.raises(ValueError, match=r"unknown loss 'mae'; use one of 'mse', 'bce', 'bce_with_logits'"):
        get_loss("mae")
    with pytest.raises(TypeError, match=r"loss must be a name or a callable .* got int"):
        get_loss(3)


def test_argument_errors():
    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    X, y = np.zeros((4, 1)), np.zeros(4)
    with pytest.raises(ValueError, match=r"unknown optimizer 'adamax'"):
        fit(model, X, y, loss="mse", optimizer="adamax", epochs=1)
    with pytest.raises(TypeError, match=r"optimizer must be an optimizer such as .* got float"):
        fit(model, X, y, loss="mse", optimizer=0.1, epochs=1)
    with pytest.raises(ValueError, match=r"fit: epochs must be an integer >= 0, got -1"):
        fit(model, X, y, loss="mse", optimizer="sgd", epochs=-1)
    with pytest.raises(ValueError, match=r"fit: verbose must be 0 \(silent\), 1 .* got 3"):
        fit(model, X, y, loss="mse", optimizer="sgd", epochs=1, verbose=3)
    with pytest.raises(ValueError, match=r"fit: X has 4 samples .* but y has 3"):
        fit(model, X, y[:3], loss="mse", optimizer="sgd", epochs=1)
    with pytest.raises(ValueError, match=r"the loss must be a scalar, got shape \(4, 1\); use reduction='mean'"):
        fit(model, X, y, loss=nn.MSELoss(reduction="none"), optimizer="sgd", epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"unknown metric 'f1'"):
        get_metric("f1")


def test_accuracy_cases():
    probs = np.array([[0.2], [0.7], [0.5], [0.9]])
    assert Accuracy()(probs, np.array([0, 1, 0, 0])) == 0.75
    logits = np.array([[-1.0], [0.3], [0.0], [2.0]])
    assert Accuracy(from_logits=True)(logits, np.array([0, 1, 0, 1])) == 1.0
    assert Accuracy(from_logits=True)(logits, np.array([-1, 1, -1, 1])) == 1.0  # hinge labels
    scores = np.array([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0]])
    assert Accuracy()(scores, np.array([1, 2])) == 0.5
    assert Accuracy()(scores, np.array([[0, 1, 0], [1, 0, 0]])) == 1.0  # one-hot targets
    with pytest.raises(ValueError, match=r"accuracy: prediction of shape \(4, 1\) but target of shape \(3,\)"):
        Accuracy()(probs, np.zeros(3))


def test_accuracy_reads_logits_when_the_loss_takes_logits():
    assert get_metric("accuracy", "bce_with_logits")[1].from_logits
    assert get_metric("accuracy", nn.BCEWithLogitsLoss())[1].from_logits
    assert get_metric("accuracy", "hinge")[1].from_logits
    assert not get_metric("accuracy", "bce")[1].from_logits
    assert not get_metric("accuracy", nn.BCELoss())[1].from_logits


def test_mae_mse_and_custom_metrics():
    p, t = np.array([[1.0], [3.0]]), np.array([2, 1])
    assert mae(p, t) == 1.5 and mse(p, t) == 2.5

    def worst(pred, target):
        return float(np.max(np.abs(pred.reshape(-1) - target.reshape(-1))))

    model = nn.Sequential(nn.Dense(1, 1, rng=0, init="zeros"))
    out = evaluate(model, np.ones((3, 1)), np.array([1.0, -2.0, 0.5]), "mse", ["mae", worst], batch_size=None)
    assert out == {"loss": pytest.approx((1 + 4 + 0.25) / 3), "mae": pytest.approx(3.5 / 3), "worst": 2.0}


def test_evaluate_batched_equals_whole_and_restores_mode():
    X, y = data.make_moons(50, seed=0)
    model = moons_model(dropout=0.5)
    whole = evaluate(model, X, y, "bce_with_logits", ["accuracy"], batch_size=None)
    batched = evaluate(model, X, y, "bce_with_logits", ["accuracy"], batch_size=7)
    assert whole == pytest.approx(batched, rel=1e-12)
    assert model.training is True


def test_callback_hooks_order_and_stop_from_a_callback():
    calls = []

    class Rec(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch} {logs['size']}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")
            if epoch == 1:
                self.trainer.stop_training = True

        def on_train_end(self, logs=None):
            calls.append("train_end")

    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    h = fit(model, np.zeros((5, 1)), np.zeros(5), loss="mse", optimizer="sgd", epochs=10, batch_size=3,
            metrics=["mae"], callbacks=[Rec()], verbose=0)
    assert calls == [
        "train_begin",
        "epoch_begin 0", "batch_begin 0", "batch_end 0 3", "batch_begin 1", "batch_end 1 2",
        "epoch_end 0 ['loss', 'mae']",
        "epoch_begin 1", "batch_begin 0", "batch_end 0 3", "batch_begin 1", "batch_end 1 2",
        "epoch_end 1 ['loss', 'mae']",
        "train_end",
    ]
    assert h.epoch == [0, 1]


def test_keras_style_model_stop_training():
    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    model.stop_training = True  # left over from an earlier run: fit clears it first
    stopper = LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 2))
    h = fit(model, np.zeros((4, 1)), np.zeros(4), loss="mse", optimizer="sgd", epochs=10, callbacks=[stopper],
            verbose=0)
    assert h.epoch == [0, 1, 2]
    with pytest.raises(TypeError, match=r"LambdaCallback: unknown hook 'on_step'"):
        LambdaCallback(on_step=print)


def test_history_table():
    h = History()
    h.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    h.on_epoch_end(1, {"loss": 0.5, "val_loss": 1.5})
    h.best_epoch, h.restored = 1, True
    assert h.to_rows() == [{"epoch": 1, "loss": 1.0, "val_loss": 2.0}, {"epoch": 2, "loss": 0.5, "val_loss": 1.5}]
    assert str(h).splitlines() == [
        "epoch    loss  val_loss",
        "    1  1.0000    2.0000",
        "    2  0.5000    1.5000  best, restored",
    ]
    html = h._repr_html_()
    assert html.count("<tr>") == 3 and "<th>val_loss</th>" in html and "best, restored" in html
    assert h["loss"] == [1.0, 0.5] and len(h) == 2 and repr(h) == "History(2 epochs, keys=['loss', 'val_loss'])"


def test_history_reports_early_stopping():
    X, y = data.make_moons(60, noise=0.3, seed=0)
    model = moons_model()
    es = EarlyStopping(patience=0, restore_best_weights=True)
    h = fit(model, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(model.parameters(), lr=0.5), epochs=30,
            validation_split=0.3, seed=0, callbacks=[es], verbose=0)
    assert h.monitor == "val_loss" and h.restored
    assert h.best_epoch == int(np.argmin(h.history["val_loss"]))
    assert h.stopped_epoch == h.epoch[-1] < 29


# -- progress ------------------------------------------------------------------------------------------------------


def _small_fit(verbose, n=20, batch_size=10):
    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    return fit(model, np.zeros((n, 1)), np.zeros(n), loss="mse", optimizer="sgd", epochs=2, batch_size=batch_size,
               metrics=["mae"], verbose=verbose)


def test_verbose_zero_is_silent(capsys):
    _small_fit(0)
    assert capsys.readouterr() == ("", "")


def test_verbose_one_shows_a_tqdm_bar_with_loss_and_metrics(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(nn.callbacks, "_dynamic_display", lambda: True)  # as in a terminal or Jupyter
    _small_fit(1)
    out, err = capsys.readouterr()
    assert out == ""
    assert "fit: 100%" in err and "2/2" in err and "loss=0.0000" in err and "mae=0.0000" in err
    assert "epoch 1" not in err  # 2 batches per epoch: no batch bar


def test_long_epochs_get_a_batch_bar(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(nn.callbacks, "_dynamic_display", lambda: True)
    _small_fit(1, n=60, batch_size=1)
    err = capsys.readouterr().err
    assert "epoch 1:" in err and "epoch 2:" in err and "batch" in err


def test_verbose_two_prints_a_line_per_epoch(capsys):
    _small_fit(2)
    out, err = capsys.readouterr()
    assert out.splitlines() == ["Epoch 1/2 - loss: 0.0000 - mae: 0.0000", "Epoch 2/2 - loss: 0.0000 - mae: 0.0000"]
    assert err == ""


def test_without_tqdm_verbose_one_prints_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `from tqdm.auto import tqdm` fail
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    _small_fit(1)
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "Epoch 1/2 - loss: 0.0000 - mae: 0.0000" and err == ""


def test_float32_model_gets_float32_targets():
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 8, "relu", rng=0, dtype=np.float32), nn.Dense(8, 1, rng=1, dtype=np.float32))
    dtypes = []

    def probe(pred, target):
        dtypes.append((pred.dtype, target.dtype, target.shape))
        return nn.functional.binary_cross_entropy_with_logits(pred, target)

    fit(model, X.astype(np.float32), y, loss=probe, optimizer="adam", epochs=1, batch_size=40, verbose=0)
    assert dtypes == [(np.float32, np.float32, (40, 1))]
    assert all(p.dtype == np.float32 for p in model.parameters())
