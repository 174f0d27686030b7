"""Headless Debian chromium driven by selenium, for the tests that open pages we make (the Stepper's player, the
documentation site): the browser fixture's body, and what a page fetched and logged.

`make setup` (scripts/ensure-chromium.sh) installs chromium and chromium-driver on Debian. On a Debian system
(apt-get present) a missing browser fails the test with what to run; elsewhere the test is skipped and says why.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
         "--window-size=1000,1000")


def chromium(profile: Path) -> Iterator[Any]:
    """Yield a webdriver for a fresh chromium profile in ``profile`` (use it as a fixture's body); quit after."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        if shutil.which("apt-get"):  # Debian: the set-up installs them, so their absence is a failure
            pytest.fail("chromium and chromedriver are missing: run `make setup` (scripts/ensure-chromium.sh, "
                        "which apt-get installs chromium and chromium-driver as root)")
        pytest.skip("no chromium/chromedriver and no apt-get to install them (not Debian): the browser tests "
                    "run on Debian only")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra: "
                                    "pip install -e '.[test]'")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    yield driver
    driver.quit()


def console_problems(driver: Any) -> list[dict]:
    """The console's errors and warnings since the last call."""
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def requested_urls(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (DevTools' Network.requestWillBeSent)."""
    messages = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    return [m["params"]["request"]["url"] for m in messages if m["method"] == "Network.requestWillBeSent"]


def resource_urls(driver: Any) -> list[str]:
    """The page's own record of what it loaded (scripts, style sheets, fonts, images, fetches)."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
