"""nn.plot: each picture is a Figure with the expected artists (Agg backend, nothing is shown)."""

import builtins
import re
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import nn  # noqa: E402
from autograd import Value, is_grad_enabled  # noqa: E402
from nn import data, plot  # noqa: E402
from nn.train import EarlyStopping, History, fit  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rosenbrock(a, b):
    return (1 - a) ** 2 + 10 * (b - a * a) ** 2


def trained_moons():
    X, y = data.make_moons(80, noise=0.15, seed=0)
    model = nn.Sequential(nn.Dense(2, 16, "relu", rng=0), nn.Dense(16, 1, rng=1))
    fit(model, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(model.parameters(), lr=0.03), epochs=40,
        seed=0, verbose=0)
    return model, X, y


def test_decision_boundary_red_vs_green_with_the_half_contour():
    model, X, y = trained_moons()
    model.train()
    fig = plot.plot_decision_boundary(model, X, y, resolution=50, title="moons", palette="lecture")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    points = ax.collections[-2:]
    assert [to_hex(pc.get_facecolors()[0]) for pc in points] == [plot.RED, plot.GREEN]
    assert [len(pc.get_offsets()) for pc in points] == [int((y == 0).sum()), int((y == 1).sum())]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1"]
    lines = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]]
    assert len(lines) == 1  # the decision boundary p = 0.5
    assert ax.get_title() == "moons"
    assert model.training is True  # evaluated in eval mode, mode restored


def test_decision_boundary_reads_logits_or_probabilities():
    class Const(nn.Module):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def forward(self, x):
            return x[:, :1] * 0 + self.v

    X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    # a logit 3 is p = 0.95 (band 0.9-1.0); 0.25 is read as a probability (band 0.2-0.3); forcing
    # from_logits=True reads 0.25 as a logit, p = 0.56 (band 0.5-0.6)
    for model, kwargs, band in [(Const(3.0), {}, 9), (Const(0.25), {}, 2), (Const(0.25), {"from_logits": True}, 5)]:
        fig = plot.plot_decision_boundary(model, X, y, resolution=5, **kwargs)
        filled = fig.axes[0].collections[0]
        occupied = [i for i, path in enumerate(filled.get_paths()) if len(path.vertices)]
        assert occupied == [band]
        plt.close(fig)


def test_decision_boundary_multiclass_and_errors():
    X, y = data.make_blobs(90, noise=0.5, centers=3, seed=0)
    model = nn.Sequential(nn.Dense(2, 3, rng=0))
    fig, ax = plt.subplots()
    assert plot.plot_decision_boundary(model, X, y, ax=ax, resolution=30) is fig
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\) \(two features\), got \(90, 3\)"):
        plot.plot_decision_boundary(model, np.c_[X, X[:, 0]], y)
    with pytest.raises(ValueError, match=r"X has 90 points but y has 89 labels"):
        plot.plot_decision_boundary(model, X, y[:-1])


def half_contour_vertices(ax):
    (line,) = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]]
    return np.concatenate([path.vertices for path in line.get_paths()])


def test_decision_boundary_of_a_value_perceptron_is_its_line():
    # g(1 + 3 x1 - 2 x2): p = 0.5 exactly on the line 1 + 3 x1 - 2 x2 = 0
    p = nn.Perceptron(2, w0=1, W=(3, -2))
    X, y = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]), np.array([1, 1, 0, 0])
    assert plot._value_flavour(p, [0.0, 0.0]) is True
    fig = plot.plot_decision_boundary(p, X, y)
    v = half_contour_vertices(fig.axes[0])
    assert len(v) > 10 and np.isclose(np.ptp(v[:, 1]), 2)  # the line crosses the picture, y from -0.5 to 1.5
    np.testing.assert_allclose(1 + 3 * v[:, 0] - 2 * v[:, 1], 0, atol=1e-3)
    side = np.array([[2.0, 0.0], [0.0, 2.0], [-1.0, -1.5], [-1.0, -0.5]])  # 7, -3, 1, -1
    np.testing.assert_allclose(plot._predict_grid(p, side), 1 / (1 + np.exp(-np.array([7.0, -3.0, 1.0, -1.0]))))
    assert p.w0.grad == 0 and [w.grad for w in p.W] == [0, 0]


def test_decision_boundary_of_a_value_function_point_by_point_without_a_graph():
    seen = []

    def score(x):  # a plain function of one point [x1, x2] returning a Value logit
        seen.append((list(x), is_grad_enabled()))
        return Value(x[0]) - Value(x[1])

    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
    fig = plot.plot_decision_boundary(score, X, y)
    assert len(seen) == 1 + 80 * 80  # one probe, then the default 80 x 80 grid for Value models
    assert all(isinstance(x, list) and len(x) == 2 and not grad for x, grad in seen)
    v = half_contour_vertices(fig.axes[0])  # logits (outside [0, 1]) read through sigmoid: the line x1 = x2
    np.testing.assert_allclose(v[:, 0], v[:, 1], atol=1e-9)
    seen.clear()
    plot.plot_decision_boundary(score, X, y, resolution=7)
    assert len(seen) == 1 + 49


def test_decision_boundary_of_value_mlps_binary_and_multiclass():
    X, y = data.make_moons(40, noise=0.15, seed=0)
    mlp = nn.MLP(2, [8, 1], rng=0)
    assert plot._value_flavour(mlp, [0.0, 0.0]) is True
    grid = np.array([[0.0, 0.0], [1.0, -0.5], [-1.5, 2.0]])
    np.testing.assert_allclose(plot._predict_grid(mlp, grid), [mlp(list(g)).data for g in grid], rtol=1e-12)
    mlp.train()
    fig = plot.plot_decision_boundary(mlp, X, y, resolution=30)
    assert len(half_contour_vertices(fig.axes[0])) > 0
    assert mlp.training is True

    X3, y3 = data.make_blobs(60, noise=0.5, centers=3, seed=0)
    mlp3 = nn.MLP(2, [8, 3], rng=1)  # three outputs: a list of Values per point, one region per class
    out = plot._predict_grid(mlp3, X3)
    assert out.shape == (60, 3)
    np.testing.assert_allclose(out[5], [v.data for v in mlp3(list(X3[5]))], rtol=1e-12)
    fig = plot.plot_decision_boundary(mlp3, X3, y3, resolution=20)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["class 0", "class 1", "class 2"]


def test_tensor_models_are_not_taken_for_value_models():
    assert plot._value_flavour(nn.Sequential(nn.Dense(2, 1, rng=0)), [0.0, 0.0]) is False
    assert plot._value_flavour(lambda x: x[:, :1] * 2, [0.0, 0.0]) is False  # a list cannot be sliced so
    assert plot._value_flavour(lambda x: [Value(1.0), Value(2.0)], [0.0, 0.0]) is True


def test_history_plot_marks_best_and_stop():
    X, y = data.make_moons(60, noise=0.3, seed=0)
    model = nn.Sequential(nn.Dense(2, 16, "relu", rng=0), nn.Dense(16, 1, rng=1))
    h = fit(model, X, y, loss="bce_with_logits", optimizer=nn.optim.Adam(model.parameters(), lr=0.5), epochs=30,
            validation_split=0.3, seed=0, metrics=["accuracy"], callbacks=[EarlyStopping(restore_best_weights=True)],
            verbose=0)
    assert h.stopped_epoch is not None
    fig = plot.plot_history(h)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "loss" and acc_ax.get_title() == "accuracy"
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert labels == ["training", "validation", f"best epoch {h.best_epoch + 1}", "restored weights",
                      f"stopped at epoch {h.stopped_epoch + 1}"]
    train_line, val_line = loss_ax.get_lines()[:2]
    np.testing.assert_array_equal(train_line.get_xdata(), np.arange(1, len(h) + 1))
    np.testing.assert_array_equal(val_line.get_ydata(), h.history["val_loss"])
    assert val_line.get_linestyle() == "--"
    circle = loss_ax.get_lines()[3]
    assert circle.get_xdata()[0] == h.best_epoch + 1 and circle.get_ydata()[0] == min(h.history["val_loss"])
    # the accuracy panel gets the epoch lines but not the circle (val_loss was monitored)
    assert [t.get_text() for t in acc_ax.get_legend().get_texts()] == [
        "training", "validation", f"best epoch {h.best_epoch + 1}", f"stopped at epoch {h.stopped_epoch + 1}"]


def test_history_plot_from_a_dict_and_errors():
    fig = plot.plot_history({"loss": [3.0, 2.0, 1.0], "mae": [1.0, 0.5, 0.2]})
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["training"]
    with pytest.raises(ValueError, match=r"the history is empty"):
        plot.plot_history(History())
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"2 quantities \(loss, mae\) but 1 axes"):
        plot.plot_history({"loss": [1.0], "mae": [1.0]}, axes=ax)


OPTIMIZERS = {
    "SGD": lambda p: nn.optim.SGD(p, lr=0.01),
    "momentum": lambda p: nn.optim.SGD(p, lr=0.005, momentum=0.9),
    "Adam": lambda p: nn.optim.Adam(p, lr=0.1),
    "Adagrad": lambda p: nn.optim.Adagrad(p, lr=0.5),
    "RMSprop": lambda p: nn.optim.RMSprop(p, lr=0.02),
    "Adadelta": lambda p: nn.optim.Adadelta(p, lr=1.0),
}


def test_optimizer_paths_follow_each_optimizer():
    paths = plot.optimizer_paths(rosenbrock, (-1.5, 1.5), OPTIMIZERS, steps=60)
    assert list(paths) == list(OPTIMIZERS)
    for name, path in paths.items():
        assert path.shape == (61, 2)
        np.testing.assert_array_equal(path[0], [-1.5, 1.5])
        assert rosenbrock(*path[-1]) < rosenbrock(-1.5, 1.5), name
    # the SGD path is plain gradient descent, step by step: w <- w - lr dJ/dw
    w = np.array([-1.5, 1.5])
    for step in range(3):
        a, b = w
        grad = np.array([-2 * (1 - a) - 40 * a * (b - a * a), 20 * (b - a * a)])
        w = w - 0.01 * grad
        np.testing.assert_allclose(paths["SGD"][step + 1], w, rtol=1e-12)


def test_optimizer_paths_errors():
    with pytest.raises(FloatingPointError, match=r"SGD diverged: the loss is (inf|nan) at step \d+"):
        with np.errstate(over="ignore", invalid="ignore"):
            plot.optimizer_paths(rosenbrock, (-1.5, 1.5), {"SGD": lambda p: nn.optim.SGD(p, lr=1.0)}, steps=50)
    with pytest.raises(ValueError, match=r"steps must be an integer >= 0, got -2"):
        plot.optimizer_paths(rosenbrock, (0, 0), OPTIMIZERS, steps=-2)
    with pytest.raises(TypeError, match=r"f must return a Value, got float"):
        plot.optimizer_paths(lambda a, b: 1.0, (0, 0), {"SGD": nn.optim.SGD}, steps=1)


def test_loss_surface_with_paths():
    paths = plot.optimizer_paths(rosenbrock, (-1.5, 1.5), OPTIMIZERS, steps=20)
    fig = plot.plot_loss_surface(rosenbrock, (-2, 2), (-1, 3), paths=paths, resolution=40, log_scale=True,
                                 minimum=(1, 1), title="Rosenbrock")
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the plot and its colour bar
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [*OPTIMIZERS, "minimum"]
    lines = ax.get_lines()
    assert len(lines) == 3 * len(OPTIMIZERS) + 1  # path, start, end for each; the star
    np.testing.assert_array_equal(lines[0].get_xdata(), paths["SGD"][:, 0])
    assert lines[1].get_marker() == "o" and lines[2].get_marker() == "x" and lines[-1].get_marker() == "*"
    assert ax.get_xlim() == (-2, 2) and ax.get_title() == "Rosenbrock"


def colorbar_labels(fig):
    fig.canvas.draw()
    return [t.get_text() for t in fig.axes[1].get_yticklabels() if t.get_text()]


def test_log_colour_bar_reads_powers_of_ten_or_short_numbers():
    fig = plot.plot_loss_surface(rosenbrock, (-2, 2), (-1, 3), resolution=40, log_scale=True)
    labels = colorbar_labels(fig)
    exps = [int(m.group(1)) for m in (re.fullmatch(r"\$10\^\{(-?\d+)\}\$", t) for t in labels) if m]
    assert len(exps) == len(labels) >= 3, labels  # e.g. 10^-3 ... 10^2, not 1.10837x10^1
    assert exps == list(range(exps[0], exps[0] + len(exps)))
    lo, hi = fig.axes[1].get_ylim()
    assert all(lo <= t <= hi for t in fig.axes[1].get_yticks())
    # less than two decades of loss: plain round numbers
    fig = plot.plot_loss_surface(lambda a, b: 2 + a * a + b * b, (-1, 1), (-1, 1), resolution=20, log_scale=True)
    assert colorbar_labels(fig) == ["5", "10", "20"]
    # a loss spanning 15 decades gets at most 8 ticks
    assert len(plot._log_ticks(1e-12, 1e3)) <= 8


def test_surface_values_from_tensors_and_from_values():
    xx, yy = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(0, 2, 3))
    expected = (1 - xx) ** 2 + 10 * (yy - xx * xx) ** 2
    np.testing.assert_allclose(plot._surface(rosenbrock, xx, yy), expected)
    calls = []

    def value_only(a, b):  # works on Values only: the grid falls back to one call per point
        calls.append(1)
        if not isinstance(a, Value):
            raise TypeError("Values only")
        return (a * b).tanh()

    np.testing.assert_allclose(plot._surface(value_only, xx, yy), np.tanh(xx * yy))
    assert len(calls) == 1 + xx.size
    fig = plot.plot_loss_surface(value_only, resolution=10)
    assert fig.axes[0].get_legend() is None


def test_missing_matplotlib_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    with pytest.raises(ImportError, match=r"nn.plot needs matplotlib: pip install 'chainrule\[course\]'"):
        plot.plot_history({"loss": [1.0]})


def test_two_class_softmax_regions_are_red_and_green_like_their_points():
    X, y = data.make_moons(60, noise=0.1, seed=0)
    model = nn.Sequential(nn.Dense(2, 2, rng=0))  # two logits, one per class (cross_entropy)
    fig = plot.plot_decision_boundary(model, X, y, resolution=20, palette="lecture")
    (regions,) = [c for c in fig.axes[0].collections if hasattr(c, "levels")]
    assert [to_hex(c) for c in regions.get_facecolors()[:, :3]] == [plot.RED, plot.GREEN]
    points = [c for c in fig.axes[0].collections if not hasattr(c, "levels")]
    assert [to_hex(c.get_facecolors()[0][:3]) for c in points] == [plot.RED, plot.GREEN]


def test_history_epochs_are_whole_numbers_on_the_axis():
    fig = plot.plot_history({"loss": list(np.linspace(1, 0.1, 21))})
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 21]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_optimizer_paths_can_stop_at_divergence_instead_of_raising():
    """A notebook draws a learning rate that is too large: the path ends where the weights blew up."""
    paths = plot.optimizer_paths(rosenbrock, (-1.5, 1.5), {"SGD": lambda p: nn.optim.SGD(p, lr=1.0)}, steps=50,
                                 diverged="stop")
    path = paths["SGD"]
    assert 1 < len(path) < 51 and np.isfinite(path).all()
    fig = plot.plot_loss_surface(rosenbrock, paths=paths, resolution=20)
    assert fig.axes[0].get_lines()
    with pytest.raises(ValueError, match="diverged must be 'raise' or 'stop'"):
        plot.optimizer_paths(rosenbrock, (0, 0), {"SGD": nn.optim.SGD}, steps=1, diverged="ignore")


def test_the_default_palette_is_colour_blind_safe_with_a_marker_per_class():
    X, y = data.make_moons(40, noise=0.1, seed=0)
    model = nn.Sequential(nn.Dense(2, 1, rng=0))
    ax = plot.plot_decision_boundary(model, X, y, resolution=20).axes[0]
    points = [c for c in ax.collections if not hasattr(c, "levels")]
    assert [to_hex(pc.get_facecolors()[0]) for pc in points] == list(plot.PALETTES["colorblind"]["colors"])
    assert len({pc.get_paths()[0].vertices.shape for pc in points}) == 2  # a circle and a square
    legend = ax.get_legend()
    assert legend.get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # right of the axes, off the data
    plot.set_palette("lecture")
    try:
        ax = plot.plot_decision_boundary(model, X, y, resolution=20).axes[0]
        points = [c for c in ax.collections if not hasattr(c, "levels")]
        assert [to_hex(pc.get_facecolors()[0]) for pc in points] == [plot.RED, plot.GREEN]
    finally:
        plot.set_palette("colorblind")
    with pytest.raises(ValueError, match="unknown palette 'pink'"):
        plot.set_palette("pink")
    with pytest.raises(ValueError, match="unknown palette 'pink'"):
        plot.plot_decision_boundary(model, X, y, palette="pink")
