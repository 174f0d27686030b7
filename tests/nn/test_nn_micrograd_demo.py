"""micrograd's demo: a 2-16-16-1 ReLU MLP on two moons (100 points, noise 0.1), max-margin hinge loss plus
1e-4 L2, full-batch SGD with lr = 1 - 0.9 k / 100, reaches 100% training accuracy, with the Value MLP and with a
Tensor Dense stack; and the two flavours compute the same losses and gradients from the same weights."""

import numpy as np

import nn
import nn.functional as F


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_moons, in numpy: two interleaved half circles; labels -1 / +1."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)], np.c_[1 - np.cos(t_in), 0.5 - np.sin(t_in)]])
    y = np.r_[-np.ones(n_out), np.ones(n_in)]
    return X + rng.normal(scale=noise, size=X.shape), y


X, Y = two_moons()
ALPHA = 1e-4


def schedule(k: int) -> float:
    return 1.0 - 0.9 * k / 100


def value_step(model, opt, k):
    scores = [model(x) for x in X.tolist()]
    loss = F.hinge_loss(scores, Y.tolist()) + F.l2_penalty(model.parameters(), ALPHA)
    accuracy = np.mean([(s.data > 0) == (y > 0) for s, y in zip(scores, Y)])
    opt.zero_grad()
    loss.backward()
    opt.lr = schedule(k)
    opt.step()
    return loss.data, accuracy


def tensor_step(model, opt, k):
    scores = model(X)
    loss = F.hinge_loss(scores, Y.reshape(-1, 1)) + F.l2_penalty(model.parameters(), ALPHA)
    accuracy = np.mean((scores.data.ravel() > 0) == (Y > 0))
    opt.zero_grad()
    loss.backward()
    opt.lr = schedule(k)
    opt.step()
    return loss.item(), accuracy


def test_two_moons_data():
    assert X.shape == (100, 2) and sorted(set(Y.tolist())) == [-1.0, 1.0] and (Y > 0).sum() == 50


def test_value_mlp_reaches_full_training_accuracy():
    """The scalar engine is slow (about 0.1 s a step here), so training stops at the first step whose forward
    pass classifies every point correctly (step 33 of micrograd's 100 with this seed) instead of running all 100."""
    model = nn.MLP(2, [16, 16, 1], rng=0)
    opt = nn.SGD(model.parameters(), lr=1.0)
    losses = []
    for k in range(100):
        loss, accuracy = value_step(model, opt, k)
        losses.append(loss)
        if accuracy == 1.0:
            break
    assert accuracy == 1.0
    assert losses[-1] < 0.5 * losses[0]


def test_dense_stack_reaches_full_training_accuracy():
    gen = np.random.default_rng(0)
    model = nn.Sequential(nn.Dense(2, 16, "relu", rng=gen), nn.Dense(16, 16, "relu", rng=gen), nn.Dense(16, 1, rng=gen))
    opt = nn.SGD(model.parameters(), lr=1.0)
    for k in range(100):
        loss, _ = tensor_step(model, opt, k)
    final = np.mean((model(X).data.ravel() > 0) == (Y > 0))
    assert final == 1.0 and loss < 0.05


def test_value_and_tensor_flavours_agree_step_by_step():
    """The same weights in a Value MLP and a Dense stack give the same loss and the same updates."""
    vmodel = nn.MLP(2, [16, 16, 1], rng=3)
    tmodel = nn.Sequential(nn.Dense(2, 16, "relu", rng=0), nn.Dense(16, 16, "relu", rng=0), nn.Dense(16, 1, rng=0))
    for layer, dense in zip(vmodel.layers, tmodel):
        dense.W.data[...] = np.array([[w.data for w in n.w] for n in layer.neurons]).T
        dense.b.data[...] = [n.b.data for n in layer.neurons]
    vopt, topt = nn.SGD(vmodel.parameters(), lr=1.0), nn.SGD(tmodel.parameters(), lr=1.0)
    for k in range(3):
        vloss, vacc = value_step(vmodel, vopt, k)
        tloss, tacc = tensor_step(tmodel, topt, k)
        assert abs(vloss - tloss) <= 1e-12 * abs(tloss) + 1e-15 and vacc == tacc
        for layer, dense in zip(vmodel.layers, tmodel):
            w = np.array([[w.data for w in n.w] for n in layer.neurons]).T
            np.testing.assert_allclose(w, dense.W.data, rtol=1e-10, atol=1e-13)
