"""Shared test settings: hypothesis profiles sized so that `make test` stays well under 15 minutes on 2 cores.

HYPOTHESIS_PROFILE=ci (set by .ci/run) and the default `dev` profile run the same number of examples; `thorough`
runs many more for a local deep check.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
    print_blob=True,
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
