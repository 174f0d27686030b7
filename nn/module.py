"""``Module``: the base of every layer and model, with parameters found by name.

A module's parameters are the leaf ``Value`` s and the ``Tensor`` s with ``requires_grad=True`` stored in its
attributes (directly, or inside lists, tuples and dicts); its sub-modules are found the same way. Nothing needs
registering by hand::

    class TwoLayers(Module):
        def __init__(self):
            self.dense1 = Dense(2, 16, activation="relu", rng=0)
            self.dense2 = Dense(16, 1, rng=1)

        def forward(self, x):
            return self.dense2(self.dense1(x))

    model = TwoLayers()
    [name for name, _ in model.named_parameters()]      # ['dense1.W', 'dense1.b', 'dense2.W', 'dense2.b']

Every parameter's ``label`` is its dotted name, so a drawing of the graph shows ``dense1.W``. Labels are written
when a parameter or a module (or a list, tuple or dict holding them) is assigned to an attribute, never by a walk
such as :meth:`Module.named_parameters`. A list changed in place (``self.layers.append(layer)``) is found by the
walk under its right name, but its new parameters keep their old labels until the list is assigned again
(``self.layers = self.layers``, or :meth:`nn.Sequential.append`).

``state_dict()`` maps those names to numpy arrays; ``save(path)`` writes them to an ``.npz`` file (atomically,
never pickled) and ``load(path)`` / :func:`load_state` read them back.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from autograd import Tensor, Value

__all__ = ["Module", "StateDictError", "load_state", "save_state", "is_parameter"]

#: the entry that marks an .npz file as a chainrule state file
FORMAT_KEY = "__chainrule_format__"
FORMAT = "chainrule-state-v1"


def is_parameter(x: Any) -> bool:
    """A trainable leaf: a ``Value`` made by hand (not by an operation, not a ``Constant``) or a leaf ``Tensor``
    requiring grad."""
    if isinstance(x, (Value, Tensor)):
        return x.requires_grad and x.is_leaf
    return False


def _items(value: Any) -> list[tuple[str, Any]]:
    """The (name, item) pairs inside an attribute: itself, or the entries of a list, tuple or dict, also nested
    ones (``blocks = [[a, b], [c]]`` gives ``0.0``, ``0.1``, ``1.0``), found without recursion."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    seen: set[int] = set()  # a list that contains itself is walked once
    while stack:
        key, item = stack.pop()
        if isinstance(item, (list, tuple, dict)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        if isinstance(item, (list, tuple)):
            stack.extend((_join(key, str(i)), v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            stack.extend((_join(key, str(k)), v) for k, v in reversed(list(item.items())))
        else:
            out.append((key, item))
    return out


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


class StateDictError(ValueError):
    """A state dict that does not fit the model: missing, unexpected or wrongly shaped entries."""


class LoadResult(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of layers and models: override :meth:`forward`; call the module to run it.

    ``training`` is True after construction and after :meth:`train`, False after :meth:`eval` (only layers such as
    ``Dropout`` behave differently).
    """

    training: bool = True  # a class default, so a subclass that forgets super().__init__() still works

    def __init__(self) -> None:
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        """Assigning a parameter or a module (or a list/tuple/dict of them) names its parameters' labels."""
        object.__setattr__(self, name, value)
        if name.startswith("_"):
            return
        for key, item in _items(value):
            prefix = _join(name, key)
            if is_parameter(item):
                item.label = prefix
            elif isinstance(item, Module):
                for sub, p in item.named_parameters():
                    p.label = _join(prefix, sub)

    def _children(self) -> list[tuple[str, Any]]:
        """(name, item) for every direct parameter and sub-module, in attribute order."""
        out = []
        for name, value in vars(self).items():
            if name.startswith("_") or name == "training":
                continue
            for key, item in _items(value):
                if is_parameter(item) or isinstance(item, Module):
                    out.append((_join(name, key), item))
        return out

    def _walk(self) -> Iterator[tuple[str, int, Module]]:
        """(dotted name, depth, module) for this module and all below it, depth first, without recursion."""
        stack: list[tuple[str, int, Module]] = [("", 0, self)]
        seen: set[int] = set()
        while stack:
            name, depth, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, depth, module
            subs = [(_join(name, n), depth + 1, m) for n, m in module._children() if isinstance(m, Module)]
            stack.extend(reversed(subs))

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module (name ``''``) and every sub-module, each once."""
        for name, _, module in self._walk():
            yield name, module

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, each once."""
        for _, module in self.named_modules():
            yield module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, item in self._children():
            if isinstance(item, Module):
                yield item

    def named_parameters(self) -> Iterator[tuple[str, Value | Tensor]]:
        """(dotted name, parameter) pairs, e.g. ``('layers.0.W', Tensor)``, in the order the attributes were set;
        a shared parameter (or module) appears once. A pure walk: nothing is changed (labels are set on
        assignment, see the module's docstring)."""
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [("", self)]  # depth first, in the order the attributes were set
        while stack:
            name, item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, Module):
                stack.extend((_join(name, n), x) for n, x in reversed(item._children()))
            else:
                yield name, item

    def lecture_names(self) -> dict[str, str]:
        """Each parameter's key in :meth:`named_parameters` (and ``state_dict``) -> the name drawings, steps and
        explanations print for it, as the lecture writes it: ``{'w0': 'w0', 'W.0': 'w1', ...}`` for a
        perceptron, ``'layers.0.neurons.1.w.0' -> 'w[1]_{1,2}'`` (input 1 to neuron 2 of layer 1; ``w[1]_{0,2}``
        its bias) for an MLP, ``'layers.2.W' -> 'W[3]'`` for a Sequential. Display only: the keys, the labels
        and what save/load read do not change."""
        from autograd.style import display_label

        return {name: display_label(name) for name, _ in self.named_parameters()}

    def parameters(self) -> list[Value | Tensor]:
        """Every trainable parameter (what an optimizer is given)."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of trainable numbers (a Value counts 1, a Tensor its size)."""
        return sum(1 if isinstance(p, Value) else p.size for p in self.parameters())

    # -- modes and gradients ------------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Put this module and every sub-module in training mode (``mode=False``: evaluation mode)."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout becomes the identity."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (a Value's to 0.0, a Tensor's to None)."""
        for p in self.parameters():
            p.zero_grad()

    # -- running ------------------------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- printing -----------------------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """What goes inside the parentheses of this module's line (override in layers)."""
        return ""

    def __repr__(self) -> str:
        rows = []  # [depth, first index, last index, body, is a leaf module]
        for name, depth, module in self._walk():
            key = name.rsplit(".", 1)[-1]
            n = module.num_parameters()
            count = f"  # {n} parameter{'s' if n != 1 else ''}" if n else ""
            body = f"{type(module).__name__}({module.extra_repr()}){count}"
            leaf = not any(True for _ in module.children())
            last = rows[-1] if rows else None
            if (last and leaf and last[4] and last[0] == depth and last[3] == body and key.isdigit()
                    and str(last[2]).isdigit() and int(key) == int(last[2]) + 1):
                last[2] = key  # identical consecutive siblings print as one line: (0-15): 16 x Neuron(...)
                continue
            rows.append([depth, key, key, body, leaf])
        lines = []
        for depth, first, last, body, _ in rows:
            if depth == 0:
                lines.append(body)
            elif first == last:
                lines.append("  " * depth + f"({first}): {body}")
            else:
                times = int(last) - int(first) + 1
                lines.append("  " * depth + f"({first}-{last}): {times} x {body}" + (" each" if "#" in body else ""))
        return "\n".join(lines)

    # -- state --------------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """name -> a copy of the parameter's data (a Value gives a 0-d float64 array)."""
        return {name: _as_array(p) for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> LoadResult:
        """Copy ``state``'s arrays into the parameters of the same names.

        Every problem is found before anything is changed: with ``strict=True`` missing and unexpected names are
        errors, and a wrong shape is always one. They are reported together in one :class:`StateDictError`, and a
        failed load leaves the model as it was.
        """
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params and k != FORMAT_KEY]
        problems = []
        if strict and missing:
            problems.append("missing: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected: " + ", ".join(unexpected))
        new: dict[str, np.ndarray] = {}
        for name, p in params.items():
            if name not in state:
                continue
            arr = np.asarray(state[name])
            want = () if isinstance(p, Value) else p.shape
            if arr.shape != want:
                problems.append(f"wrong shape: {name} is {want} in the model but {arr.shape} in the state")
            elif arr.dtype.kind not in "biuf":
                problems.append(f"wrong type: {name} has dtype {arr.dtype}, not a number")
            else:  # converted now, so that nothing can fail (a cast warning made an error) half-way through
                new[name] = float(arr) if isinstance(p, Value) else np.array(arr, dtype=p.data.dtype)
        if problems:
            raise StateDictError(
                f"load_state_dict: the state does not fit {type(self).__name__} (nothing was loaded); "
                + "; ".join(problems)
            )
        for name, data in new.items():
            params[name].data = data  # a copy, in the parameter's own dtype
        return LoadResult(missing, unexpected)

    def save(self, path: str | os.PathLike) -> None:
        """Write the state dict to ``path`` as ``.npz`` (no pickle), atomically: a reader never sees half a file."""
        save_state(self.state_dict(), path)

    def load(self, path: str | os.PathLike, strict: bool = True) -> LoadResult:
        """Load parameters saved by :meth:`save` (see :meth:`load_state_dict`)."""
        return self.load_state_dict(load_state(path), strict=strict)


def _as_array(p: Value | Tensor) -> np.ndarray:
    if isinstance(p, Value):
        return np.array(p.data, dtype=np.float64)
    return np.array(p.data, copy=True)


def save_state(state: dict[str, Any], path: str | os.PathLike) -> None:
    """Write ``name -> array`` to an ``.npz`` file: first to a temporary file beside it, then renamed over it."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    for name in state:
        if not isinstance(name, str):
            raise TypeError(f"save: entry names must be strings, got {name!r} ({type(name).__name__})")
        if name == FORMAT_KEY:
            raise ValueError(f"save: {FORMAT_KEY!r} is reserved for the file's format mark; rename that entry")
    arrays = {name: np.asarray(a) for name, a in state.items()}
    for name, a in arrays.items():
        if a.dtype.kind not in "biuf":
            raise TypeError(f"save: entry {name!r} has dtype {a.dtype}; only numeric arrays are saved")
    arrays[FORMAT_KEY] = np.array(FORMAT)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        # mkstemp creates the file readable by its owner only; give it the mode a plain open() would have
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_npz(f: Any, arrays: dict[str, np.ndarray]) -> None:
    """Write what ``np.savez(f, **arrays)`` writes (one ``name.npy`` member per entry, uncompressed), without
    passing the names as keyword arguments: an entry named ``file`` or ``allow_pickle`` would collide with
    savez's own parameters (a TypeError, or the entry silently dropped)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, a in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, a, allow_pickle=False)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def load_state(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a state dict written by ``Module.save`` (never unpickles anything)."""
    path = os.fspath(path)
    try:
        # read the members ourselves rather than through np.load's NpzFile, which looks up "x.npy" as the
        # member of entry "x" (so entries "x" and "x.npy" read the same array) and returns raw bytes for a
        # member that is not an array
        arrays: dict[str, Any] = {}
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    raise ValueError(f"its member {info.filename!r} is not a .npy array")
                key = info.filename[:-4]
                if key in arrays:
                    raise ValueError(f"entry {key!r} appears twice")
                with zf.open(info) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
        if FORMAT_KEY not in arrays:
            raise ValueError(f"no {FORMAT_KEY!r} entry (entries found: {', '.join(arrays) or 'none'})")
        mark = arrays.pop(FORMAT_KEY)
        if mark.shape != () or str(mark) != FORMAT:
            raise ValueError(f"its {FORMAT_KEY!r} entry is {mark!r}, not {FORMAT!r}")
        for k, arr in arrays.items():
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"its entry {k!r} is not a numeric array (dtype {arr.dtype})")
        return arrays
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(
            f"load_state: {path!r} is not a chainrule state file written by Module.save ({e}); it may be "
            "corrupt, truncated or from another program"
        ) from None
