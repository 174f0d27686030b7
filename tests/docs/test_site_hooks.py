"""The pieces of the site's build hooks that can be checked without building: the offline check can fail, TeX
becomes plain text where MathML cannot go, and docstrings written for help() become Markdown."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HOOKS = Path(__file__).resolve().parents[2] / "docs" / "hooks"
pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_hooks_{name}", HOOKS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_offline_check_sees_remote_scripts_styles_fonts_and_images() -> None:
    site = _load("build_site")
    page = ('<script src="https://cdn.example/mathjax.js"></script><link rel="stylesheet" '
            'href="//fonts.example/css"><img src="https://x.example/a.png"><a href="https://ok.example">a link</a>'
            '<script src="assets/local.js"></script>')
    assert site.FETCH.findall(page) == ["https://cdn.example/mathjax.js", "//fonts.example/css",
                                        "https://x.example/a.png"]
    assert site.CSS_FETCH.findall("@font-face{src:url(https://fonts.example/f.woff2)} a{b:url(x.png)}") == [
        "https://fonts.example/f.woff2"]


def test_tex_becomes_plain_text_for_the_table_of_contents() -> None:
    site = _load("build_site")
    assert site._plain_tex(r"J = \text{err}^2") == "J = err²"
    assert site._plain_tex(r"\hat y = \sigma(z_2)") == "ŷ = σ(z₂)"
    assert site._plain_tex(r"\left(a \le b\right)\,c") == "(a ≤ b)c"


def test_tex_becomes_mathml_and_bad_tex_names_the_page() -> None:
    site = _load("build_site")
    html = site._math_to_mathml('<p><span class="arithmatex">\\(x_i &lt; 1\\)</span></p>', "page.md")
    assert "<math" in html and "<msub><mi>x</mi><mi>i</mi></msub>" in html and "arithmatex" not in html
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match=r"course/x\.md: cannot turn TeX into MathML: 'x\^'"):
        site._math_to_mathml('<span class="arithmatex">\\(x^\\)</span>', "course/x.md")


def test_docstring_roles_and_doctests_become_markdown() -> None:
    rest = _load("griffe_rest")
    text = "See :class:`~autograd.tensor.Tensor` and :func:`grad`.\n\n>>> 1 + 1\n2\n\nAfter."
    assert rest.rest_to_markdown(text) == (
        "See `autograd.tensor.Tensor` and `grad`.\n\n```pycon\n>>> 1 + 1\n2\n```\n\nAfter.")
    indented = "Example:\n    >>> x = 1\n    >>> x\n    1\n"
    assert "    ```pycon\n    >>> x = 1\n    >>> x\n    1\n    ```" in rest.rest_to_markdown(indented)


def test_a_lazily_exported_name_is_documented_where_it_is_defined(tmp_path, monkeypatch) -> None:
    """A package that exports a name through a module ``__getattr__`` (griffe cannot see it statically) still
    gets its reference page: the defining module's object, under the public name as heading."""
    import griffe

    pkg = tmp_path / "lazy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        '"""Lazy."""\n__all__ = ["Thing", "eager"]\nfrom .impl import eager\n\n\ndef __getattr__(name):\n'
        '    if name == "Thing":\n        from .impl import Thing\n        return Thing\n'
        '    raise AttributeError(name)\n')
    (pkg / "impl.py").write_text('def eager():\n    """f(x) = x."""\n\n\nclass Thing:\n    """t = 1."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    site = _load("build_site")
    loaded = griffe.load("lazy_pkg", search_paths=[str(tmp_path)], resolve_aliases=True, allow_inspection=False)
    assert site._target("lazy_pkg.eager", loaded) == ("lazy_pkg.eager", "f(x) = x.")
    assert site._target("lazy_pkg.Thing", loaded) == ("lazy_pkg.impl.Thing", "t = 1.")
