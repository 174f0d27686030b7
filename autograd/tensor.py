"""``Tensor``: a numpy array that records the operations applied to it, on the same engine as ``Value``.

>>> import numpy as np
>>> from autograd import Tensor
>>> W = Tensor([[3.0], [-2.0]], requires_grad=True)      # the lecture's weights, shape (in, out)
>>> x = Tensor([[-1.0, 2.0]])                            # one input row
>>> y = (x @ W + 1.0).sigmoid()
>>> y.sum().backward()
>>> np.round(W.grad.ravel(), 6).tolist()                # dy/dW = x^T g'(-6)
[-0.002467, 0.004933]

Shapes follow numpy's broadcasting; the engine sums each gradient back to its input's shape in one place.
Requires-grad follows PyTorch: data tensors default to ``requires_grad=False`` and results require grad when an
input does. Gradients have their input's dtype (float32 stays float32).
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .engine import Node, _mode
from .numeric import ArrayMath, NodeMath

_object_new = object.__new__
_ndarray = np.ndarray


class ShapeError(ValueError):
    """Shapes that do not fit an operation (the message names the op and both shapes)."""


def _new(data: np.ndarray, requires_grad: bool, parents: tuple, fn: Any, ctx: Any = None) -> Tensor:
    t = _object_new(Tensor)
    t.data = data
    t.grad = None
    t.label = None
    t.requires_grad = requires_grad
    t._parents = parents
    t._fn = fn
    t._ctx = ctx
    if fn is not None and _mode.anomaly is not None:
        _mode.anomaly.forward(t)
    return t


class _NodeInList(TypeError):
    """A list given to Tensor holds a Tensor that requires grad (its graph would be cut)."""


class _Nesting(threading.local):
    active = False  # True while a list or tuple is turned into an array (Tensor.__array__ then refuses a graph node)


_nesting = _Nesting()


def _as_array(data: Any, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    nested = isinstance(data, (list, tuple)) and not _nesting.active
    if nested:
        _nesting.active = True
    try:
        arr = np.array(data, dtype=dtype, copy=copy)
    except _NodeInList:
        raise
    except (TypeError, ValueError) as e:
        raise TypeError(f"Tensor: data must be numeric, got {type(data).__name__} ({e})") from None
    finally:
        if nested:
            _nesting.active = False
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: data must be numeric (bool, int or float), got dtype {arr.dtype} from {data!r}")
    return arr


def _lift(x: Any, like: np.ndarray, op: str) -> Tensor:
    """Make a constant Tensor of a number or array; a Python number takes ``like``'s float dtype."""
    cls = x.__class__
    if cls is Tensor:
        return x
    if cls is float or cls is int:  # the common case first: it is on every `x * 2.0`
        return _new(np.asarray(x, dtype=like.dtype if like.dtype.kind == "f" else None), False, (), None)
    if isinstance(x, (np.floating, np.integer)) and like.dtype.kind == "f":
        return _new(np.asarray(x, dtype=like.dtype), False, (), None)  # numpy scalars are weak too, as in PyTorch
    if isinstance(x, Tensor):
        return x
    if isinstance(x, Node):
        raise TypeError(
            f"{op}: cannot combine a Tensor of shape {like.shape} with a Value; use Tensor(value.data) "
            "for a constant, or keep the computation in Values"
        )
    if isinstance(x, numbers.Number) and not isinstance(x, np.generic):
        arr = np.asarray(x, dtype=like.dtype if like.dtype.kind == "f" else None)
    else:
        try:
            arr = _as_array(x)
        except TypeError:
            raise TypeError(f"{op}: cannot combine a Tensor with {type(x).__name__} {x!r}") from None
    return _new(arr, False, (), None)


def _category(dtype: np.dtype) -> int:
    return 0 if dtype.kind == "b" else 1 if dtype.kind in "iu" else 2


def _promote(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The result dtype of a binary op on ``a`` and ``b``, by PyTorch's rule rather than numpy's: a 0-d operand
    (like a Python number) does not promote a tensor with dimensions within its category (float32 * a 0-d
    float64 is float32), and across categories (bool < integer < float) the higher one's dtype wins as it is
    (float32 * int64 is float32; numpy would give float64)."""
    da, db = a.dtype, b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        dim, zero = (da, db) if b.ndim == 0 else (db, da)
        return dim if _category(zero) <= _category(dim) else zero
    ca, cb = _category(da), _category(db)
    if ca != cb:
        return da if ca > cb else db
    return np.promote_types(da, db)


def _axes(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """Normalise an axis argument (None, int or tuple) to a sorted tuple of non-negative axes."""
    if axis is None:
        return None
    seq = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in seq:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(f"{op}: axis {a!r} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    if ndim == 0:
        return ()  # as PyTorch: axis 0 or -1 of a 0-d tensor reduces nothing
    return tuple(sorted(out))


def _one_axis(axis: Any, ndim: int, op: str) -> int:
    """A single axis (softmax and friends normalise along one axis only)."""
    if isinstance(axis, (tuple, list)) or ndim == 0:
        raise ValueError(f"{op}: needs one axis of a tensor with at least one dimension, got axis={axis!r} "
                         f"for {ndim} dimensions")
    return _axes(axis, ndim, op)[0]


class TensorMath(NodeMath):
    """:class:`~autograd.numeric.NodeMath` for Tensors: a recorded ``where`` with an array condition, and the
    scatter of ``getitem``'s derivative, are Tensor ops."""

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        if isinstance(cond, (bool, np.bool_)):
            return a if cond else b
        return where(cond, a, b)

    @staticmethod
    def scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
        return Tensor._apply(ops.SCATTER_ADD, (g,), (index, shape))

    @staticmethod
    def select(mask: Any, g: Any) -> Any:
        """g where the constant mask holds, else an exact zero of g's shape: a recorded ``where`` (a scalar mask
        too, so the result keeps g's shape)."""
        return where(mask, g, 0)


class Tensor(Node):
    """An n-dimensional array that records how it was computed.

    ``Tensor(data, requires_grad=False, label=None, dtype=None)``: ``data`` is a number, a nested list or a
    numpy array. Float data keep their dtype; integer and bool data become float64 when they require grad.

    The data are *copied* (as ``torch.tensor``): an optimizer step or a change to the tensor never reaches the
    caller's array, and changing the caller's array never changes a recorded graph. To share an array without
    a copy, use :meth:`Tensor.from_numpy` (as ``torch.from_numpy``); then the two are one array.
    """

    __slots__ = ("requires_grad",)
    __array_ufunc__ = None  # numpy arrays on the left defer to our reflected operators
    __array_priority__ = 1000

    _math = ArrayMath
    _node_math = TensorMath
    _broadcasts = True

    def __init__(
        self, data: Any, requires_grad: bool = False, label: str | None = None, dtype: Any = None
    ) -> None:
        arr = _as_array(data, dtype, copy=True)
        if requires_grad and arr.dtype.kind != "f":
            arr = arr.astype(np.float64)
        self.data = arr
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._fn = None
        self._ctx = None

    @classmethod
    def from_numpy(cls, array: np.ndarray, requires_grad: bool = False, label: str | None = None) -> Tensor:
        """A Tensor that *shares* ``array`` (no copy, as ``torch.from_numpy``): changes to either are changes to
        both, including an optimizer's in-place step. ``Tensor(array)`` copies instead.

        >>> a = np.zeros(2)
        >>> t = Tensor.from_numpy(a)
        >>> a[0] = 5.0
        >>> t.data.tolist()
        [5.0, 0.0]
        """
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}; "
                            "use Tensor(data) to make a tensor of other data (a copy)")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"from_numpy: the array must be numeric (bool, int or float), got dtype {array.dtype}")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(f"from_numpy: an array of dtype {array.dtype} cannot require grad (a gradient needs "
                            "floats) and converting it would be a copy; pass array.astype(np.float64), or use "
                            "Tensor(array, requires_grad=True)")
        t = _new(array, bool(requires_grad), (), None)
        t.label = label
        return t

    # -- engine hooks ---------------------------------------------------------------------------------------
    def _seed(self, grad: Any, create_graph: bool) -> Any:
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self.data.shape}, not a single number; call "
                    ".sum() or .mean() first, or pass grad= an array of shape "
                    f"{self.data.shape} (d loss / d output)"
                )
            g = np.ones(self.data.shape, dtype=self.data.dtype)  # (np.ones_like is slow on 0-d arrays)
        else:
            g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)  # our own copy
            if g.shape != self.data.shape:
                raise ShapeError(
                    f"backward: grad has shape {g.shape} but the output has shape {self.data.shape}"
                )
            if create_graph and isinstance(grad, Tensor) and grad.requires_grad:
                # the seed stays in the recorded graph (as PyTorch), so the double-backward trick for a
                # Jacobian-vector product, d/du <d(out)/dx . u, v> = J v, reaches u.grad
                return grad if grad.dtype == self.data.dtype else grad.astype(self.data.dtype)
        return Tensor(g) if create_graph else g

    @staticmethod
    def _store_grad(node: Tensor, g: Any) -> None:
        if node.grad is not None:
            g = node.grad + g
        if g.__class__ is not _ndarray:
            if not isinstance(g, Tensor):  # (a Tensor under create_graph)
                g = np.asarray(g)  # numpy's 0-d results are scalars; a gradient is always an array
        elif node.grad is None and node._fn is None and (g.base is not None or not g.flags.writeable):
            g = g.copy()  # a leaf's grad is its own writable array, never a view of another node's
        node.grad = g

    @staticmethod
    def _quiet() -> Any:
        # d log(x)/dx at x = 0 is inf; where the upstream gradient is 0 the engine makes the product 0
        # (see ops.ArrayMath.mulz), so numpy's divide-by-zero warnings there would only mislead
        return np.errstate(divide="ignore", invalid="ignore")

    def zero_grad(self) -> None:
        """Forget the gradient (``grad = None``)."""
        self.grad = None

    # -- applying ops ---------------------------------------------------------------------------------------
    @staticmethod
    def _apply(op: ops.Op, inputs: tuple[Tensor, ...], ctx: Any = None) -> Tensor:
        try:
            data = op.forward(ArrayMath, ctx, *[t.data for t in inputs])
        except (ValueError, IndexError, TypeError) as e:
            shapes = " and ".join(str(t.data.shape) for t in inputs)
            raise ShapeError(f"{op.name}: cannot apply to shapes {shapes}: {e}") from None
        if not isinstance(data, _ndarray):
            data = np.asarray(data)
        if _mode.enabled:
            for t in inputs:
                if t.requires_grad:
                    return _new(data, True, inputs, op, ctx)
        return _new(data, False, (), None, ctx)

    def _binary(self, other: Any, op: ops.Op, reflected: bool = False) -> Tensor:
        if other.__class__ is not Tensor:
            other = _lift(other, self.data, op.name)
        a, b = (other, self) if reflected else (self, other)
        ad, bd = a.data, b.data
        if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:  # PyTorch's promotion, not numpy's
            dtype = _promote(ad, bd)
            ad, bd = ad.astype(dtype, copy=False), bd.astype(dtype, copy=False)
        try:
            data = op.forward(ArrayMath, None, ad, bd)
        except ValueError:
            sa, sb = a.data.shape, b.data.shape
            if op is ops.MATMUL:
                if sa and sb and len(sb) > 1 and sa[-1] == sb[-2]:
                    raise ShapeError(f"matmul: the batch dimensions of shapes {sa} and {sb} do not broadcast "
                                     f"({sa[:-2]} and {sb[:-2]})") from None
                raise ShapeError(f"matmul: shapes {sa} and {sb} are not aligned ({_inner(sa, sb)})") from None
            raise ShapeError(f"{op.name}: cannot broadcast shapes {sa} and {sb}") from None
        if data.__class__ is not _ndarray:
            data = np.asarray(data)
        if _mode.enabled and (a.requires_grad or b.requires_grad):
            return _new(data, True, (a, b), op)
        return _new(data, False, (), None)

    def _unary(self, op: ops.Op, ctx: Any = None) -> Tensor:
        data = op.forward(ArrayMath, ctx, self.data)
        if data.__class__ is not _ndarray:  # numpy gives scalars for full reductions; keep .data an array
            data = np.asarray(data)
        if _mode.enabled and self.requires_grad:
            return _new(data, True, (self,), op, ctx)
        return _new(data, False, (), None)

    # -- attributes -----------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        """The transpose (all axes reversed, as numpy)."""
        return self.transpose()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def item(self) -> float:
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: the tensor has {self.data.size} elements (shape {self.data.shape}), not 1")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data (not a copy): the same ndarray as ``.data``."""
        return self.data

    def detach(self) -> Tensor:
        """The same data (shared, not copied, as PyTorch), cut from the graph (requires no grad)."""
        return Tensor.from_numpy(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; use (t > 0).data.any() "
                "or .all(), or compare a single element"
            )
        return bool(self.data)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError(
            "Tensor does not support item assignment: a recorded graph would silently go stale. Build a new "
            "tensor (autograd.where(mask, new, t), concatenate), or change t.data outside any graph (no_grad)"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if _nesting.active and self.requires_grad:  # Tensor([t1, t2]) would read t1's numbers and drop its graph
            raise _NodeInList(
                f"Tensor: got a list holding a Tensor of shape {self.data.shape} that requires grad; reading its "
                "numbers would cut it from the graph, so it would never get a gradient. Use autograd.stack(...) or "
                "autograd.concatenate(...) to keep it in the graph, or .detach() to mean a constant"
            )
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        if self.data.size == 0:
            return f"Tensor(shape={self.data.shape}, dtype={self.data.dtype})"
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20, edgeitems=3,
                               prefix="Tensor(")
        extra = []
        if self.data.dtype != np.float64:
            extra.append(f"dtype={self.data.dtype}")
        if self.requires_grad:
            extra.append("requires_grad=True")
        if self.label:
            extra.append(f"label={self.label!r}")
        if self._fn is not None:
            extra.append(f"op={self._fn.name}")
        return "Tensor(" + body + "".join(", " + e for e in extra) + ")"

    # -- arithmetic -----------------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor:
        return self._binary(other, ops.ADD)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(other, ops.ADD, True)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(other, ops.SUB)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(other, ops.SUB, True)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(other, ops.MUL)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(other, ops.MUL, True)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(other, ops.DIV)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._binary(other, ops.DIV, True)

    def __matmul__(self, other: Any) -> Tensor:
        return self._binary(other, ops.MATMUL)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._binary(other, ops.MATMUL, True)

    def __neg__(self) -> Tensor:
        return self._unary(ops.NEG)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self._unary(ops.ABS)

    def __pow__(self, other: Any) -> Tensor:
        """``t ** n``: a constant exponent uses n t^(n-1); a Tensor exponent also gets a^b ln a."""
        if isinstance(other, numbers.Real) and not isinstance(other, np.ndarray):
            return self._unary(ops.POW, float(other))
        return self._binary(other, ops.POWER)

    def __rpow__(self, other: Any) -> Tensor:
        return self._binary(other, ops.POWER, True)

    # comparisons give bool tensors that require no grad; equality stays elementwise, hashing by identity
    def _compare(self, other: Any, fn: Any) -> Tensor:
        return Tensor(fn(self.data, other.data if isinstance(other, Tensor) else other))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, np.logical_or)

    def __invert__(self) -> Tensor:
        return Tensor(np.logical_not(self.data))

    __hash__ = Node.__hash__

    # -- element-wise functions -----------------------------------------------------------------------------
    def exp(self) -> Tensor:
        """e^x element-wise; d/dx = e^x."""
        return self._unary(ops.EXP)

    def log(self) -> Tensor:
        """Natural log element-wise; d/dx = 1/x."""
        return self._unary(ops.LOG)

    def sqrt(self) -> Tensor:
        """Square root element-wise; d/dx = 1/(2 sqrt x)."""
        return self._unary(ops.SQRT)

    def abs(self) -> Tensor:
        """|x|; d/dx = sign(x) (0 at 0)."""
        return self._unary(ops.ABS)

    def tanh(self) -> Tensor:
        """tanh element-wise; d/dx = 1 - tanh^2."""
        return self._unary(ops.TANH)

    def sigmoid(self) -> Tensor:
        """1/(1 + e^-x), overflow-free; d/dx = s(1 - s)."""
        return self._unary(ops.SIGMOID)

    def relu(self) -> Tensor:
        """max(0, x); d/dx = 1 if x > 0 else 0."""
        return self._unary(ops.RELU)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        """x if x > 0 else slope x; d/dx = 1 or slope."""
        return self._unary(ops.LEAKY_RELU, float(slope))

    def softplus(self, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        """log(1 + e^(beta x)) / beta (x past the threshold); d/dx = sigmoid(beta x). ``beta`` must be nonzero."""
        return self._unary(ops.SOFTPLUS, ops.softplus_ctx(beta, threshold))

    def bce_with_logits(self, target: Any) -> Tensor:
        """Element-wise binary cross-entropy of logits z against targets y, as one node:
        softplus(z) - y z, never overflowing; d/dz = sigmoid(z) - y, d/dy = -z. At an infinite logit it is the
        true limit (inf, or 0 where the target agrees exactly), where PyTorch gives NaN."""
        return self._binary(target, ops.BCE_WITH_LOGITS)

    def sin(self) -> Tensor:
        return self._unary(ops.SIN)

    def cos(self) -> Tensor:
        return self._unary(ops.COS)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Clamp to [min, max]; d/dx = 1 inside, including the bounds (PyTorch's clamp), 0 outside.

        The bounds are numbers (for tensor bounds use ``maximum(minimum(x, hi), lo)``). Unlike PyTorch, a NaN
        element passes its gradient on (PyTorch gives it 0): a NaN should not vanish from the backward pass.
        """
        if min is None and max is None:
            raise ValueError("clip: give min, max or both")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, numbers.Real)):
                raise TypeError(
                    f"clip: {name} must be a number, got {type(bound).__name__}; for bounds that are tensors use "
                    "maximum(minimum(x, hi), lo) (its gradient reaches the bounds too; ties share it 1/2 each)")
        return self._unary(ops.CLIP, (min, max))

    clamp = clip

    def astype(self, dtype: Any) -> Tensor:
        """The tensor cast to ``dtype``; the gradient is cast back. A cast to an integer or bool dtype gives a
        constant (as PyTorch's ``.long()``): no gradient flows through rounding."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            return Tensor(self.data.astype(dtype))
        return self._unary(ops.ASTYPE, dtype)

    # -- reductions -----------------------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (None: all, int or tuple); d/dx = 1."""
        return self._unary(ops.SUM, (_axes(axis, self.ndim, "sum"), keepdims))

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis``; d/dx = 1/n."""
        return self._unary(ops.MEAN, (_axes(axis, self.ndim, "mean"), keepdims))

    def _extreme(self, op: ops.Op, axis: Any, keepdims: bool) -> Tensor:
        axes = _axes(axis, self.ndim, op.name)
        # an empty reduced axis has no extreme; an empty tensor reduced along non-empty axes gives an empty result
        if (self.data.size == 0 and axes is None) or (axes and any(self.data.shape[a] == 0 for a in axes)):
            raise ValueError(f"{op.name}: cannot reduce an empty axis (shape {self.shape}, axis {axis})")
        return self._unary(op, (axes, keepdims))

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; ties share the gradient evenly."""
        return self._extreme(ops.MAX, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Smallest element over ``axis``; ties share the gradient evenly."""
        return self._extreme(ops.MIN, axis, keepdims)

    def var(self, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
        """Variance over ``axis`` with numpy's ``ddof`` (0: divide by n; PyTorch's default is ddof=1)."""
        axes = _axes(axis, self.ndim, "var")
        n = self.data.size if axes is None else int(np.prod([self.data.shape[a] for a in axes]))
        centred = self - self.mean(axis=axes, keepdims=True)
        return (centred * centred).sum(axis=axes, keepdims=keepdims) / max(n - ddof, 0)

    def logsumexp(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``axis``, stable for large inputs; d/dx = softmax(x)."""
        return self._unary(ops.LOGSUMEXP, (_axes(axis, self.ndim, "logsumexp"), keepdims))

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along ``axis``, stable for large inputs."""
        return self._unary(ops.SOFTMAX, _one_axis(axis, self.ndim, "softmax"))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - logsumexp(x) along ``axis`` (never log(softmax(x)))."""
        return self._unary(ops.LOG_SOFTMAX, _one_axis(axis, self.ndim, "log_softmax"))

    # -- shape ----------------------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one dimension may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            target = np.empty(self.shape, dtype=np.bool_).reshape(shape).shape
        except ValueError:
            raise ShapeError(f"reshape: cannot reshape shape {self.shape} (size {self.size}) into {shape}") from None
        return self._unary(ops.RESHAPE, target)

    view = reshape

    def flatten(self) -> Tensor:
        return self.reshape(-1)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim))[::-1]
        n = self.ndim
        if len(axes) != n or any(not isinstance(a, (int, np.integer)) or not -n <= a < n for a in axes) or \
                sorted(a % n for a in axes) != list(range(n)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes of shape {self.shape}")
        return self._unary(ops.TRANSPOSE, tuple(a % n for a in axes))

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes."""
        n = self.ndim
        for ax in (a, b):
            if not -n <= ax < n:
                raise np.exceptions.AxisError(f"swapaxes: axis {ax} is out of range for shape {self.shape}")
        perm = list(range(n))
        perm[a], perm[b] = perm[b], perm[a]
        return self.transpose(tuple(perm))

    def broadcast_to(self, *shape: Any) -> Tensor:
        """A read-only broadcast view; the gradient is summed back over the broadcast axes."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        try:
            np.broadcast_shapes(self.shape, shape)
            if np.broadcast_shapes(self.shape, shape) != tuple(shape):
                raise ValueError
        except ValueError:
            raise ShapeError(f"broadcast_to: cannot broadcast shape {self.shape} to {tuple(shape)}") from None
        return self._unary(ops.EXPAND, tuple(shape))

    def expand(self, *shape: Any) -> Tensor:
        """PyTorch's name for :meth:`broadcast_to` (-1 keeps a dimension)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        lead = len(shape) - self.ndim
        if any(n == -1 for n in shape[:lead]):
            raise ShapeError(f"expand: -1 is not allowed in a new leading dimension (shape {self.shape} to {shape})")
        full = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
        return self.broadcast_to(full)

    def squeeze(self, axis: Any = None) -> Tensor:
        """Drop size-1 axes (all of them, or the given ones)."""
        axes = _axes(axis, self.ndim, "squeeze")
        if axes is None:
            axes = tuple(i for i, n in enumerate(self.shape) if n == 1)
        bad = [a for a in axes if self.shape[a] != 1]
        if bad:
            raise ValueError(f"squeeze: axis {bad[0]} of shape {self.shape} has size {self.shape[bad[0]]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at ``axis``."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise np.exceptions.AxisError(f"unsqueeze: axis {axis} is out of range for shape {self.shape}")
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def __getitem__(self, index: Any) -> Tensor:
        """numpy indexing: ints, slices, None, Ellipsis, integer arrays, boolean masks.

        Repeated integer indices accumulate their gradients.
        """
        # index arrays are copied: backward reads them later, after the caller may have changed theirs
        if isinstance(index, (Tensor, np.ndarray, list)):
            index = np.array(index.data if isinstance(index, Tensor) else index)
        elif isinstance(index, tuple):
            index = tuple(np.array(i.data if isinstance(i, Tensor) else i) if isinstance(i, (Tensor, np.ndarray, list))
                          else i for i in index)
        try:
            data = self.data[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (tensor shape {self.shape}, index {index!r})") from None
        if _mode.enabled and self.requires_grad:
            return _new(np.asarray(data), True, (self,), ops.GETITEM, index)
        return _new(np.asarray(data), False, (), None)


def _inner(sa: tuple, sb: tuple) -> str:
    ka = sa[-1] if sa else None
    kb = (sb[-2] if len(sb) > 1 else sb[0]) if sb else None
    return f"{ka} != {kb}" if ka is not None and kb is not None else "0-d operand"


# ----------------------------------------------------------------------------------------------------------------
# Functions over several tensors
# ----------------------------------------------------------------------------------------------------------------


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Shorthand for ``Tensor(data, ...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` else ``b``. The branch not selected gets exactly zero gradient (no NaN leaks)."""
    # a copy (backward reads it later); subok keeps a mask traced by autograd.trace linked to its comparison
    c = np.array(cond.data if isinstance(cond, Tensor) else cond, dtype=bool, subok=True)
    like = a.data if isinstance(a, Tensor) else b.data if isinstance(b, Tensor) else np.asarray(a)
    ta, tb = _lift(a, like, "where"), _lift(b, like, "where")
    if ta.dtype != tb.dtype:  # PyTorch's promotion (a 0-d float64 does not make a float32 result float64)
        dtype = _promote(ta.data, tb.data)
        ta, tb = (t if t.dtype == dtype else t.astype(dtype) for t in (ta, tb))
    try:
        np.broadcast_shapes(c.shape, ta.shape, tb.shape)
    except ValueError:
        raise ShapeError(f"where: cannot broadcast cond {c.shape} with shapes {ta.shape} and {tb.shape}") from None
    return Tensor._apply(ops.WHERE, (ta, tb), c)


def linear(x: Any, W: Any, b: Any = None) -> Tensor:
    """x @ W + b as one node (what a dense layer computes; PyTorch's ``F.linear`` with W of shape (in, out)).

    d/dx = g @ W^T, d/dW = x^T @ g, d/db = g summed over the batch. Without ``b`` it is ``x @ W``. The arguments
    come in the order the formula writes them, as for :func:`autograd.weighted_sum` (``b + sum_i w_i x_i``).
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if b is None:
        return x @ W
    W = _lift(W, x.data, "linear")
    b = _lift(b, x.data, "linear")
    # checked before anything is recorded: a bias that enlarged the output would break the backward pass
    xs, ws = x.data.shape, W.data.shape
    if len(xs) == 2 and len(ws) == 2 and xs[1] == ws[0] and b.data.shape == ws[1:]:
        return Tensor._apply(ops.LINEAR, (x, W, b))  # a dense layer's shapes (the common case): nothing to broadcast
    if not xs or not ws:
        raise ShapeError(f"linear: x and W need at least one dimension, got shapes {xs} and {ws}")
    inner = ws[-2] if len(ws) > 1 else ws[0]
    if xs[-1] != inner:
        raise ShapeError(f"linear: x of shape {xs} and W of shape {ws} are not aligned ({xs[-1]} != {inner})")
    try:
        batch = np.broadcast_shapes(xs[:-2], ws[:-2])
    except ValueError:
        raise ShapeError(f"linear: the batch dimensions of x {xs} and W {ws} do not broadcast") from None
    out = batch + (xs[-2:-1] if len(xs) > 1 else ()) + (ws[-1:] if len(ws) > 1 else ())
    try:
        fits = np.broadcast_shapes(out, b.shape) == out
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"linear: a bias of shape {b.shape} does not broadcast to the shape {out} of x @ W "
                         f"(x {xs}, W {ws}); a dense layer's bias has shape ({ws[-1]},)")
    return Tensor._apply(ops.LINEAR, (x, W, b))


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise maximum; ties share the gradient (1/2 each)."""
    ta = a if isinstance(a, Tensor) else _lift(a, np.asarray(b.data if isinstance(b, Tensor) else b), "maximum")
    return ta._binary(b, ops.MAXIMUM)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise minimum; ties share the gradient (1/2 each)."""
    ta = a if isinstance(a, Tensor) else _lift(a, np.asarray(b.data if isinstance(b, Tensor) else b), "minimum")
    return ta._binary(b, ops.MINIMUM)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("concatenate: need at least one tensor")
    ndim = ts[0].ndim
    if ndim == 0:
        raise ShapeError("concatenate: 0-d tensors cannot be concatenated (use stack)")
    ax = _axes(axis, ndim, "concatenate")[0]
    for t in ts[1:]:
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != ts[0].shape[:ax] + ts[0].shape[ax + 1:]:
            shapes = ", ".join(str(t.shape) for t in ts)
            raise ShapeError(f"concatenate: shapes {shapes} differ outside axis {axis}")
    edges = tuple(np.cumsum([0] + [t.shape[ax] for t in ts]).tolist())
    return Tensor._apply(ops.CONCATENATE, tuple(ts), (ax, edges))


cat = concatenate
"""PyTorch's name for :func:`concatenate`."""


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: need at least one tensor")
    if any(t.shape != ts[0].shape for t in ts):
        raise ShapeError("stack: all tensors need the same shape, got " + ", ".join(str(t.shape) for t in ts))
    return concatenate([t.unsqueeze(axis) for t in ts], axis=axis)


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float64) -> Tensor:
    """Rows of the identity: ``one_hot([2, 0], 3)`` is ``[[0, 0, 1], [1, 0, 0]]`` (a constant tensor)."""
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if y.dtype.kind not in "iu":
        if y.size and not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"one_hot: labels must be integers, got dtype {y.dtype}")
        y = y.astype(np.int64)
    n = int(y.max()) + 1 if num_classes is None and y.size else int(num_classes or 0)
    if y.size and (y.min() < 0 or y.max() >= n):
        raise ValueError(f"one_hot: labels must lie in [0, {n}), got min {y.min()} and max {y.max()}")
    return Tensor(np.eye(n, dtype=dtype)[y])
