"""The main job behind ``make demo`` and the ``chainrule-demo`` command.

1. Builds the lecture's perceptron y = g(1 + 3 x1 - 2 x2) at x = (-1, 2) from Values, prints the forward pass
   and every gradient.
2. Steps through the backward pass of a tiny network, one chain-rule step per line, and explains dJ/dw1 as the
   lecture's product of factors.
3. Trains a small network on red-versus-green points (two moons) with a progress bar.
4. Writes into ``out/`` the perceptron's computation graph (SVG), the decision boundary and the loss curve (PNG),
   and names the files it wrote.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import IO

import numpy as np

import autograd
import nn
from autograd import Value
from nn import data, plot, train


def perceptron(out: IO[str] = sys.stdout) -> Value:
    """The lecture's worked example, one Value at a time."""
    x1, x2 = Value(-1.0, label="x1"), Value(2.0, label="x2")
    w0, w1, w2 = Value(1.0, label="w0"), Value(3.0, label="w1"), Value(-2.0, label="w2")
    z = w0 + x1 * w1 + x2 * w2
    z.label = "z"
    y = z.sigmoid()
    y.label = "y"
    print("1. The perceptron  y = g(w0 + x1*w1 + x2*w2)  with g = sigmoid", file=out)
    print(f"   w0 = {w0.data:g}, W = ({w1.data:g}, {w2.data:g}), x = ({x1.data:g}, {x2.data:g})", file=out)
    print(f"   z = 1 + 3*(-1) - 2*2 = {z.data:g}", file=out)
    print(f"   y = sigmoid({z.data:g}) = {y.data:.6f}  (~ {y.data:.3f})", file=out)
    y.backward()
    print("   backward(): dy/dnode for every node", file=out)
    for node in (z, w0, w1, w2, x1, x2):
        print(f"     dy/d{node.label:<2} = {node.grad: .6f}", file=out)
    return y


def tiny_network(out: IO[str] = sys.stdout) -> Value:
    """x -> z1 = x w1 -> z2 = z1 w2 -> y_hat = g(z2) -> J = (y_hat - y)^2, stepped through and explained.

    The input x and the target y are constants (data, not weights: they get no gradient); every node has the
    lecture's name, so each step line reads like the slide.
    """
    x, y = autograd.Constant(1.5, label="x"), autograd.Constant(1.0, label="y")
    w1, w2 = Value(0.8, label="w1"), Value(-0.5, label="w2")
    z1 = x * w1
    z1.label = "z1"
    z2 = z1 * w2
    z2.label = "z2"
    y_hat = z2.sigmoid()
    y_hat.label = "y_hat"
    error = y_hat - y
    error.label = "error"
    J = error**2
    J.label = "J"
    print("\n2. Backpropagation, one step at a time:  z1 = x*w1,  z2 = z1*w2,  y_hat = g(z2),  J = (y_hat - y)^2",
          file=out)
    print("   (x and the target y are constants: data, not weights, so they receive no gradient)", file=out)
    for step in autograd.backward_steps(J):
        if step.op is not None:
            print(f"   {step}", file=out)
    print(f"   dJ/dw1 = {w1.grad:.6f}   dJ/dw2 = {w2.grad:.6f}", file=out)
    print("\n   The chain rule behind dJ/dw1:", file=out)
    for line in str(autograd.explain(J, w1)).splitlines():
        print(f"   {line}", file=out)
    return J


def train_red_green(epochs: int = 150, verbose: int = 1, out: IO[str] = sys.stdout):
    """A 2-16-16-1 network learns to separate red from green points (two moons)."""
    X, y = data.make_moons(n_samples=200, noise=0.15, seed=0)
    model = nn.Sequential(
        nn.Dense(2, 16, activation="tanh", rng=1),
        nn.Dense(16, 16, activation="tanh", rng=2),
        nn.Dense(16, 1, rng=3),
    )
    print(f"\n3. Training {model.__class__.__name__} 2-16-16-1 on {len(X)} points of two classes (two moons)", file=out)
    optimizer = nn.Adam(model.parameters(), lr=0.03)
    callbacks = []
    if verbose and not sys.stderr.isatty():  # a log, not a terminal: a line every 25 epochs instead of a bar
        verbose = 0
        callbacks.append(train.LambdaCallback(on_epoch_end=lambda e, logs: print(
            f"   epoch {e + 1:>3}: " + ", ".join(f"{k} {v:.4f}" for k, v in logs.items()), file=out)
            if (e + 1) % 25 == 0 else None))
    history = train.fit(model, X, y.reshape(-1, 1).astype(np.float64), loss="bce_with_logits", optimizer=optimizer,
                        epochs=epochs, batch_size=32, validation_split=0.2, seed=0, metrics=["accuracy"],
                        callbacks=callbacks, verbose=verbose)
    last = {k: v[-1] for k, v in history.history.items()}
    print(f"   after {epochs} epochs: " + ", ".join(f"{k} {v:.4f}" for k, v in last.items()), file=out)
    val = history.history.get("val_loss", [])
    if val:
        best = int(np.argmin(val))
        print(f"   best epoch: {best + 1} of {len(val)}, validation loss {val[best]:.4f}"
              f" (last epoch: {val[-1]:.4f})", file=out)
        n_val = len(X) - int(len(X) * 0.8)
        X_train, y_train = X[: len(X) - n_val], y[: len(X) - n_val]
        after = train.evaluate(model, X_train, y_train.reshape(-1, 1).astype(np.float64), "bce_with_logits")["loss"]
        hold = train.evaluate(model, X[len(X) - n_val:], y[len(X) - n_val:].reshape(-1, 1).astype(np.float64),
                              "bce_with_logits")["loss"]
        print(f"   Reading the loss curve: measured with the same final weights, the {len(X) - n_val} training points"
              f" have\n   loss {after:.4f} and the {n_val} validation points {hold:.4f}. So where the validation curve "
              "lies below the\n   training curve, its points are simply easier for this network; with so few"
              " of them that\n   can happen. Overfitting would show the other way round: validation rising above "
              "training.", file=out)
    return model, X, y, history


def write_pictures(perceptron_output: Value, model, X, y, history, folder: str, out: IO[str] = sys.stdout) -> list[str]:
    """The perceptron's graph (SVG, or DOT text without Graphviz), the decision boundary and the loss curve."""
    from autograd import viz

    os.makedirs(folder, exist_ok=True)
    written = []
    graph = autograd.draw(perceptron_output)
    if shutil.which("dot"):
        written.append(viz.save(graph, os.path.join(folder, "perceptron_graph.svg")))
    else:
        written.append(viz.save(graph, os.path.join(folder, "perceptron_graph.dot")))
        print(f"   (Graphviz's 'dot' is missing, so the graph is DOT text; {viz.INSTALL_HINT})", file=out)
    try:
        import matplotlib

        matplotlib.use("Agg")
    except ImportError:
        print("   (matplotlib is missing: pip install 'chainrule[course]' for the pictures)", file=out)
        return written
    fig = plot.plot_decision_boundary(model, X, y, title="What the network learned (all 200 points)")
    written.append(os.path.join(folder, "decision_boundary.png"))
    fig.savefig(written[-1], dpi=100, bbox_inches="tight")
    fig = plot.plot_history(history)
    fig.suptitle("training (solid) against validation (dashed, 20% of the points held out)", y=1.02)
    written.append(os.path.join(folder, "loss_curve.png"))
    fig.savefig(written[-1], dpi=100, bbox_inches="tight")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chainrule-demo", description="chainrule's tour: perceptron, "
                                     "backprop step by step, a trained network, pictures in out/.")
    parser.add_argument("--out", default="out", help="folder for the pictures (default: out)")
    parser.add_argument("--epochs", type=int, default=150, help="training epochs (default: 150)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    y = perceptron()
    tiny_network()
    model, X, labels, history = train_red_green(args.epochs, verbose=0 if args.quiet else 1)
    print(f"\n4. Pictures written to {args.out}/:")
    for path in write_pictures(y, model, X, labels, history, args.out):
        print(f"   {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
