"""nn.callbacks: what the loop hands each callback (model, trainer, params), EarlyStopping reporting through the
trainer, LambdaCallback with Keras's hook names, the progress bar as a callback; nn.train.train_step."""

import functools
import types

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.callbacks import Callback, EarlyStopping, History, LambdaCallback, ProgressBar
from nn.train import Trainer, fit, train_step


def tiny():
    return nn.Sequential(nn.Dense(1, 1, rng=0))


def test_each_callback_gets_model_trainer_and_params():
    seen = {}

    class Look(Callback):
        def on_train_begin(self, logs=None):
            seen.update(model=self.model, trainer=self.trainer, params=self.params)

    model = tiny()
    h = fit(model, np.zeros((10, 1)), np.zeros(10), loss="mse", optimizer="sgd", epochs=2, batch_size=4,
            validation_split=0.2, metrics=["mae"], callbacks=[Look()], verbose=0)
    assert seen["model"] is model and isinstance(seen["trainer"], Trainer) and seen["trainer"].history is h
    assert seen["params"] == {"epochs": 2, "steps": 2, "samples": 8, "validation_samples": 2}
    assert h.params == seen["params"]  # History is a callback like the others
    assert list(seen["trainer"].metrics) == ["mae"]  # the run's metric functions, by log name


def test_early_stopping_reads_metric_directions_from_the_trainer():
    def worst(pred, target):
        return float(np.max(np.abs(pred - target)))

    worst.direction = "min"
    es = EarlyStopping(monitor="val_worst", patience=0)
    es.set_trainer(types.SimpleNamespace(stop_training=False, params={}, metrics={"worst": worst}))
    es.on_train_begin()
    for epoch, value in enumerate([1.0, 2.0]):
        es.on_epoch_end(epoch, {"val_worst": value})
    assert es.direction == "min" and es.stopped_epoch == 1
    # a metric without a direction, with the loop's params still carrying nothing: the same clear error as before
    es = EarlyStopping(monitor="val_other")
    es.set_trainer(types.SimpleNamespace(stop_training=False, params={}, metrics={"other": lambda p, t: 0.0}))
    with pytest.raises(ValueError, match="cannot tell whether monitor='val_other' should go down or up"):
        es.on_epoch_end(0, {"val_other": 1.0})


def test_early_stopping_reports_to_the_trainers_history_itself():
    """The marks the plots read come from EarlyStopping.on_train_end, not from fit looking into it afterwards."""
    model = tiny()
    history = History()
    es = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    es.set_model(model)
    es.set_trainer(types.SimpleNamespace(stop_training=False, params={}, history=history))
    es.on_train_begin()
    for epoch, loss in enumerate([1.0, 0.5, 0.7]):  # epoch 2 is one without improvement: stop
        es.on_epoch_end(epoch, {"loss": loss})
    es.on_train_end()
    assert (history.monitor, history.best_epoch, history.stopped_epoch, history.restored) == ("loss", 1, 2, True)


def test_lambda_callback_takes_keras_hook_names_and_none():
    calls = []
    cb = LambdaCallback(on_train_batch_end=lambda batch, logs: calls.append(("batch", batch)),
                        on_epoch_begin=None, on_train_end=lambda logs: calls.append("end"))
    fit(tiny(), np.zeros((4, 1)), np.zeros(4), loss="mse", optimizer="sgd", epochs=1, batch_size=2,
        callbacks=[cb], verbose=0)
    assert calls == [("batch", 0), ("batch", 1), "end"]


def test_overriding_keras_batch_hook_names_works_too():
    calls = []

    class KerasStyle(Callback):
        def on_train_batch_begin(self, batch, logs=None):
            calls.append(batch)

    fit(tiny(), np.zeros((6, 1)), np.zeros(6), loss="mse", optimizer="sgd", epochs=1, batch_size=2,
        callbacks=[KerasStyle()], verbose=0)
    assert calls == [0, 1, 2]


def test_a_given_progress_bar_replaces_the_default(capsys):
    bar = ProgressBar(verbose=2)
    fit(tiny(), np.zeros((4, 1)), np.zeros(4), loss="mse", optimizer="sgd", epochs=2, callbacks=[bar], verbose=0)
    assert capsys.readouterr().out.splitlines() == ["Epoch 1/2 - loss: 0.0000", "Epoch 2/2 - loss: 0.0000"]
    fit(tiny(), np.zeros((4, 1)), np.zeros(4), loss="mse", optimizer="sgd", epochs=1, callbacks=[bar], verbose=2)
    assert capsys.readouterr().out.splitlines() == ["Epoch 1/1 - loss: 0.0000"]  # one bar, not two
    assert repr(bar) == "ProgressBar(verbose=2)"


def test_train_step_is_the_explicit_loop_body():
    X, y = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 3.0, 5.0])
    a, b = tiny(), tiny()
    opt_a, opt_b = nn.SGD(a.parameters(), lr=0.1), nn.SGD(b.parameters(), lr=0.1)
    pred, target, value = train_step(a, Tensor(X), Tensor(y), nn.functional.mse_loss, opt_a)
    loss = nn.functional.mse_loss(b(Tensor(X)), Tensor(y.reshape(3, 1)))
    opt_b.zero_grad()
    loss.backward()
    opt_b.step()
    assert target.shape == (3, 1) and pred.shape == (3, 1) and value == loss.item()
    np.testing.assert_array_equal(a.layers[0].W.data, b.layers[0].W.data)


def test_train_step_refuses_a_non_finite_loss_before_touching_the_weights():
    model = tiny()
    before = model.layers[0].W.data.copy()
    with pytest.raises(FloatingPointError, match=r"the loss became nan in batch 7"):
        train_step(model, Tensor(np.array([[np.nan]])), Tensor(np.array([1.0])), nn.functional.mse_loss,
                   nn.SGD(model.parameters(), lr=0.1), where="batch 7")
    np.testing.assert_array_equal(model.layers[0].W.data, before)
    assert model.layers[0].W.grad is None


def test_losses_say_they_take_logits_by_attribute_so_wrappers_keep_it():
    class MyBCE(nn.BCEWithLogitsLoss):
        pass

    @functools.wraps(nn.functional.hinge_loss)
    def my_hinge(pred, target):
        return nn.functional.hinge_loss(pred, target)

    weighted = functools.partial(nn.functional.binary_cross_entropy_with_logits, pos_weight=2.0)
    for loss in (MyBCE(), my_hinge, weighted, nn.CrossEntropyLoss(), "cross_entropy"):
        assert nn.functional.takes_logits(loss), loss
        assert nn.train.get_metric("accuracy", loss)[1].from_logits, loss
    for loss in ("mse", "bce", nn.BCELoss(), nn.functional.mse_loss, lambda p, t: p):
        assert not nn.functional.takes_logits(loss), loss


def test_a_subclassed_cross_entropy_still_gets_class_label_targets():
    class MyCE(nn.CrossEntropyLoss):
        pass

    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0], [1], [2]])  # labels as a column: cross-entropy's target rules make them shape (3,)
    model = nn.Sequential(nn.Dense(2, 3, rng=0))
    h = fit(model, X, y, loss=MyCE(), optimizer="sgd", epochs=1, metrics=["accuracy"], verbose=0)
    assert np.isfinite(h.history["loss"][0])
