"""nn.train as a Keras or PyTorch user tries it: target shapes, metrics on logits, callbacks given loosely,
early-stopping monitor typos, progress output outside a terminal, empty data."""

import io
import warnings

import numpy as np
import pytest

import nn
from nn import callbacks, data
from nn.train import Accuracy, EarlyStopping, History, evaluate, fit


def blobs():
    return data.make_blobs(60, centers=3, noise=0.5, seed=0)


def three_class_model():
    return nn.Sequential(nn.Dense(2, 8, "relu", rng=0), nn.Dense(8, 3, rng=1))


# -- targets -------------------------------------------------------------------------------------------------------


def test_cross_entropy_on_one_output_column_is_an_error_not_a_zero_loss():
    # log_softmax of a single column is 0: without a check the loss is silently 0 and nothing is learnt
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with pytest.raises(ValueError, match=r"cross_entropy needs one output column per class.*\(32, 1\).*bce_with"):
        fit(model, X, y, loss="cross_entropy", optimizer="adam", epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"cross_entropy needs one output column per class"):
        evaluate(model, X, y, nn.CrossEntropyLoss())


def test_cross_entropy_takes_labels_of_shape_n_or_n_by_1_and_one_hot_targets():
    X, y = blobs()
    runs = {}
    for name, target in [("labels", y), ("column", y.reshape(-1, 1)), ("one-hot", np.eye(3)[y]),
                         ("one-hot int", np.eye(3, dtype=np.int64)[y])]:
        model = three_class_model()
        h = fit(model, X, target, loss="cross_entropy", optimizer="adam", epochs=2, seed=0, metrics=["accuracy"],
                verbose=0)
        runs[name] = h.history
    for name in ("column", "one-hot", "one-hot int"):
        np.testing.assert_allclose(runs[name]["loss"], runs["labels"]["loss"], rtol=1e-12)
        np.testing.assert_allclose(runs[name]["accuracy"], runs["labels"]["accuracy"], rtol=1e-12)


# -- metrics -------------------------------------------------------------------------------------------------------


def test_accuracy_warns_when_probabilities_look_like_logits():
    acc = Accuracy()
    with pytest.warns(RuntimeWarning, match=r"accuracy: predictions outside \[0, 1\].*Accuracy\(from_logits=True\)"):
        assert acc(np.array([[0.3], [-2.0]]), np.array([1, 0])) == 0.5  # logit 0.3 is p = 0.57: wrong
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        acc(np.array([[0.3], [-2.0]]), np.array([1, 0]))  # once per metric object, not every batch
        assert Accuracy()(np.array([[0.2], [0.9]]), np.array([0, 1])) == 1.0
        assert Accuracy(from_logits=True)(np.array([[0.3], [-2.0]]), np.array([1, 0])) == 1.0


def test_a_custom_loss_on_logits_with_accuracy_warns_in_fit():
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with pytest.warns(RuntimeWarning, match="from_logits=True"):
        fit(model, X * 10, y, loss=lambda p, t: nn.functional.binary_cross_entropy_with_logits(p, t),
            optimizer="adam", epochs=1, metrics=["accuracy"], verbose=0)


def test_keras_spellings_a_single_metric_string_and_acc():
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=1, metrics="accuracy",
            validation_split=0.25, verbose=0)
    assert list(h.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=1, metrics=["acc"], verbose=0,
            validation_split=0.25, callbacks=[EarlyStopping(monitor="val_acc")])
    assert list(h.history) == ["loss", "acc", "val_loss", "val_acc"]
    assert evaluate(model, X, y, "bce_with_logits", "accuracy")["accuracy"] == pytest.approx(
        evaluate(model, X, y, "bce_with_logits", ["accuracy"])["accuracy"])


# -- callbacks -----------------------------------------------------------------------------------------------------


def test_callbacks_none_one_or_a_class_by_mistake():
    X, y = np.zeros((4, 1)), np.zeros(4)
    model = nn.Sequential(nn.Dense(1, 1, rng=0))
    assert fit(model, X, y, loss="mse", optimizer="sgd", epochs=1, callbacks=None, verbose=0).epoch == [0]
    h = fit(model, X, y, loss="mse", optimizer="sgd", epochs=5, callbacks=EarlyStopping(monitor="loss"), verbose=0)
    assert len(h) == 2  # the loss stays 0: epoch 1 does not improve, so it stops there
    with pytest.raises(TypeError, match=r"fit: callbacks\[0\] is the class EarlyStopping; pass an instance"):
        fit(model, X, y, loss="mse", optimizer="sgd", epochs=1, callbacks=[EarlyStopping], verbose=0)
    with pytest.raises(TypeError, match=r"fit: callbacks\[1\] is a str, not a Callback"):
        fit(model, X, y, loss="mse", optimizer="sgd", epochs=1, callbacks=[History(), "early"], verbose=0)


def test_a_monitor_typo_warns_with_the_available_keys_instead_of_asking_for_a_mode():
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with pytest.warns(RuntimeWarning) as record:
        fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=2, metrics=["accuracy"],
            validation_split=0.25, callbacks=[EarlyStopping(monitor="val_accuracyy")], verbose=0)
    text = str(record[0].message)
    assert "monitor='val_accuracyy' is not in the epoch's logs" in text
    assert "loss, accuracy, val_loss, val_accuracy" in text and "did you mean 'val_accuracy'?" in text
    assert "validation data" not in text  # there is validation data


def test_a_val_monitor_without_validation_data_says_so():
    X, y = data.make_moons(40, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with pytest.warns(RuntimeWarning, match=r"no validation data: pass validation_split or validation_data"):
        fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=1, callbacks=[EarlyStopping()], verbose=0)


# -- empty data ----------------------------------------------------------------------------------------------------


def test_no_training_samples_is_an_error():
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with pytest.raises(ValueError, match=r"fit: no training samples \(X has shape \(0, 2\)\)"):
        fit(model, np.zeros((0, 2)), np.zeros(0), loss="mse", optimizer="sgd", epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: no samples \(X has shape \(0, 2\)\)"):
        evaluate(model, np.zeros((0, 2)), np.zeros(0), "mse")


def test_batch_size_errors_name_fit():
    with pytest.raises(ValueError, match=r"^fit: batch_size must be an integer >= 1, got None"):
        fit(nn.Dense(1, 1), np.zeros((4, 1)), np.zeros(4), loss="mse", optimizer="sgd", epochs=1, batch_size=None,
            verbose=0)


# -- progress ------------------------------------------------------------------------------------------------------


def _fit_moons(verbose, epochs=3):
    X, y = data.make_moons(40, noise=0.2, seed=0)
    model = nn.Sequential(nn.Dense(2, 4, "relu", rng=0), nn.Dense(4, 1, rng=1))
    return fit(model, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
               epochs=epochs, batch_size=20, seed=0, verbose=verbose)


def test_outside_a_terminal_verbose_one_prints_one_line_per_epoch(capsys):
    # no carriage returns or cursor moves in a log file or CI output (Keras does the same)
    pytest.importorskip("tqdm")
    h = _fit_moons(1)
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [f"Epoch {e + 1}/3 - loss: {h.history['loss'][e]:.4f}" for e in range(3)]


def test_the_bar_never_shows_the_previous_epochs_numbers(monkeypatch):
    pytest.importorskip("tqdm")
    stream = io.StringIO()
    monkeypatch.setattr(callbacks, "_dynamic_display", lambda: True)
    monkeypatch.setattr(callbacks.sys, "stderr", stream)
    h = _fit_moons(1)
    frames = [f for f in stream.getvalue().split("\r") if "epoch/s" in f]
    for e, loss in enumerate(h.history["loss"]):
        shown = [f for f in frames if f" {e + 1}/3 " in f]
        assert shown and all(f"loss={loss:.4f}" in f for f in shown), (e, shown)


def test_bars_are_drawn_in_jupyter_and_in_a_terminal_only(monkeypatch):
    tqdm_auto = pytest.importorskip("tqdm.auto")
    notebook = pytest.importorskip("tqdm.notebook")
    std = pytest.importorskip("tqdm.std")
    monkeypatch.setattr(tqdm_auto, "tqdm", std.tqdm)
    monkeypatch.setattr(callbacks.sys, "stderr", io.StringIO())
    assert not callbacks._dynamic_display()
    monkeypatch.setattr(callbacks.sys.stderr, "isatty", lambda: True)
    assert callbacks._dynamic_display()
    monkeypatch.setattr(callbacks.sys, "stderr", io.StringIO())
    monkeypatch.setattr(tqdm_auto, "tqdm", notebook.tqdm)
    assert callbacks._dynamic_display()


def test_history_table_marks_are_left_aligned():
    h = History()
    for e, v in enumerate([1.0, 0.5, 0.7]):
        h.on_epoch_end(e, {"loss": v})
    h.best_epoch, h.stopped_epoch, h.restored = 1, 2, True
    assert str(h).splitlines() == [
        "epoch    loss",
        "    1  1.0000",
        "    2  0.5000  best, restored",
        "    3  0.7000  stopped",
    ]
