"""The Stepper's HTML player in a real headless browser: Debian's chromium driven by selenium.

`make setup` (scripts/ensure-chromium.sh) installs chromium and chromium-driver on Debian. On a Debian system
(apt-get present) a missing browser fails this test with what to run; elsewhere the test is skipped and says why.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from browser import chromium
from markers import needs_dot

from autograd import Stepper, Value
from autograd.style import COLORS
from autograd.viz import format_array, graph_order

HIGHLIGHT = COLORS["highlight"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    yield from chromium(tmp_path_factory.mktemp("chromium-profile"))


def _perceptron():
    """The lecture's perceptron, with x1 used twice so that a partial sum shows."""
    x1, x2 = Value(2.0, label="x1"), Value(-1.0, label="x2")
    w0, w1, w2 = Value(0.5, label="w0"), Value(-0.3, label="w1"), Value(0.8, label="w2")
    z = w1 * x1 + w2 * x2 + w0 + x1 * 0.1
    z.label = "z"
    y_hat = z.sigmoid()
    y_hat.label = "y_hat"
    J = (y_hat - 1.0) ** 2
    J.label = "J"
    return (w0, w1, w2, x1, x2), J


def _visible(driver):
    frames = [f for f in driver.find_elements("css selector", ".cr-frame") if f.is_displayed()]
    assert len(frames) == 1  # exactly one frame shows at a time
    return frames[0]


def _highlighted(frame) -> set[str]:
    """The drawing ids of the nodes drawn with the step's orange border."""
    out = set()
    for g in frame.find_elements("css selector", "g.node"):
        shapes = g.find_elements("css selector", "polygon, ellipse, path")
        if any(s.get_attribute("stroke") == HIGHLIGHT for s in shapes):
            out.add(g.find_element("css selector", "title").get_attribute("textContent"))
    return out


def _node_text(frame, node_id: str) -> str:
    for g in frame.find_elements("css selector", "g.node"):
        if g.find_element("css selector", "title").get_attribute("textContent") == node_id:
            return " | ".join(t.get_attribute("textContent") for t in g.find_elements("css selector", "text"))
    raise AssertionError(f"no node {node_id} in the visible frame")


@needs_dot
def test_player_steps_forward_back_and_ends_at_backwards_gradients(browser, tmp_path) -> None:
    params, J = _perceptron()
    s = Stepper(J)
    page = tmp_path / "player.html"
    page.write_text(s.to_html(), encoding="utf-8")
    ids = {n: f"n{i}" for i, n in enumerate(graph_order(J))}
    browser.get(page.as_uri())
    browser.get_log("performance")  # (drop the page load's own events; the check below reads all of them)

    def press(what: str) -> None:
        browser.find_element("css selector", f"button[data-go={what}]").click()

    start = _visible(browser)
    assert start.get_attribute("data-k") == "0" and _highlighted(start) >= {ids[J]}
    assert "grad ?" in _node_text(start, ids[params[1]])  # w1: not reached yet
    press("next")
    one = _visible(browser)
    assert one.get_attribute("data-k") == "1"
    assert _highlighted(one) != _highlighted(start) and ids[J] not in _highlighted(one)
    assert _highlighted(one) >= {one.get_attribute("data-node")}
    y_hat = J.parents[0].parents[0]  # step 1 (y_hat - 1's turn) sends y_hat its gradient
    assert "grad ?" in _node_text(start, ids[y_hat]) and "grad ?" not in _node_text(one, ids[y_hat])
    assert "step 1</b>" in one.get_attribute("innerHTML")
    press("prev")
    assert _visible(browser).get_attribute("data-k") == "0"
    assert browser.find_element("css selector", ".cr-slider").get_attribute("value") == "0"
    press("last")
    end = _visible(browser)
    assert end.get_attribute("data-k") == str(len(s) - 1)
    assert browser.find_element("css selector", ".cr-pos").text == f"step {len(s) - 1} of 0–{len(s) - 1}"

    J.backward()  # what backward() leaves is what the last frame shows
    for p in params:
        assert f"grad {format_array(p.grad)}" in _node_text(end, ids[p]), p.label

    # the slider moves the picture too
    slider = browser.find_element("css selector", ".cr-slider")
    browser.execute_script("arguments[0].value = 2; arguments[0].dispatchEvent(new Event('input'))", slider)
    assert _visible(browser).get_attribute("data-k") == "2"

    # a student's view at notebook width
    shot = tmp_path / "player.png"
    browser.set_window_size(1000, 1000)
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("CHAINRULE_SCREENSHOT"):
        shutil.copy(shot, os.environ["CHAINRULE_SCREENSHOT"])

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert errors == []
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources == []  # no script, style sheet, font or image was fetched
    requests = [json.loads(e["message"])["message"] for e in browser.get_log("performance")]
    sent = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
    assert sent == []


@needs_dot
def test_a_script_error_would_be_seen(browser, tmp_path) -> None:
    """The console check above can fail: a page whose script throws is reported."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    browser.get(page.as_uri())
    assert any("undefinedFunction" in e["message"] for e in browser.get_log("browser"))


@needs_dot
def test_two_players_on_one_page_work_independently(browser, tmp_path) -> None:
    _, J = _perceptron()
    a, b = Stepper(J), Stepper(J)
    b.goto(2)
    page = tmp_path / "two.html"
    page.write_text(f"<!DOCTYPE html><html><body>{a._repr_html_()}{b._repr_html_()}</body></html>")
    browser.get(page.as_uri())
    players = browser.find_elements("css selector", ".cr-player")
    assert [p.get_attribute("data-step") for p in players] == ["0", "2"]
    players[1].find_element("css selector", "button[data-go=next]").click()
    assert [p.get_attribute("data-step") for p in players] == ["0", "3"]


def _fake_bin(tmp_path, *, browser: bool) -> tuple:
    """A PATH holding only a fake `id` (root), a fake `apt-get` that logs its arguments and installs fake
    chromium/chromedriver, and (when ``browser``) those two already."""
    import stat
    import textwrap

    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "apt.log"
    scripts = {
        "id": "echo 0",
        "apt-get": textwrap.dedent(f"""\
            echo "$@" >> {log}
            if [ "$1" = install ]; then
              for p in chromium chromedriver; do
                printf '#!/bin/sh\\necho fake\\n' > {bin_}/$p; {shutil.which("chmod")} +x {bin_}/$p
              done
            fi"""),
    }
    if browser:
        scripts.update(chromium="echo fake", chromedriver="echo fake")
    for name, body in scripts.items():
        f = bin_ / name
        f.write_text(f"#!/bin/sh\n{body}\n")
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    return bin_, log


@pytest.mark.parametrize("present", [False, True])
def test_setup_script_installs_the_browser_on_debian_when_missing(tmp_path, present) -> None:
    import pathlib
    import subprocess

    script = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium.sh"
    bin_, log = _fake_bin(tmp_path, browser=present)
    bash = shutil.which("bash")
    out = subprocess.run([bash, str(script)], env={"PATH": str(bin_)}, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    if present:
        assert not log.exists()  # nothing to do
    else:
        assert log.read_text().splitlines() == ["update -qq", "install -y -qq chromium chromium-driver"]
        assert "chromium installed" in out.stdout
