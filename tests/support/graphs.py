"""Random graphs of Values for property tests of the engine, the stepper and explain."""

from __future__ import annotations

from hypothesis import strategies as st

from autograd import Value, weighted_sum

BUILDERS = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,  # a * a when a is b: one node, two parent slots
    "sub": lambda a, b: a - b,
    "div": lambda a, b: a / (b * b + 1.0),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "sin": lambda a, b: a.sin(),
    "pow": lambda a, b: a**3,
    "ws": lambda a, b: weighted_sum([a, b], [b, 0.5], a),
}


@st.composite
def value_graphs(draw, max_leaves: int = 4, max_ops: int = 20) -> tuple[list[Value], Value]:
    """A random DAG of Values: each new node combines earlier ones, so reuse, diamonds and repeated parent slots
    all occur. Returns the leaves and the root (the last node made)."""
    n_leaves = draw(st.integers(1, max_leaves))
    nodes = [Value(draw(st.floats(-1.5, 1.5)), label=f"x{i}") for i in range(n_leaves)]
    for _ in range(draw(st.integers(1, max_ops))):
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]
        nodes.append(BUILDERS[draw(st.sampled_from(sorted(BUILDERS)))](a, b))
    return nodes[:n_leaves], nodes[-1]
