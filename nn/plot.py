"""Pictures for the lecture's lessons (matplotlib, imported only when a function is called).

* :func:`plot_decision_boundary` -- a 2-D classifier's regions with the p = 0.5 contour, the classes in a
  colour-blind-safe palette with a marker each (:func:`set_palette` ``("lecture")`` for the slides' red and green);
* :func:`plot_history` -- loss and metrics per epoch, training against validation, the best epoch and the early
  stop marked;
* :func:`plot_loss_surface` with :func:`optimizer_paths` -- a function of two parameters as contours, with the
  path each optimizer takes over it (SGD, momentum, Adam, Adadelta, Adagrad, RMSprop side by side).

Each returns the matplotlib ``Figure`` (draw on your own axes with ``ax=``). Needs ``pip install 'chainrule[course]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from autograd import Tensor, Value, no_grad

from ._util import eval_mode, to_numpy

__all__ = ["plot_decision_boundary", "plot_history", "plot_loss_surface", "optimizer_paths", "RED", "GREEN",
           "PALETTES", "set_palette", "class_style"]

RED, GREEN = "#d62728", "#2ca02c"

#: two-class styles. "colorblind" (the default): Okabe and Ito's vermillion and blue, told apart by every form of
#: colour blindness, and a different marker per class, so the classes differ even in grey; the background runs
#: through a red-blue map. "lecture": the slides' red and green (with the same two markers).
PALETTES: dict[str, dict[str, Any]] = {
    "colorblind": {"colors": ("#d55e00", "#0072b2"), "markers": ("o", "s"), "cmap": "RdBu",
                   "names": ("orange", "blue")},
    "lecture": {"colors": (RED, GREEN), "markers": ("o", "s"), "cmap": "RdYlGn", "names": ("red", "green")},
}
_palette = ["colorblind"]


def set_palette(name: str) -> None:
    """Choose the two-class style of every later picture: ``"colorblind"`` (default) or ``"lecture"``."""
    if name not in PALETTES:
        raise ValueError(f"set_palette: unknown palette {name!r}; choose one of {sorted(PALETTES)}")
    _palette[0] = name


def class_style(c: int, palette: str | None = None) -> dict[str, Any]:
    """Colour and marker of class ``c`` (0 or 1) for ``ax.scatter(..., **class_style(c))``."""
    pal = PALETTES[palette or _palette[0]]
    return {"c": [pal["colors"][c]], "marker": pal["markers"][c], "edgecolors": "black", "linewidths": 0.5}


def _legend_outside(ax: Any) -> None:
    """The legend to the right of the axes, where it cannot cover data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8)


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("nn.plot needs matplotlib: pip install 'chainrule[course]'") from None
    return plt


def _axes(ax: Any, figsize: tuple[float, float] = (5.5, 4.5)) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize)
    return fig, ax


# ----------------------------------------------------------------------------------------------------------------
# Decision boundary
# ----------------------------------------------------------------------------------------------------------------


def _value_flavour(model: Any, point: list[float]) -> bool:
    """True for a model of Values (nn.Perceptron, nn.MLP, ...) that reads one point as a list of numbers.

    A module says so by its parameters; a plain function (or a module without parameters) is tried on one point.
    """
    params = model.parameters() if callable(getattr(model, "parameters", None)) else []
    if params:
        return any(isinstance(p, Value) for p in params)
    try:
        with no_grad():
            out = model(point)
    except Exception:  # a Tensor model fed a list: it is not a Value model
        return False
    return isinstance(out, Value) or (isinstance(out, (list, tuple)) and any(isinstance(v, Value) for v in out))


def _predict_grid(model: Any, grid: np.ndarray, value_model: bool | None = None) -> np.ndarray:
    """The model's output on each row of ``grid`` (shape (n, 2)), in eval mode and without recording a graph.

    A Tensor model gets the whole grid as one (n, 2) Tensor; a Value model gets one point at a time as a list of
    two floats (its output a Value, or a list of Values for several outputs).
    """
    if value_model is None:
        value_model = _value_flavour(model, [float(v) for v in grid[0]])
    with eval_mode(model), no_grad():
        if value_model:
            outs = [model(p) for p in grid.tolist()]
            rows = [[float(to_numpy(v)) for v in o] if isinstance(o, (list, tuple)) else float(to_numpy(o))
                    for o in outs]
            return np.array(rows, dtype=np.float64)
        out = model(Tensor(grid))
    return to_numpy(out, dtype=np.float64)


def plot_decision_boundary(
    model: Any, X: Any, y: Any, ax: Any = None, resolution: int | None = None, padding: float = 0.5,
    from_logits: bool | None = None, title: str | None = None, palette: str | None = None,
) -> Any:
    """Colour the plane by the model's prediction and draw the points, one colour and marker per class.

    ``model`` maps an (n, 2) Tensor to one output column (binary) or to one column per class; or it is a model
    of Values (:class:`nn.Perceptron`, :class:`nn.MLP`, or a function of one point ``[x1, x2]`` returning a
    Value or a list of Values), which is run point by point. A binary output is read as a probability, or as a
    logit (passed through sigmoid) when ``from_logits`` is True; by default it is a logit exactly when some
    output on the grid lies outside [0, 1]. The background shows P(class 1) from red to green with a black line
    where it equals 0.5 (the decision boundary). With several classes each region gets its class's colour. The
    model is run in eval mode, recording no graph, on a ``resolution`` x ``resolution`` grid that extends
    ``padding`` beyond the data; by default 200 x 200 for a Tensor model and 80 x 80 for a Value model (each
    point is one pass through Python: 6400 passes of a 2-16-16-1 MLP take about a second).

    Two classes are drawn in the ``palette`` chosen by :func:`set_palette` (colour-blind safe by default, a
    different marker per class; ``palette="lecture"`` for the slides' red and green); the legend sits to the
    right of the picture, off the data.
    """
    if palette is not None and palette not in PALETTES:
        raise ValueError(f"plot_decision_boundary: unknown palette {palette!r}; choose one of {sorted(PALETTES)}")
    pal = PALETTES[palette or _palette[0]]
    plt = _pyplot()
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2) (two features), got {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: X has {len(X)} points but y has {len(y)} labels")
    fig, ax = _axes(ax)
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    value_model = _value_flavour(model, [float(v) for v in X[0]]) if len(X) else False
    if resolution is None:
        resolution = 80 if value_model else 200
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    out = _predict_grid(model, np.c_[xx.ravel(), yy.ravel()], value_model)
    classes = np.unique(y).astype(int)
    if out.ndim == 1 or out.shape[-1] == 1:
        z = out.reshape(-1)
        logits = from_logits if from_logits is not None else bool(z.min() < 0 or z.max() > 1)
        p = 1.0 / (1.0 + np.exp(-z)) if logits else z
        p = p.reshape(xx.shape)
        ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 11), cmap=pal["cmap"], alpha=0.35, vmin=0, vmax=1)
        ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.5)
        colors = dict(enumerate(pal["colors"]))
    else:
        k = out.shape[-1]
        cmap = plt.get_cmap("tab10" if k <= 10 else "tab20")
        shades = list(pal["colors"]) if k == 2 else [cmap(i) for i in range(k)]  # two classes: as in binary
        region = out.argmax(axis=-1).reshape(xx.shape)
        ax.contourf(xx, yy, region, levels=np.arange(k + 1) - 0.5, colors=shades, alpha=0.3)
        colors = dict(enumerate(shades))
    markers = "osD^v<>phX"
    for c in classes:
        sel = y == c
        ax.scatter(X[sel, 0], X[sel, 1], c=[colors.get(int(c), "grey")], edgecolors="black", linewidths=0.5,
                   s=25, marker=markers[int(c) % len(markers)], label=f"class {int(c)}")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    _legend_outside(ax)
    if title:
        ax.set_title(title)
    return fig


# ----------------------------------------------------------------------------------------------------------------
# History
# ----------------------------------------------------------------------------------------------------------------


def plot_history(history: Any, keys: Sequence[str] | None = None, axes: Any = None) -> Any:
    """One panel per quantity (``loss``, then each metric): training solid, validation dashed, epochs from 1;
    each panel's legend under it, off the data.

    With early stopping, a dotted vertical line marks the best epoch (its value circled on the monitored curve,
    labelled "restored" when those weights were loaded back) and a dash-dot line the epoch training stopped.
    ``history`` is a :class:`nn.train.History` or a dict of lists.
    """
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    hist = history.history if hasattr(history, "history") else dict(history)
    if keys is None:
        keys = [k for k in hist if not k.startswith("val_")]
        keys += [k.removeprefix("val_") for k in hist if k.startswith("val_") and k.removeprefix("val_") not in keys]
    if not keys:
        raise ValueError("plot_history: the history is empty (nothing was trained?)")
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=(5 * len(keys), 3.8), squeeze=False)
        axes = list(axes[0])
    else:
        axes = list(np.ravel(axes))
        fig = axes[0].figure
    if len(axes) < len(keys):
        raise ValueError(f"plot_history: {len(keys)} quantities ({', '.join(keys)}) but {len(axes)} axes")
    best = getattr(history, "best_epoch", None)
    stopped = getattr(history, "stopped_epoch", None)
    monitor = getattr(history, "monitor", None)
    restored = getattr(history, "restored", False)
    for ax, key in zip(axes, keys):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            if name in hist:
                values = hist[name]
                ax.plot(np.arange(1, len(values) + 1), values, style, marker=".",
                        label="validation" if name.startswith("val_") else "training")
        if best is not None:
            ax.axvline(best + 1, color="grey", linestyle=":", label=f"best epoch {best + 1}")
            if monitor in hist and monitor.removeprefix("val_") == key:
                ax.plot([best + 1], [hist[monitor][best]], "o", markersize=10, markerfacecolor="none",
                        markeredgecolor="black", label="restored weights" if restored else "best")
        if stopped is not None:
            ax.axvline(stopped + 1, color="black", linestyle="-.", label=f"stopped at epoch {stopped + 1}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epoch 3, not 2.5
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(key)
        # under the panel, below the epoch axis: off the data
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------------------------------------------
# Loss surfaces and optimizer paths
# ----------------------------------------------------------------------------------------------------------------


def _surface(f: Callable[[Any, Any], Any], xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """f on the grid: one call on two Tensors if f is written with operations Tensors have, else point by point."""
    with no_grad():
        try:
            z = f(Tensor(xx), Tensor(yy))
            z = to_numpy(z, dtype=np.float64)
            if z.shape == xx.shape:
                return z
        except (TypeError, ValueError, AttributeError):
            pass
        flat = [f(Value(float(a)), Value(float(b))) for a, b in zip(xx.ravel(), yy.ravel())]
    return np.array([float(to_numpy(v)) for v in flat]).reshape(xx.shape)


def _log_ticks(lo: float, hi: float, most: int = 8) -> list[float]:
    """Colour-bar ticks on a log scale: the powers of ten in [lo, hi] (at most ``most`` of them, evenly thinned),
    or the 1-2-5 steps, or 1, 2, ..., 9 times the powers of ten when fewer than two powers of ten fit."""
    decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    for mults in ((1,), (1, 2, 5), tuple(range(1, 10))):
        candidates = [float(m * 10.0**d) for d in decades for m in mults]
        ticks = [t for t in candidates if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) >= 2:
            return ticks[:: -(-len(ticks) // most)]
    return [lo, hi]


def _log_labels(ticks: Sequence[float]) -> list[str]:
    """Powers of ten only: 10^-1, 10^0, 10^1 (mathtext); otherwise short plain numbers: 2, 5, 10, 20."""
    k = np.log10(ticks)
    if np.allclose(k, np.round(k), rtol=0, atol=1e-9):
        return [f"$10^{{{int(round(e))}}}$" for e in k]
    return [f"{t:.3g}" for t in ticks]


def plot_loss_surface(
    f: Callable[[Any, Any], Any], xlim: tuple[float, float] = (-2.0, 2.0), ylim: tuple[float, float] = (-2.0, 2.0),
    paths: Mapping[str, Any] | None = None, ax: Any = None, resolution: int = 120, levels: int = 30,
    log_scale: bool = False, minimum: tuple[float, float] | None = None, title: str | None = None,
) -> Any:
    """Contours of J(w1, w2) = ``f(w1, w2)`` over ``xlim`` x ``ylim``, with optimizer paths on top.

    ``f`` takes two numbers as Values (or Tensors: then the whole grid is one call) and returns the loss.
    ``paths``: name -> sequence of (w1, w2) points (see :func:`optimizer_paths`); each is drawn as a line with
    its start marked by a circle and its end by a cross. ``log_scale`` spaces the contour levels logarithmically
    (for valleys such as Rosenbrock's), the colour bar labelled at powers of ten (10^-1, 10^0, 10^1, ...).
    ``minimum`` marks a known minimum with a star.
    """
    plt = _pyplot()
    fig, ax = _axes(ax, figsize=(6, 5))
    xx, yy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    zz = _surface(f, xx, yy)
    if log_scale:
        from matplotlib.colors import LogNorm

        lo = max(float(zz.min()), 1e-12)
        hi = max(float(zz.max()), lo * 10)
        lv = np.logspace(np.log10(lo), np.log10(hi), levels)
        filled = ax.contourf(xx, yy, np.maximum(zz, lo), levels=lv, cmap="viridis", norm=LogNorm(), alpha=0.8)
        ax.contour(xx, yy, np.maximum(zz, lo), levels=lv, colors="white", linewidths=0.3, alpha=0.5)
        # ticks at the contour levels would read 1.10837x10^1: label round numbers instead
        cbar = fig.colorbar(filled, ax=ax, label="loss")
        ticks = _log_ticks(lo, hi)
        cbar.set_ticks(ticks, labels=_log_labels(ticks))
        cbar.ax.minorticks_off()
    else:
        filled = ax.contourf(xx, yy, zz, levels=levels, cmap="viridis", alpha=0.8)
        ax.contour(xx, yy, zz, levels=levels, colors="white", linewidths=0.3, alpha=0.5)
        fig.colorbar(filled, ax=ax, label="loss")
    colors = plt.get_cmap("tab10")
    for i, (name, path) in enumerate((paths or {}).items()):
        pts = np.asarray(path, dtype=np.float64).reshape(-1, 2)
        c = colors(i % 10)
        ax.plot(pts[:, 0], pts[:, 1], "-", color=c, linewidth=1.8, marker=".", markersize=3, label=name)
        ax.plot(pts[0, 0], pts[0, 1], "o", color=c, markersize=7)
        ax.plot(pts[-1, 0], pts[-1, 1], "x", color=c, markersize=9, markeredgewidth=2, zorder=4)
    if minimum is not None:
        # drawn under the paths, so an end cross on the minimum stays visible
        ax.plot(*minimum, "*", color="gold", markersize=18, markeredgecolor="black", label="minimum", zorder=1.5)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    if paths or minimum is not None:
        ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return fig


def optimizer_paths(
    f: Callable[[Value, Value], Value], start: tuple[float, float], optimizers: Mapping[str, Callable[[list], Any]],
    steps: int = 100, diverged: str = "raise", limit: float = 1e6,
) -> dict[str, np.ndarray]:
    """Run each optimizer from ``start`` on J(w1, w2) = ``f(w1, w2)`` (two ``Value`` s) and record where it goes.

    ``optimizers``: name -> a function of the parameter list returning an optimizer, e.g.
    ``{"SGD": lambda p: nn.optim.SGD(p, lr=0.01), "Adam": lambda p: nn.optim.Adam(p, lr=0.1)}`` (an optimizer
    class works too, with its defaults). Each step is the lecture's loop: zero_grad, J.backward(), step.
    Returns name -> array of shape (steps + 1, 2), the start included.

    An optimizer *diverges* when the loss stops being finite or a weight grows past ``limit``. With
    ``diverged="raise"`` that is a ``FloatingPointError`` naming the optimizer and the step; with
    ``diverged="stop"`` its path simply ends at the last point reached (shorter than ``steps + 1``), so a
    notebook can draw a learning rate that is too large instead of stopping.
    """
    if diverged not in ("raise", "stop"):
        raise ValueError(f"optimizer_paths: diverged must be 'raise' or 'stop', got {diverged!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"optimizer_paths: steps must be an integer >= 0, got {steps!r}")
    out: dict[str, np.ndarray] = {}
    for name, make in optimizers.items():
        w1, w2 = Value(float(start[0]), label="w1"), Value(float(start[1]), label="w2")
        opt = make([w1, w2])
        path = [(w1.data, w2.data)]
        for t in range(int(steps)):
            loss = f(w1, w2)
            if not isinstance(loss, Value):
                raise TypeError(f"optimizer_paths: f must return a Value, got {type(loss).__name__}")
            if not np.isfinite(loss.data) or (diverged == "stop" and max(abs(w1.data), abs(w2.data)) > limit):
                if diverged == "stop":
                    break
                raise FloatingPointError(
                    f"optimizer_paths: {name} diverged: the loss is {loss.data} at step {t} (at w = {path[-1]}); "
                    "lower its learning rate"
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
            path.append((w1.data, w2.data))
        out[name] = np.array(path, dtype=np.float64)
    return out
