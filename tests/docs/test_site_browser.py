"""The documentation site: `mkdocs build --strict` passes (a broken link, a missing API reference or a notebook
that fails to execute fails it), and the built site, opened from disk (file://) in headless chromium, shows its
pages with no console error and no request leaving the machine.

The build runs here, in the test suite, rather than as a separate CI step: `make test` alone is then the whole
proof, a developer sees the failure CI would see, and the browser always tests the site just built from this
tree (never a stale site/).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import chromium, console_problems, requested_urls, resource_urls

ROOT = Path(__file__).resolve().parents[2]
REMOTE = ("http:", "https:", "ws:", "wss:", "ftp:", "//")  # (file:, data: and chromium's own chrome: stay here)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("the docs extra is missing in CI: `make test` installs it (pip install -e '.[test,docs]')")
        pytest.skip("the docs extra is not installed: pip install -e '.[docs]' (make test installs it)")
    if os.environ.get("CHAINRULE_DOCS_SITE"):  # a site you built yourself, while working on these checks
        return Path(os.environ["CHAINRULE_DOCS_SITE"])
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    env.pop("CHAINRULE_DOCS_NOTEBOOKS", None)  # the whole course, always
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout[-4000:]}\n{run.stderr[-8000:]}"
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from chromium(tmp_path_factory.mktemp("chromium-profile"))


def _open(browser, page: Path) -> None:
    assert page.exists(), page
    console_problems(browser), requested_urls(browser)  # start each page with empty logs
    browser.get(page.as_uri())
    _settle(browser)


def _settle(browser, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while browser.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.05)


def _assert_clean(browser, what: str) -> None:
    """No console error or warning, and nothing fetched from anywhere but the site's own files."""
    problems = console_problems(browser)
    assert problems == [], f"{what}: console says {problems}"
    remote = [u for u in requested_urls(browser) + resource_urls(browser) if u.startswith(REMOTE)]
    assert remote == [], f"{what}: requests leaving the machine: {remote}"


def _images_loaded(browser) -> list[tuple[str, int]]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('article img')).map(i => [i.src, i.complete ? i.naturalWidth "
        ": -1])")


def test_every_page_of_the_nav_was_built(site) -> None:
    for page in ["index.html", "getting-started.html", "concepts.html", "howto/custom-op.html",
                 "howto/property-tests.html", "howto/step-through.html", "howto/find-nan.html",
                 "howto/save-load.html", "howto/to-pytorch.html", "course/index.html", "reference/index.html",
                 "reference/autograd/Tensor.html", "reference/nn/Dense.html", "benchmarks.html", "compare.html",
                 "changelog.html"]:
        assert (site / page).exists(), page
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for stem in notebooks:  # every notebook, executed, with its download
        assert (site / "course" / f"{stem}.html").exists() and (site / "course" / f"{stem}.ipynb").exists(), stem
    import autograd
    import nn

    for pkg in (autograd, nn):  # every public name has its reference page
        for name in pkg.__all__:
            assert (site / "reference" / pkg.__name__ / f"{name}.html").exists(), f"{pkg.__name__}.{name}"


def test_the_index_loads_offline(site, browser) -> None:
    _open(browser, site / "index.html")
    assert browser.title.startswith("chainrule")
    assert browser.find_element("css selector", "article h1").text == "chainrule"
    widths = _images_loaded(browser)
    assert widths and all(w > 0 for _, w in widths), widths
    _assert_clean(browser, "index")


def test_the_tensor_api_page(site, browser) -> None:
    _open(browser, site / "reference" / "autograd" / "Tensor.html")
    text = browser.find_element("css selector", "article").text
    assert "autograd.Tensor" in text
    for method in ("backward", "sum", "softmax", "reshape"):
        assert method in text, method
    assert ":class:" not in text and ":meth:" not in text  # roles became code
    _assert_clean(browser, "autograd.Tensor page")


def test_a_course_page_shows_its_figures_and_math(site, browser) -> None:
    _open(browser, site / "course" / "01_perceptron.html")
    widths = _images_loaded(browser)
    assert len(widths) >= 3, widths
    assert all(w > 0 for _, w in widths), [src for src, w in widths if w <= 0]
    assert browser.execute_script("return document.querySelectorAll('article math').length") > 5
    prose = browser.execute_script(  # the article's text outside code: no TeX left unrendered
        "const a = document.querySelector('article').cloneNode(true);"
        "a.querySelectorAll('pre, code, math').forEach(e => e.remove()); return a.textContent")
    assert "\\hat" not in prose and "\\sum" not in prose and "\\frac" not in prose
    link = browser.find_element("css selector", "a[href$='01_perceptron.ipynb']")
    assert link.is_displayed()
    _assert_clean(browser, "course page 01")


def test_search_finds_results_from_disk(site, browser) -> None:
    browser.set_window_size(1400, 1000)  # wide enough for the header's search field
    _open(browser, site / "index.html")
    box = browser.find_element("css selector", "input.md-search__input")
    box.click()
    box.send_keys("gradcheck")
    deadline = time.monotonic() + 15
    results = []
    while time.monotonic() < deadline and not results:
        results = [r.text for r in browser.find_elements("css selector", ".md-search-result__item")]
        time.sleep(0.1)
    assert results, "no search results for 'gradcheck'"
    assert any("gradcheck" in r.lower() for r in results)
    _assert_clean(browser, "search")


def test_the_stepper_player_works_inside_a_site_page(site, browser) -> None:
    _open(browser, site / "howto" / "step-through.html")
    player = browser.find_element("css selector", "article .cr-player")
    browser.execute_script("arguments[0].scrollIntoView()", player)
    assert player.get_attribute("data-step") == "0"
    player.find_element("css selector", "button[data-go=next]").click()
    assert player.get_attribute("data-step") == "1"
    visible = [f for f in player.find_elements("css selector", ".cr-frame") if f.is_displayed()]
    assert len(visible) == 1 and visible[0].get_attribute("data-k") == "1"
    assert visible[0].find_elements("css selector", "svg g.node")  # the frame's graph is drawn
    _assert_clean(browser, "step-through page")
