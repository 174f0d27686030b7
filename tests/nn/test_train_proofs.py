"""The lessons of the lecture's "training in practice", shown by tests: overfitting and early stopping, digits."""

import numpy as np
import pytest

import nn
from nn import data
from nn.train import EarlyStopping, evaluate, fit


def too_big():
    return nn.Sequential(nn.Dense(2, 64, "relu", rng=0), nn.Dense(64, 64, "relu", rng=1), nn.Dense(64, 1, rng=2))


def noisy_moons():
    X, y = data.make_moons(40, noise=0.35, seed=1)  # few, noisy training points
    Xv, yv = data.make_moons(200, noise=0.35, seed=2)
    return X, y, Xv, yv


def train(callbacks=()):
    X, y, Xv, yv = noisy_moons()
    model = too_big()
    h = fit(model, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(model.parameters(), lr=0.01), epochs=60,
            batch_size=16, seed=0, validation_data=(Xv, yv), callbacks=callbacks, verbose=0)
    return model, h, (Xv, yv)


def test_overfitting_without_early_stopping_validation_loss_rises():
    model, h, (Xv, yv) = train()
    loss, val = np.array(h.history["loss"]), np.array(h.history["val_loss"])
    best = int(val.argmin())
    assert best < 30  # the best validation loss comes early ...
    assert val[-1] > 1.5 * val[best]  # ... then it rises a lot
    assert loss[-1] < 0.6 * loss[best]  # while the training loss keeps falling: memorising the noise
    assert evaluate(model, Xv, yv, "bce_with_logits")["loss"] == pytest.approx(val[-1], rel=1e-12)


def test_early_stopping_restores_the_weights_with_the_best_validation_loss():
    es = EarlyStopping(patience=5, restore_best_weights=True)
    model, h, (Xv, yv) = train([es])
    val = np.array(h.history["val_loss"])
    assert h.stopped_epoch is not None and len(val) < 60
    assert h.best_epoch == int(val.argmin()) == es.best_epoch
    restored = evaluate(model, Xv, yv, "bce_with_logits")["loss"]
    assert restored == pytest.approx(val.min(), rel=1e-12)
    assert restored < val[-1]  # the last epoch's weights were worse; the model holds the best ones
    # same run without the callback: the stopping point is where validation had started to rise
    _, full, _ = train()
    np.testing.assert_allclose(full.history["val_loss"][: len(val)], val, rtol=1e-12)
    assert full.history["val_loss"][-1] > restored


def test_digits_mlp_reaches_97_percent_on_a_held_out_fifth():
    pytest.importorskip("sklearn")
    X, y = data.load_digits()
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, seed=0)
    model = nn.Sequential(nn.Dense(64, 64, "relu", rng=0), nn.Dense(64, 10, rng=1))  # 64-64-10, logits out
    h = fit(model, X_train, y_train, loss="cross_entropy", optimizer=nn.optim.Adam(model.parameters(), lr=3e-3),
            epochs=20, batch_size=32, seed=0, metrics=["accuracy"], verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0] / 10
    test = evaluate(model, X_test, y_test, "cross_entropy", ["accuracy"])
    assert len(y_test) == 360
    assert test["accuracy"] >= 0.97, test
