"""The runnable examples in docstrings run and print what they say."""

import doctest
import importlib

import pytest

MODULES = ["autograd.value", "autograd.tensor", "autograd.custom", "autograd.functional", "autograd.gradcheck",
           "autograd.trace", "autograd.explain", "autograd.stepping", "autograd.stepper", "nn.layers", "nn.functional",
           "nn.module", "nn.data"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
