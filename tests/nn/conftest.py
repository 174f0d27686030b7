"""Makes the nn tests' local helper (nn_fd.py, central finite differences) importable under --import-mode=importlib."""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.append(_here)
