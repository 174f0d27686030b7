"""EarlyStopping reproduces Keras 3's traces (training-semantics.md section 5), row by row.

Each row is checked twice: driving the callback by hand with a scripted val_loss sequence, and inside a real
``fit`` where a callback placed before EarlyStopping overwrites the epoch's val_loss with the scripted value.
"""

import types
import warnings

import numpy as np
import pytest

import nn
from nn.train import Callback, EarlyStopping, fit

A = [1.0, 0.9, 0.95, 0.92, 0.91, 0.8]
B = [1.0, 0.995, 0.99, 0.985, 0.98]
C = [1.0, 0.9, 0.85, 0.8, 0.79, 0.78]
D = [1.0, 0.9, 0.85, 0.8, 0.81]
E = [0.5, 0.6, 0.7, 0.4, 0.45, 0.46, 0.47]
F = [1.0, 1.2, 1.3]
G = [0.1, 0.2, 0.3, 0.9]

# (losses, settings, last epoch run, epoch whose weights end up in the model, stopped early?)
TRACES = [
    (A, dict(patience=0), 2, 2, True),
    (A, dict(patience=1), 2, 2, True),
    (A, dict(patience=2), 3, 3, True),
    (A, dict(patience=2, restore_best_weights=True), 3, 1, True),
    (A, dict(patience=3, restore_best_weights=True), 4, 1, True),
    (B, dict(patience=2, min_delta=0.01, restore_best_weights=True), 2, 0, True),
    (C, dict(patience=2, baseline=0.5, restore_best_weights=True), 5, 5, False),
    (D, dict(patience=2, baseline=0.5, restore_best_weights=True), 4, 3, True),  # stops on its last epoch
    (E, dict(patience=1, start_from_epoch=2, restore_best_weights=True), 4, 3, True),
    (F, dict(patience=5, restore_best_weights=True), 2, 0, False),
    (G, dict(mode="max", min_delta=0.15, patience=1), 1, 1, True),
]


class Counter(nn.Module):
    """A model whose one weight is set to the epoch index, so the final weight tells which epoch it came from."""

    def __init__(self):
        super().__init__()
        self.w = nn.Dense(1, 1, rng=0).W

    def forward(self, x):
        return x @ self.w


def drive(losses, **settings):
    """Run the callback as fit would, without fit: returns (last epoch run, final weight)."""
    model = Counter()
    trainer = types.SimpleNamespace(stop_training=False, params={})
    es = EarlyStopping(**settings)
    es.set_model(model)
    es.set_trainer(trainer)
    es.on_train_begin()
    last = None
    for epoch, loss in enumerate(losses):
        model.w.data[...] = epoch
        es.on_epoch_end(epoch, {"val_loss": loss})
        last = epoch
        if trainer.stop_training:
            break
    es.on_train_end()
    return last, float(model.w.data.item()), es


@pytest.mark.parametrize("losses, settings, last, weights_from, stopped", TRACES)
def test_scripted_trace(losses, settings, last, weights_from, stopped):
    ran, w, es = drive(losses, **settings)
    assert ran == last
    assert w == weights_from
    assert es.stopped_epoch == (last if stopped else 0)


class Script(Callback):
    """Replaces the real val_loss with the scripted one, and records a copy of the weights at each epoch end."""

    def __init__(self, losses):
        self.losses, self.snapshots = losses, []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.losses[epoch]
        self.snapshots.append(self.model.state_dict())


@pytest.mark.parametrize("losses, settings, last, weights_from, stopped", TRACES)
def test_trace_inside_fit(losses, settings, last, weights_from, stopped):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 1))
    model = nn.Sequential(nn.Dense(2, 4, "tanh", rng=1), nn.Dense(4, 1, rng=2))
    script = Script(losses)
    es = EarlyStopping(**settings)
    history = fit(model, X, y, loss="mse", optimizer=nn.optim.SGD(model.parameters(), lr=0.05), epochs=len(losses),
                  batch_size=8, validation_split=0.25, seed=0, callbacks=[script, es], verbose=0)
    assert history.epoch == list(range(last + 1))
    assert history.history["val_loss"] == losses[: last + 1]
    final = model.state_dict()
    expected = script.snapshots[weights_from]
    for k in final:
        np.testing.assert_array_equal(final[k], expected[k])
    # the weights really moved between epochs, so matching one snapshot is a real check
    if weights_from != last:
        assert any(not np.array_equal(script.snapshots[last][k], expected[k]) for k in final)
    assert history.stopped_epoch == (last if stopped else None)
    if es.best is not None:
        assert history.best_epoch == es.best_epoch


def test_patience_zero_equals_one_and_never_stops_at_epoch_zero():
    assert drive([1.0, 2.0], patience=0)[0] == 1  # epoch 0 is best; epoch 1 worse -> stop there, not at 0
    assert drive([1.0, 2.0], patience=0)[:2] == drive([1.0, 2.0], patience=1)[:2]


def test_restores_even_without_an_early_stop():
    ran, w, es = drive([1.0, 0.5, 0.7], patience=10, restore_best_weights=True)
    assert (ran, w, es.stopped_epoch) == (2, 1.0, 0)


def test_min_delta_is_stored_as_its_absolute_value():
    assert EarlyStopping(min_delta=-0.01).min_delta == 0.01


def test_auto_mode_follows_the_metric_direction():
    # accuracy goes up: 0.5, 0.6, then 0.55 is no improvement -> stop at epoch 2 with patience 1
    ran, _, es = drive_metric("val_accuracy", [0.5, 0.6, 0.55, 0.9], patience=1)
    assert ran == 2 and es.best == 0.6
    ran, _, es = drive_metric("val_mae", [0.5, 0.4, 0.45, 0.1], patience=1)
    assert ran == 2 and es.best == 0.4


def drive_metric(monitor, values, **settings):
    model = Counter()
    trainer = types.SimpleNamespace(stop_training=False, params={})
    es = EarlyStopping(monitor=monitor, **settings)
    es.set_model(model)
    es.set_trainer(trainer)
    es.on_train_begin()
    last = None
    for epoch, v in enumerate(values):
        es.on_epoch_end(epoch, {monitor: v})
        last = epoch
        if trainer.stop_training:
            break
    es.on_train_end()
    return last, None, es


def test_unknown_direction_asks_for_a_mode():
    with pytest.raises(ValueError, match=r"monitor='val_f1'.*mode='min' or mode='max'"):
        drive_metric("val_f1", [0.1, 0.2])


def test_bad_mode_is_an_error():
    with pytest.raises(ValueError, match=r"mode must be 'auto', 'min' or 'max', got 'minimum'"):
        EarlyStopping(mode="minimum")


def test_missing_monitor_warns_and_ignores_the_epoch():
    es = EarlyStopping(patience=0)
    es.set_model(Counter())
    es.set_trainer(types.SimpleNamespace(stop_training=False, params={}))
    es.on_train_begin()
    with pytest.warns(RuntimeWarning, match=r"monitor='val_loss' is not in the epoch's logs \(available: loss\)"):
        es.on_epoch_end(0, {"loss": 1.0})
    assert es.wait == 0 and es.best is None


def test_fit_without_validation_warns_each_epoch_and_does_not_stop():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = fit(model, X, y, loss="mse", optimizer=nn.optim.SGD(model.parameters(), lr=0.1), epochs=3,
                callbacks=[EarlyStopping()], verbose=0)
    assert len(h.epoch) == 3
    assert sum("not in the epoch's logs" in str(w.message) for w in caught) == 3


def test_state_is_reset_at_train_begin():
    es = EarlyStopping(patience=0, restore_best_weights=True)
    model = Counter()
    trainer = types.SimpleNamespace(stop_training=False, params={})
    es.set_model(model)
    es.set_trainer(trainer)
    es.on_train_begin()
    es.on_epoch_end(0, {"val_loss": 0.1})
    es.on_train_begin()
    assert (es.wait, es.best, es.best_weights, es.best_epoch, es.stopped_epoch) == (0, None, None, 0, 0)


def test_verbose_messages(capsys):
    ran, w, es = drive(A, patience=2, restore_best_weights=True, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
