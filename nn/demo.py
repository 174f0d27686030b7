"""The main job behind ``make demo`` and the ``chainrule-demo`` command.

Part 1 builds the lecture's perceptron y = g(1 + 3 x1 - 2 x2) at x = (-1, 2) from Values, prints the forward
pass and backpropagates, printing every gradient.
"""

from __future__ import annotations

import argparse
import sys

from autograd import Value


def perceptron(out=sys.stdout) -> Value:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chainrule-demo", description=__doc__)
    parser.parse_args(argv)
    perceptron()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
