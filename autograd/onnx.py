"""Write a recorded graph as an ONNX model: the ops of the registry, each with its ONNX form.

:func:`export_onnx` runs a function once on example inputs, walks the graph the engine would walk
(:func:`autograd.topological_order`) and writes one ONNX node (or a few) per recorded op; the parameters the
graph read become initializers. :data:`ONNX_FORMS` is the one place that says how a registry op is written in
ONNX, keyed by the op's registry name: an op without an entry has no ONNX form, and export stops at the first such
op with its name. A user's op gets one the same way: ``ONNX_FORMS["my_op"] = lambda g, node, inputs: ...``.

A form is ``form(g, node, inputs) -> output name``: ``g`` is the :class:`OnnxGraph` being written (``g.op`` adds a
node, ``g.const`` a constant), ``node`` the recorded node (its ``_ctx`` holds the op's constant arguments, such as
an axis), ``inputs`` the ONNX names of its parents. Opset 18 of the default ``ai.onnx`` domain.

What cannot be exported faithfully is refused: ``where`` (its condition is an array captured when the graph was
recorded, a comparison such as ``x > 0`` is not itself a recorded op, so the file would replay that one mask for
every input) and ``scatter_add`` (getitem's derivative, found only in recorded backward passes). onnx is imported
on first use (``pip install -e '.[interop]'``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Node, enable_grad, topological_order
from .tensor import Tensor
from .value import Value

__all__ = ["export_onnx", "ONNX_FORMS", "NO_ONNX_FORM", "OnnxGraph", "OnnxExportError", "OPSET"]

#: the ai.onnx opset the files declare (reductions take their axes as an input from opset 18 on)
OPSET = 18
#: the ONNX IR version of the files (9 is what opset 18 needs; onnxruntime 1.15 and later read it)
IR_VERSION = 9
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min


class OnnxExportError(ValueError):
    """The graph uses an op with no ONNX form, or the function cannot be traced."""


def _onnx(who: str) -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(f"{who}: needs the onnx package, which is not installed; pip install -e '.[interop]'") \
            from None
    return onnx


class OnnxGraph:
    """The ONNX graph being written: nodes, initializers, and fresh names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._taken: set[str] = set()
        self._count = 0

    def name(self, hint: str) -> str:
        """A name not used yet, built from ``hint``."""
        name = hint
        while name in self._taken:
            self._count += 1
            name = f"{hint}_{self._count}"
        self._taken.add(name)
        return name

    def const(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        """Add a constant (an initializer) and return its name."""
        arr = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def ints(self, values: Sequence[int], hint: str = "ints") -> str:
        """A constant 1-D int64 tensor (shapes, axes, slice bounds)."""
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def op(self, op_type: str, inputs: Sequence[str], **attrs: Any) -> str:
        """Add a node with one output; returns the output's name."""
        out = self.name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out], name=self.name(op_type), **attrs))
        return out


Form = Callable[[OnnxGraph, Node, list[str]], str]


def _same(op_type: str) -> Form:
    """An op that ONNX has under another name and the same inputs."""
    return lambda g, node, ins: g.op(op_type, ins)


def _dtype(node: Node) -> np.dtype:
    return np.asarray(node.data).dtype


def _shape(node: Node) -> tuple[int, ...]:
    return np.shape(node.data)


def _pow(g: OnnxGraph, node: Node, ins: list[str]) -> str:  # x ** n, n a constant
    return g.op("Pow", [ins[0], g.const(node._ctx, "exponent", _dtype(node))])


def _stable_softplus(g: OnnxGraph, x: str, dtype: np.dtype) -> str:
    """log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), which never overflows (onnxruntime's own Softplus gives inf
    for a float64 x of 1000)."""
    tail = g.op("Log", [g.op("Add", [g.const(1.0, "one", dtype), g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])])])])
    return g.op("Add", [g.op("Relu", [x]), tail])


def _softplus(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    """x once beta x > threshold, else log(1 + e^(beta x)) / beta (PyTorch's definition, as the registry's)."""
    beta, threshold = node._ctx
    dt = _dtype(node)
    bx = ins[0] if beta == 1 else g.op("Mul", [ins[0], g.const(beta, "beta", dt)])
    soft = _stable_softplus(g, bx, dt)
    if beta != 1:
        soft = g.op("Div", [soft, g.const(beta, "beta", dt)])
    return g.op("Where", [g.op("Greater", [bx, g.const(threshold, "threshold", dt)]), ins[0], soft])


def _bce_with_logits(g: OnnxGraph, node: Node, ins: list[str]) -> str:  # softplus(z) - y z
    return g.op("Sub", [_stable_softplus(g, ins[0], _dtype(node)), g.op("Mul", [ins[1], ins[0]])])


def _weighted_sum(g: OnnxGraph, node: Node, ins: list[str]) -> str:  # b + sum_i w_i x_i
    n, bias = node._ctx
    terms = [g.op("Mul", [ins[i], ins[n + i]]) for i in range(n)] + ([ins[2 * n]] if bias else [])
    if not terms:
        return g.const(0.0, "zero", _dtype(node))
    return terms[0] if len(terms) == 1 else g.op("Sum", terms)


def _linear(g: OnnxGraph, node: Node, ins: list[str]) -> str:  # x @ W + b: one Gemm for a batch of rows
    x, W, b = node._parents
    if len(_shape(x)) == 2 and len(_shape(W)) == 2 and len(_shape(b)) <= 1:
        return g.op("Gemm", ins)
    return g.op("Add", [g.op("MatMul", ins[:2]), ins[2]])


def _reduce(op_type: str) -> Form:
    def form(g: OnnxGraph, node: Node, ins: list[str]) -> str:
        axes, keepdims = node._ctx
        if axes == ():  # a 0-d tensor: nothing to reduce
            return g.op("Identity", ins)
        extra = [] if axes is None else [g.ints(axes, "axes")]
        return g.op(op_type, ins + extra, keepdims=int(keepdims))
    return form


def _clip(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    lo, hi = node._ctx
    dt = _dtype(node)
    bounds = ["" if v is None else g.const(v, name, dt) for v, name in ((lo, "lo"), (hi, "hi"))]
    return g.op("Clip", [ins[0], *bounds])


def _reshape(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    """A leading axis kept as it was is written 0 ("copy the input's"), so a dynamic batch size flows through."""
    shape, before = list(_shape(node)), _shape(node._parents[0])
    if shape and before and shape[0] == before[0]:
        shape[0] = 0
    return g.op("Reshape", [ins[0], g.ints(shape, "shape")])


def _expand(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    """Axes the input already has at full size are written 1 (Expand broadcasts both ways), so they may vary."""
    shape, before = list(_shape(node)), _shape(node._parents[0])
    lead = len(shape) - len(before)
    for i, n in enumerate(before):
        if n == shape[lead + i]:
            shape[lead + i] = 1
    return g.op("Expand", [ins[0], g.ints(shape, "shape")])


def _getitem(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    """Integers and slices (basic indexing): one Slice, then a Squeeze of the axes an integer removed."""
    index = node._ctx if isinstance(node._ctx, tuple) else (node._ctx,)
    starts, ends, axes, steps, squeeze = [], [], [], [], []
    for axis, i in enumerate(index):
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool):
            starts.append(int(i))
            ends.append(int(i) + 1 if i != -1 else _INT64_MAX)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        elif isinstance(i, slice):
            step = 1 if i.step is None else int(i.step)
            start = i.start if i.start is not None else (0 if step > 0 else _INT64_MAX)
            stop = i.stop if i.stop is not None else (_INT64_MAX if step > 0 else _INT64_MIN)
            if (start, stop, step) != (0, _INT64_MAX, 1):
                starts.append(int(start))
                ends.append(int(stop))
                axes.append(axis)
                steps.append(step)
        else:
            raise OnnxExportError(
                f"export_onnx: getitem with the index {node._ctx!r} has no ONNX form here: only integers and slices "
                f"(basic indexing) are written, not {type(i).__name__}"
            )
    out = ins[0]
    if axes:
        out = g.op("Slice", [out, g.ints(starts, "starts"), g.ints(ends, "ends"), g.ints(axes, "axes"),
                             g.ints(steps, "steps")])
    if squeeze:
        out = g.op("Squeeze", [out, g.ints(squeeze, "axes")])
    return out if out != ins[0] else g.op("Identity", ins)


def _cast(g: OnnxGraph, node: Node, ins: list[str]) -> str:
    return g.op("Cast", ins, to=g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(node._ctx)))


#: registry op name -> how it is written in ONNX (the only place that says so)
ONNX_FORMS: dict[str, Form] = {
    "add": _same("Add"), "sub": _same("Sub"), "mul": _same("Mul"), "div": _same("Div"), "neg": _same("Neg"),
    "pow": _pow, "power": _same("Pow"), "abs": _same("Abs"), "exp": _same("Exp"), "log": _same("Log"),
    "sqrt": _same("Sqrt"), "tanh": _same("Tanh"), "sigmoid": _same("Sigmoid"), "relu": _same("Relu"),
    "leaky_relu": lambda g, node, ins: g.op("LeakyRelu", ins, alpha=float(node._ctx)),
    "softplus": _softplus, "bce_with_logits": _bce_with_logits, "sin": _same("Sin"), "cos": _same("Cos"),
    "weighted_sum": _weighted_sum, "matmul": _same("MatMul"), "linear": _linear,
    "sum": _reduce("ReduceSum"), "mean": _reduce("ReduceMean"), "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"), "logsumexp": _reduce("ReduceLogSumExp"),
    "maximum": _same("Max"), "minimum": _same("Min"), "clip": _clip,
    "reshape": _reshape, "transpose": lambda g, node, ins: g.op("Transpose", ins, perm=list(node._ctx)),
    "broadcast_to": _expand, "getitem": _getitem,
    "concatenate": lambda g, node, ins: g.op("Concat", ins, axis=int(node._ctx[0])),
    "softmax": lambda g, node, ins: g.op("Softmax", ins, axis=int(node._ctx)),
    "log_softmax": lambda g, node, ins: g.op("LogSoftmax", ins, axis=int(node._ctx)),
    "astype": _cast,
}

#: ops that are refused on purpose, and why
NO_ONNX_FORM: dict[str, str] = {
    "where": "its condition is an array captured when the graph was recorded (a comparison such as x > 0 is "
             "not a recorded op), so the file would apply that one mask to every input; write the function with "
             "ops that compute the choice, such as relu, maximum or clip",
    "scatter_add": "it is getitem's derivative and appears only in recorded backward passes",
}


def _promoted(g: OnnxGraph, node: Node, ins: list[str]) -> list[str]:
    """The inputs of ``node``'s ONNX form, each float input of another dtype than the node's cast to it: numpy
    promotes float32 with float64 to float64 silently, ONNX requires one dtype per node and says so (``Gemm: B has
    inconsistent type``), so the file states the promotion the engine made."""
    if ONNX_FORMS.get(node._fn.name) is _cast:  # a cast sets its own dtype
        return ins
    dt = _dtype(node)
    if dt.kind != "f":
        return ins
    out = []
    for p, name in zip(node._parents, ins):
        pdt = _dtype(p)
        if pdt.kind == "f" and pdt != dt:
            name = g.op("Cast", [name], to=g.onnx.helper.np_dtype_to_tensor_dtype(dt))
        out.append(name)
    return out


def _as_input(x: Any, i: int) -> Node:
    """A fresh leaf for example argument ``i``: a Value for a number or a Value, a Tensor for anything else."""
    if isinstance(x, Value):
        return Value(x.data)
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Value(float(x))
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype.kind != "f":
        raise OnnxExportError(f"export_onnx: example argument {i} has dtype {arr.dtype}; inputs must be floats")
    return Tensor(arr, requires_grad=True)


def export_onnx(
    f: Callable[..., Any], example_args: Sequence[Any], path: str | os.PathLike | None, *,
    input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
    dynamic_batch: bool = False, check: bool = True,
) -> Any:
    """Trace ``f(*example_args)`` and write the recorded graph to ``path`` as an ONNX model; returns the
    ``onnx.ModelProto`` (``path=None`` writes nothing).

    ``example_args``: numbers or Values (scalar inputs, float64) and arrays or Tensors (tensor inputs, their own
    float dtype). ``f`` returns a Value, a Tensor, or a list/tuple of them (one ONNX output each). Parameters and
    other constants the graph reads are stored in the file. ``dynamic_batch=True`` names axis 0 of every tensor
    input ``batch`` (and every output axis that ONNX's shape inference finds follows it), so the file runs on any
    batch size.

    Only what the engine records is exported: numbers computed from the inputs' ``.data`` outside the ops are
    constants. Raises :class:`OnnxExportError` naming the first op (in the engine's order) with no ONNX form.
    """
    onnx = _onnx("export_onnx")
    helper = onnx.helper
    if not isinstance(example_args, (list, tuple)):
        raise TypeError(f"export_onnx: example_args must be a tuple of arguments, got {type(example_args).__name__}")
    inputs = [_as_input(x, i) for i, x in enumerate(example_args)]
    names_in = list(input_names) if input_names is not None else [f"input{i}" if len(inputs) > 1 else "input"
                                                                  for i in range(len(inputs))]
    if len(names_in) != len(inputs):
        raise ValueError(f"export_onnx: {len(inputs)} example arguments but {len(names_in)} input names")
    with enable_grad():
        result = f(*inputs)
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, o in enumerate(outs):
        if not isinstance(o, Node):
            raise OnnxExportError(f"export_onnx: output {i} of f is a {type(o).__name__}, not a Value or a Tensor")
    names_out = list(output_names) if output_names is not None else [f"output{i}" if len(outs) > 1 else "output"
                                                                     for i in range(len(outs))]
    if len(names_out) != len(outs):
        raise ValueError(f"export_onnx: f returned {len(outs)} outputs but {len(names_out)} output names were given")

    g = OnnxGraph(onnx)
    g._taken.update(names_out)  # reserved: no internal value may take an output's name
    named: dict[int, str] = {}

    def elem(node: Node) -> int:
        return helper.np_dtype_to_tensor_dtype(_dtype(node))

    graph_inputs = []
    for node, name in zip(inputs, names_in):
        named[id(node)] = g.name(name)
        shape = _shape(node)
        graph_inputs.append(helper.make_tensor_value_info(
            name, elem(node), ["batch", *shape[1:]] if dynamic_batch and shape else list(shape)))

    order: list[Node] = []
    placed: set[int] = set()
    for o in outs:  # the engine's own order for each output; nodes shared between outputs are written once
        for node in topological_order(o):
            if id(node) not in placed:
                placed.add(id(node))
                order.append(node)

    def name_of(node: Node) -> str:
        if id(node) not in named:  # a parameter or a constant: stored in the file
            named[id(node)] = g.const(node.data, node.label or "const", _dtype(node))
        return named[id(node)]

    for k, node in enumerate(order):
        if node._fn is None:
            name_of(node)
            continue
        op = node._fn.name
        form = ONNX_FORMS.get(op)
        if form is None:
            shapes = ", ".join(str(_shape(p)) for p in node._parents)
            why = NO_ONNX_FORM.get(op, f"no entry in autograd.onnx.ONNX_FORMS (add one: ONNX_FORMS[{op!r}] = "
                                       "lambda g, node, inputs: g.op(...))")
            raise OnnxExportError(
                f"export_onnx: op {op!r} (node {k + 1} of {len(order)}, inputs of shapes {shapes}) has no ONNX form: "
                f"{why}. Ops with one: {', '.join(sorted(ONNX_FORMS))}"
            )
        named[id(node)] = form(g, node, _promoted(g, node, [name_of(p) for p in node._parents]))

    graph_outputs, renamed = [], set()
    for o, name in zip(outs, names_out):
        inner = name_of(o)
        producer = next((n for n in g.nodes if inner in n.output), None)
        if producer is not None and id(o) not in renamed and not any(inner in n.input for n in g.nodes):
            producer.output[list(producer.output).index(inner)] = name  # the node writes the output itself
            named[id(o)] = name
            renamed.add(id(o))
        else:  # an input, a constant, an output listed twice, or a value other nodes read too
            g.nodes.append(helper.make_node("Identity", [inner], [name], name=g.name("Identity")))
        # with a dynamic batch the output shapes are left to ONNX's shape inference below (it knows which axes
        # follow the input's batch axis); otherwise they are the traced shapes
        dims: list[int | None] = [None] * len(_shape(o)) if dynamic_batch else list(_shape(o))
        graph_outputs.append(helper.make_tensor_value_info(name, elem(o), dims))

    graph = helper.make_graph(g.nodes, "chainrule", graph_inputs, graph_outputs, g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="chainrule",
                              ir_version=IR_VERSION)
    if dynamic_batch:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True).graph.output
        for declared, found in zip(model.graph.output, inferred):
            for d, f in zip(declared.type.tensor_type.shape.dim, found.type.tensor_type.shape.dim):
                d.CopyFrom(f)
    if check:
        onnx.checker.check_model(model, full_check=True)
    if path is not None:
        onnx.save(model, os.fspath(path))
    return model
