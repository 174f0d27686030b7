"""nn.course: claims that note or fail, exercise checks that say precisely what is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from nn import course


def test_a_claim_that_holds_is_silent(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(course.STRICT_ENV, "1")
    assert course.claim(np.array([1.0, 2.0]) > 0, "all positive") is True
    assert capsys.readouterr().out == ""


def test_a_broken_claim_notes_for_a_student(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(course.STRICT_ENV, raising=False)
    assert course.claim(0.3 < 0.1, "SGD is still crawling", distance=0.3) is False
    out = capsys.readouterr().out
    assert "the numbers no longer show: SGD is still crawling (distance = 0.3)" in out


def test_a_broken_claim_fails_under_the_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(course.STRICT_ENV, "1")
    with pytest.raises(course.ClaimNotShown, match=r"no longer show: z = -6 \(z = -5\)"):
        course.claim(False, "z = -6", z=-5.0)
    monkeypatch.setenv(course.STRICT_ENV, "0")
    assert course.claim(False, "z = -6") is False


def test_a_claim_needs_one_truth_value() -> None:
    class Ambiguous:
        def __bool__(self):
            raise ValueError("ambiguous")

    with pytest.raises(TypeError, match="no single truth value"):
        course.claim(Ambiguous(), "x")


def test_a_check_names_the_element_expected_and_got() -> None:
    wrong = course.verdict("sigmoid_prime", lambda z: np.exp(-z) / (1 + np.exp(-z)))   # g(z) e^{-z}... off by a g
    assert not wrong
    assert "element 0 expected" in wrong.message and ", got " in wrong.message and "Hint: the lecture's" in wrong.message
    right = course.verdict("sigmoid_prime", lambda z: 1 / (1 + np.exp(-z)) * (1 - 1 / (1 + np.exp(-z))))
    assert right and right.message.startswith("✓ sigmoid_prime")


def test_a_check_explains_blanks_errors_and_shapes() -> None:
    assert "replace the `...`" in course.verdict("mse", lambda y, p: ...).message
    assert "NotImplementedError" in course.verdict("mse", lambda y, p: (_ for _ in ()).throw(NotImplementedError)).message
    assert "raised ZeroDivisionError" in course.verdict("mse", lambda y, p: 1 / 0).message
    assert "expected one number" in course.verdict("mse", lambda y, p: (p - y) ** 2).message
    assert "uphill" in course.verdict("gradient_descent_step", lambda W, g, eta: W + eta * g).message
    assert "pass your function" in course.verdict("mse", 3.0).message
    with pytest.raises(KeyError, match="no exercise called"):
        course.verdict("nope", print)


def test_check_prints_and_never_raises(capsys: pytest.CaptureFixture[str]) -> None:
    assert course.check("mse", lambda y, p: ...) is None
    assert capsys.readouterr().out.startswith("✗ mse:")


def test_show_prints_dot_text_without_graphviz(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setattr(course.shutil, "which", lambda name: None)

    class Drawing:
        source = "digraph { a -> b }"

    course.show(Drawing())
    assert "digraph { a -> b }" in capsys.readouterr().out
