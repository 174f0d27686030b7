"""Test markers shared across the suite."""

import shutil

import pytest

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAVE_DOT,
    reason="Graphviz's 'dot' program is not installed (apt-get install graphviz); DOT text is still tested",
)
