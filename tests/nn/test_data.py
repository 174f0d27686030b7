"""nn.data: batching (sizes, order, reshuffling, reproducibility), validation errors, split, data sets."""

import builtins
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Tensor
from nn import data
from nn.data import DataLoader, batches, train_test_split


def ten():
    return np.arange(20.0).reshape(10, 2), np.arange(10)


def test_batches_in_order_keep_the_last_partial_batch():
    X, y = ten()
    got = list(batches(X, y, 4, shuffle=False))
    assert [yb.data.tolist() for _, yb in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(isinstance(xb, Tensor) and isinstance(yb, Tensor) for xb, yb in got)
    np.testing.assert_array_equal(got[2][0].data, X[8:])


def test_drop_last():
    X, y = ten()
    assert [len(yb) for _, yb in batches(X, y, 4, shuffle=False, drop_last=True)] == [4, 4]
    loader = DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(loader) == 2 and [len(yb) for _, yb in loader] == [4, 4]
    assert len(DataLoader(X, y, batch_size=4)) == 3


def test_dtypes_x_float_y_as_given():
    X, y = ten()
    xb, yb = next(batches(X.astype(np.int32), y, 3))
    assert xb.dtype == np.float64 and yb.dtype == y.dtype
    xb, _ = next(batches(X.astype(np.float32), y, 3))
    assert xb.dtype == np.float32


@given(n=st.integers(1, 60), b=st.integers(1, 70), drop=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_every_sample_exactly_once(n, b, drop, seed):
    X, y = np.arange(n, dtype=float)[:, None], np.arange(n)
    loader = DataLoader(X, y, batch_size=b, seed=seed, drop_last=drop)
    seen = [yb.data for _, yb in loader]
    assert len(seen) == len(loader) == (n // b if drop else -(-n // b))
    flat = np.concatenate(seen) if seen else np.array([], dtype=int)
    assert len(set(flat.tolist())) == len(flat) == (n - n % b if drop else n)
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.data[:, 0], yb.data)  # X and y rows stay together


def test_loader_reshuffles_each_epoch_and_is_reproducible():
    X, y = np.zeros((50, 1)), np.arange(50)
    a, b = DataLoader(X, y, batch_size=50, seed=3), DataLoader(X, y, batch_size=50, seed=3)
    e1a, e2a = [next(iter(a))[1].data for _ in range(2)]
    e1b, e2b = [next(iter(b))[1].data for _ in range(2)]
    assert not np.array_equal(e1a, e2a)
    np.testing.assert_array_equal(e1a, e1b)
    np.testing.assert_array_equal(e2a, e2b)
    # the loader's epochs are the draws of one Generator seeded once
    g = np.random.default_rng(3)
    np.testing.assert_array_equal(e1a, g.permutation(50))
    np.testing.assert_array_equal(e2a, g.permutation(50))


def test_no_shuffle_keeps_order():
    X, y = ten()
    loader = DataLoader(X, y, batch_size=3, shuffle=False)
    assert np.concatenate([yb.data for _, yb in loader]).tolist() == list(range(10))


def test_explicit_loop_is_short_and_learns():
    X, y = data.make_linear(200, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    loss_fn = nn.BCEWithLogitsLoss()
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader(X, y.reshape(-1, 1), batch_size=32, seed=0)
    for _ in range(30):
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    acc = np.mean((model(Tensor(X)).data[:, 0] > 0) == (y == 1))
    assert acc > 0.97


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "4"])
def test_batch_size_must_be_a_positive_int(bad):
    X, y = ten()
    with pytest.raises(ValueError, match=rf"batches: batch_size must be an integer >= 1, got {bad!r}"):
        next(batches(X, y, bad))
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be an integer >= 1"):
        DataLoader(X, y, batch_size=bad)


def test_length_mismatch_names_both_lengths():
    X, y = ten()
    with pytest.raises(ValueError, match=r"X has 10 samples \(shape \(10, 2\)\) but y has 9 \(shape \(9,\)\)"):
        DataLoader(X, y[:9])


def test_nan_in_inputs_is_named():
    X, y = ten()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite value\(s\), the first at index \(3, 1\)"):
        DataLoader(X, y)
    X, _ = ten()
    yf = y.astype(float)
    yf[7] = np.inf
    with pytest.raises(ValueError, match=r"batches: y contains 1 NaN .* at index \(7,\) \(inf\)"):
        next(batches(X, yf, 2))


def test_non_numeric_and_scalar_inputs():
    with pytest.raises(TypeError, match=r"DataLoader: X must be numeric, got dtype <U1"):
        DataLoader(np.array(["a", "b"]), [0, 1])
    with pytest.raises(ValueError, match=r"DataLoader: y must have a first \(sample\) axis, got a scalar"):
        DataLoader(np.zeros((2, 2)), 1)


def test_train_test_split():
    X, y = np.arange(200.0).reshape(100, 2), np.arange(100)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=0)
    assert (len(Xtr), len(Xte)) == (80, 20)
    assert sorted(np.r_[ytr, yte].tolist()) == list(range(100))
    np.testing.assert_array_equal(Xte[:, 0] / 2, yte)
    again = train_test_split(X, y, test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[1], Xte)
    assert len(train_test_split(X, y, test_size=0.333)[1]) == 34  # ceil, as scikit-learn
    assert train_test_split(X, y, test_size=5, shuffle=False)[3].tolist() == [95, 96, 97, 98, 99]


@pytest.mark.parametrize("size, msg", [
    (0.0, r"a fractional test_size must lie in \(0, 1\), got 0.0"),
    (1.5, r"a fractional test_size must lie in \(0, 1\), got 1.5"),
    (100, r"test_size=100 leaves 100 of 100 samples for testing"),
    (0, r"test_size=0 leaves 0 of 100 samples"),
])
def test_train_test_split_errors(size, msg):
    X, y = np.zeros((100, 2)), np.zeros(100)
    with pytest.raises(ValueError, match=msg):
        train_test_split(X, y, test_size=size)


GENERATORS = [data.make_moons, data.make_circles, data.make_spirals, data.make_xor, data.make_blobs,
              data.make_linear, data.make_pass_fail]


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_data_sets_shapes_labels_and_seeds(make):
    X, y = make(n_samples=101, seed=1)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    X2, y2 = make(n_samples=101, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=101, seed=2)
    assert not np.array_equal(X, X3)
    with pytest.raises(ValueError, match=rf"{make.__name__}: n_samples must be an integer >= 2, got 1"):
        make(n_samples=1)
    with pytest.raises(ValueError, match=rf"{make.__name__}: noise is a standard deviation .* got -1"):
        make(noise=-1)


def test_moons_and_circles_geometry_without_noise():
    X, y = data.make_moons(100, noise=0.0, seed=0)
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    lower = X[y == 1]
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    X, y = data.make_circles(100, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    with pytest.raises(ValueError, match=r"make_circles: factor is the inner radius .* got 1.2"):
        data.make_circles(factor=1.2)


def test_linear_is_separable_by_the_lecture_perceptron_with_a_margin():
    X, y = data.make_linear(300, margin=0.2, seed=0)
    z = 1 + 3 * X[:, 0] - 2 * X[:, 1]
    assert np.all((z > 0) == (y == 1))
    assert np.min(np.abs(z)) / np.sqrt(13) >= 0.2


def test_xor_labels_by_quadrant():
    X, y = data.make_xor(200, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_blobs_centres_and_classes():
    X, y = data.make_blobs(300, noise=0.1, centers=3, seed=0)
    assert sorted(np.bincount(y).tolist()) == [100, 100, 100]
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 3.0, atol=0.05)
    X, y = data.make_blobs(10, noise=0.0, centers=[[0, 0], [5, 5]], seed=0)
    np.testing.assert_array_equal(X[y == 1], np.full((5, 2), 5.0))


def test_pass_fail_follows_its_ground_truth():
    X, y = data.make_pass_fail(4000, seed=0)
    assert X.min() >= 0 and X.max() <= 12
    w0, w1, w2 = data.PASS_FAIL_WEIGHTS
    p = 1 / (1 + np.exp(-(w0 + w1 * X[:, 0] + w2 * X[:, 1])))
    # calibrated: in each probability bin the pass rate matches the ground truth
    for lo in np.arange(0, 1, 0.25):
        sel = (p >= lo) & (p < lo + 0.25)
        assert abs(y[sel].mean() - p[sel].mean()) < 0.05
    X, y = data.make_pass_fail(500, noise=0.0, seed=0)
    np.testing.assert_array_equal(y, (w0 + w1 * X[:, 0] + w2 * X[:, 1] > 0).astype(int))


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(np.unique(y).tolist()) == list(range(10))


def test_load_digits_without_scikit_learn_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for mod in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, mod)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[digits\]'"):
        data.load_digits()


def test_only_float32_and_float64_inputs_keep_their_dtype():
    for dtype, kept in [(np.float16, np.float64), (np.uint8, np.float64), (np.float32, np.float32)]:
        xb, _ = next(iter(DataLoader(np.zeros((3, 2), dtype), np.zeros(3), batch_size=2)))
        assert xb.dtype == kept, dtype


@pytest.mark.parametrize("who", ["DataLoader", "batches", "fit"])
def test_shuffle_must_be_a_bool(who):
    X, y = ten()
    with pytest.raises(TypeError, match=rf"{who}: shuffle must be True or False, got 'batch'"):
        if who == "DataLoader":
            DataLoader(X, y, shuffle="batch")
        elif who == "batches":
            list(batches(X, y, 2, shuffle="batch"))
        else:
            nn.fit(nn.Dense(2, 1), X, y, loss="mse", optimizer="sgd", epochs=1, shuffle="batch", verbose=0)


def test_noise_must_be_a_number():
    for bad in ["0.1", None, True]:
        with pytest.raises(ValueError, match=r"make_moons: noise is a standard deviation and must be a finite number"):
            data.make_moons(10, noise=bad)


def test_pass_fail_with_a_tiny_noise_draws_the_line_without_overflow():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = data.make_pass_fail(200, noise=1e-6, seed=0)
    w0, w1, w2 = data.PASS_FAIL_WEIGHTS
    np.testing.assert_array_equal(y, (w0 + w1 * X[:, 0] + w2 * X[:, 1] > 0).astype(int))
