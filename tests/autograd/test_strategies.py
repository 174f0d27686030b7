"""The hypothesis strategies users import: they generate what they promise."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given

from autograd import Tensor, Value
from autograd.gradcheck import gradcheck
from autograd.strategies import (
    arrays,
    broadcastable_shapes,
    floats_away_from,
    shapes,
    tensors,
    transposed,
    values,
)


@given(floats_away_from((0.0, 1.0), -2.0, 2.0, margin=0.05))
def test_floats_away_from_kinks(x):
    assert -2.0 <= x <= 2.0 and abs(x) >= 0.05 and abs(x - 1.0) >= 0.05


@given(shapes(max_dims=4, max_side=3))
def test_shapes(s):
    assert 0 <= len(s) <= 4 and all(1 <= n <= 3 for n in s)


@given(broadcastable_shapes(max_dims=3, max_side=4))
def test_broadcastable_pairs_broadcast(pair):
    a, b = pair
    np.broadcast_shapes(a, b)  # raises if they do not
    assert len(a) <= 3 and len(b) <= 3


@given(arrays((2, 3), np.float32, -1.0, 1.0, kinks=(0.0,), margin=1e-2))
def test_arrays_of_a_dtype_and_shape(a):
    assert a.dtype == np.float32 and a.shape == (2, 3)
    assert np.all(np.abs(a) >= 1e-2) and np.all(np.abs(a) <= 1.0)


@given(tensors((3,), requires_grad=False), tensors((2, 2)))
def test_tensors(t, u):
    assert isinstance(t, Tensor) and not t.requires_grad and t.shape == (3,)
    assert u.requires_grad and u.dtype == np.float64


@given(transposed((2, 3)))
def test_transposed_views_are_not_contiguous(t):
    assert t.shape == (2, 3) and not t.data.flags["C_CONTIGUOUS"] and t.requires_grad


@given(values(kinks=(0.0,)))
def test_values_and_a_property_test_written_with_them(v):
    assert isinstance(v, Value)
    assert gradcheck(lambda x: abs(x) * x.relu().exp(), v)


def test_min_above_max_is_an_error():
    with pytest.raises(ValueError, match="min_value 2 must be below max_value 1"):
        floats_away_from((), 2, 1)


def test_import_without_hypothesis_says_which_extra_to_install():
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "hypothesis" or name.startswith("hypothesis."):
                    raise ImportError("No module named 'hypothesis'")
        sys.meta_path.insert(0, Block())
        try:
            import autograd.strategies
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__file__.rsplit("/tests/", 1)[0])
    assert "pip install 'chainrule[test]'" in out.stdout


@given(floats_away_from((0.0,), -0.0105, 0.0105, margin=0.01))
def test_a_narrow_allowed_region_is_drawn_from_directly_not_filtered_into(x):
    assert 0.01 <= abs(x) <= 0.0105  # a filter would reject ~95% of draws and fail hypothesis' health check


def test_kinks_that_cover_the_whole_range_are_a_clear_error():
    with pytest.raises(ValueError, match=r"floats_away_from: no float in \[-0.0001, 0.0001\] is 0.001 away from "
                                         r"the kinks \(0.0,\)"):
        floats_away_from((0.0,), -1e-4, 1e-4, margin=1e-3)
    with pytest.raises(ValueError, match="margin must be >= 0, got -1.0"):
        floats_away_from((0.0,), margin=-1.0)


@given(arrays((3,), np.float32, -0.1, 0.1, kinks=(0.05,), margin=0.01))
def test_bounds_a_float32_cannot_represent_are_rounded_inwards(a):
    assert a.dtype == np.float32 and np.all(np.abs(a) <= 0.1) and np.all(np.abs(a.astype(np.float64) - 0.05) >= 0.01)


def test_a_range_beyond_the_dtype_and_an_integer_dtype_are_clear_errors():
    with pytest.raises(ValueError, match=r"arrays: \[-1e\+06, 1e\+06\] is outside the range of float16 \(\+-65504\)"):
        arrays((2,), np.float16, -1e6, 1e6)
    with pytest.raises(TypeError, match="tensors: dtype int64 is not a float type"):
        tensors((2,), dtype=np.int64)
