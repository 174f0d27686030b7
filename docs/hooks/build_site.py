"""MkDocs hooks: what the site makes at build time, and the checks that keep it offline and honest.

- The course: every ``notebooks/*.ipynb`` (a glob, so renamed or added notebooks appear) is executed with nbclient
  (a failing cell fails the build), turned into Markdown by nbconvert, and added as ``course/<name>.md`` with its
  figures and a download link to the ``.ipynb``. HTML outputs (the Stepper's player) are put back verbatim.
- The API reference: one page per public name of ``autograd`` and ``nn`` (their ``__all__``), module pages for
  the public modules; a public name without a docstring fails the build.
- Benchmarks, comparison and changelog come from the README's speed section (the last full `make bench`, copied by
  `make bench-readme`), its comparison table and ``CHANGELOG.md``: one source each.
- Math: TeX in Markdown and notebooks becomes MathML at build time (browsers render it natively; no MathJax).
- After the build: any page that would fetch a script, style sheet, font or image from another host fails it.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import inspect
import io
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PACKAGES = ("autograd", "nn")
EXTRA_MODULES = ("autograd.strategies",)  # public modules not re-exported in a package's __all__
_html_outputs: dict[str, list[str]] = {}  # page src_uri -> the notebook's HTML outputs, by placeholder index


# -- nav ------------------------------------------------------------------------------------------------------------
def _notebooks() -> list[Path]:
    # CHAINRULE_DOCS_NOTEBOOKS narrows the course while writing a page (e.g. "01_*"); `make docs` builds all
    return sorted(NOTEBOOKS.glob(os.environ.get("CHAINRULE_DOCS_NOTEBOOKS", "*") + ".ipynb"))


def _public(pkg: str) -> list[str]:
    return list(importlib.import_module(pkg).__all__)


def _reference_entries() -> list[tuple[str, str, list[str] | None]]:
    """(identifier, page src_uri, members or None) for every public name; modules list the members that have
    no page of their own (a class re-exported at the top is documented once, on its own page)."""
    entries: list[tuple[str, str, list[str] | None]] = []
    for pkg in PACKAGES:
        top = importlib.import_module(pkg)
        names = _public(pkg)
        exported = {id(getattr(top, n)) for n in names}
        for name in names:
            obj = getattr(top, name)
            entries.append((f"{pkg}.{name}", f"reference/{pkg}/{name}.md",
                            _module_members(obj, exported) if inspect.ismodule(obj) else None))
        for mod in EXTRA_MODULES:
            if mod.startswith(pkg + "."):
                m = importlib.import_module(mod)
                entries.append((mod, f"reference/{mod.replace('.', '/')}.md", _module_members(m, exported)))
    return entries


def _module_members(mod: Any, exported: set[int]) -> list[str]:
    names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
    return [n for n in names if id(getattr(mod, n)) not in exported]


def on_config(config: Any) -> Any:
    """Fill the Course and API reference sections of the nav from the notebooks and the packages' ``__all__``."""
    nav = config["nav"]
    for i, item in enumerate(nav):
        (title, target), = item.items()
        if title == "Course":
            nav[i] = {title: [target] + [f"course/{p.stem}.md" for p in _notebooks()]}
        elif title == "API reference":
            pages: list[Any] = [target]
            for pkg in PACKAGES:
                pages.append({f"{pkg}": [{ident: uri} for ident, uri, _ in _reference_entries()
                                         if ident.split(".")[0] == pkg]})
            nav[i] = {title: pages}
    return config


# -- generated files ------------------------------------------------------------------------------------------------
def on_files(files: Files, config: Any) -> Files:
    for uri, text in _reference_pages(config).items():
        files.append(File.generated(config, uri, content=text))
    for nb in _notebooks():
        for f in _course_files(nb, config):
            files.append(f)
    files.append(File.generated(config, "changelog.md", abs_src_path=str(ROOT / "CHANGELOG.md")))
    files.append(File.generated(config, "concepts/architecture.svg", content=_architecture_svg()))
    files.append(File.generated(config, "concepts/perceptron.svg", content=_perceptron_svg()))
    return files


def _reference_pages(config: Any) -> dict[str, str]:
    import griffe

    loaded = {pkg: griffe.load(pkg, search_paths=[str(ROOT)], resolve_aliases=True, allow_inspection=False)
              for pkg in PACKAGES}
    pages, missing = {}, []
    for ident, uri, members in _reference_entries():
        pkg = ident.split(".")[0]
        target, doc = _target(ident, loaded[pkg])
        if not doc:
            missing.append(ident)
        opts = [] if target == ident else [f'heading: "{ident}"']
        if members is not None:
            opts += [f"members: [{', '.join(repr(m) for m in members)}]", "show_submodules: false"]
        pages[uri] = f"::: {target}\n" + ("    options:\n" + "".join(f"      {o}\n" for o in opts) if opts else "")
    if missing:
        raise PluginError(f"public names without a docstring (the API reference needs one): {', '.join(missing)}")
    return pages


def _target(ident: str, package: Any) -> tuple[str, str]:
    """What mkdocstrings should document for the public name ``ident``, and its docstring (read statically, so
    module-level constants count too). A name the package imports eagerly is documented as ``pkg.Name``; a name
    only found at run time (a lazy ``__getattr__`` export) as the module and name that define it."""
    pkg, _, name = ident.partition(".")
    try:
        obj = package[name]
    except Exception:  # noqa: BLE001 - griffe raises KeyError or an alias error for names it cannot see
        live = getattr(importlib.import_module(pkg), name)
        if inspect.ismodule(live):
            where = live.__name__
        else:
            where = f"{getattr(live, '__module__', '')}.{getattr(live, '__qualname__', '')}"
        if not where.startswith(pkg + ".") or where.endswith("."):
            raise PluginError(f"{ident}: cannot find where it is defined for the API reference") from None
        obj, ident = package[where.partition(".")[2]], where
    return ident, obj.docstring.value.strip() if obj.docstring else ""


def _course_files(nb_path: Path, config: Any) -> list[File]:
    stem = nb_path.stem
    markdown, images, outputs = _run_notebook(nb_path)
    src = f"course/{stem}.md"
    _html_outputs[src] = outputs
    # nbconvert's alt text is the mime type ("png"); say what the picture is instead
    markdown = re.sub(r"!\[(?:png|svg|jpeg)\]\(", "![a figure drawn by the cell above](", markdown)
    lines = markdown.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("# ")), -1)
    note = (f"[Download the notebook ({stem}.ipynb)]({stem}.ipynb){{ .md-button }} "
            "Executed when this site was built: every output below is what the code printed or drew.")
    lines.insert(first + 1, "\n" + note + "\n")
    files = [File.generated(config, src, content="\n".join(lines)),
             File.generated(config, f"course/{stem}.ipynb", abs_src_path=str(nb_path))]
    files += [File.generated(config, f"course/{name}", content=data) for name, data in images.items()]
    return files


def _run_notebook(path: Path) -> tuple[str, dict[str, bytes], list[str]]:
    """Execute like the test suite does (fresh kernel, a temporary working folder, Agg backend); return the
    Markdown, the extracted figures and the HTML outputs (left as placeholders in the Markdown)."""
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import MarkdownExporter

    nb = nbformat.read(path, as_version=4)
    os.environ["MPLBACKEND"] = "Agg"
    with tempfile.TemporaryDirectory() as cwd:
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": cwd}}).execute()
    outputs: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            # a live widget needs a widget manager fetched from a CDN: keep what a saved notebook shows instead
            for mime in ("application/vnd.jupyter.widget-view+json", "application/javascript"):
                data.pop(mime, None)
            if "text/html" in data:
                outputs.append(data["text/html"] if isinstance(data["text/html"], str) else "".join(data["text/html"]))
                out["data"] = {"text/markdown": f'\n<div class="cr-nb-html" data-i="{len(outputs) - 1}"></div>\n'}
    nb.metadata.pop("widgets", None)
    body, resources = MarkdownExporter().from_notebook_node(
        nb, resources={"output_files_dir": f"{path.stem}_files", "unique_key": path.stem})
    return body, dict(resources.get("outputs", {})), outputs


def _architecture_svg() -> str:
    """The engine's layout: what a node carries, where the ops live, and who reads them (Graphviz, at build time)."""
    import graphviz

    g = graphviz.Digraph("architecture", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "bgcolor": "white"},
                         node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#eef3f7",
                                    "fontname": "Helvetica", "fontsize": "11"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "10"})
    g.node("value", "Value\n(a float)")
    g.node("tensor", "Tensor\n(a numpy array)")
    g.node("node", "Node protocol\n.data  .grad  .label\n.parents (ordered)  .op  ._ctx", fillcolor="#fdebd0")
    g.node("registry", "REGISTRY: one Op per operation\nname, forward, derivative,\nformula, kinks, presentation",
           fillcolor="#fdebd0")
    g.node("engine", "engine\ntopological_order (iterative)\nbackward: reverse order,\nlocal rule, accumulate")
    for tool, text in [("draw", "draw"), ("steps", "backward_steps\nStepper"), ("explain", "explain"),
                       ("gradcheck", "gradcheck"), ("trace", "trace / compile"), ("nn", "nn: layers, losses,\n"
                                                                                       "optimizers, fit")]:
        g.node(tool, text)
    g.edge("value", "node", "is a")
    g.edge("tensor", "node", "is a")
    g.edge("node", "registry", "op =")
    g.edge("engine", "node", "walks")
    g.edge("engine", "registry", "calls derivative")
    for tool in ("draw", "steps", "explain", "gradcheck", "trace"):
        g.edge(tool, "engine", style="dashed")
    g.edge("nn", "tensor", "built from", style="dashed")
    return g.pipe(format="svg", encoding="utf-8")


def _perceptron_svg() -> str:
    from autograd import Value, draw

    x1, x2 = Value(-1.0, label="x1"), Value(2.0, label="x2")
    w1, w2, w0 = Value(3.0, label="w1"), Value(-2.0, label="w2"), Value(1.0, label="w0")
    y = (w0 + w1 * x1 + w2 * x2).sigmoid()
    y.label = "y"
    y.backward()
    return draw(y).pipe(format="svg", encoding="utf-8")


# -- page text ------------------------------------------------------------------------------------------------------
def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    if not m:
        raise PluginError(f"README.md has no section '## {title}' (the docs include it)")
    return m.group(1).strip()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if "<!-- readme: speed -->" in markdown:
        table = _demote(_readme_section("Speed"))  # the committed last full run, as the README shows it
        markdown = markdown.replace("<!-- readme: speed -->", table)
    if "<!-- readme: compare -->" in markdown:
        markdown = markdown.replace("<!-- readme: compare -->", _readme_section("How chainrule compares"))
    if "data-cr-player=" in markdown:
        markdown = _embed_players(markdown, page)
    return markdown


def _demote(md: str) -> str:
    """Headings of an included file go one level under the page's own."""
    return re.sub(r"^(#{1,5}) ", r"#\1 ", md, flags=re.M)


def _embed_players(markdown: str, page: Any) -> str:
    """Run the page's Python blocks in order (as a reader would) and put each named Stepper's HTML player where
    ``<div data-cr-player="name"></div>`` stands."""
    ns: dict[str, Any] = {"__name__": "docs"}
    with contextlib.redirect_stdout(io.StringIO()):  # what the examples print is for the reader, not the log
        for code in re.findall(r"```python\n(.*?)```", markdown, flags=re.S):
            exec(compile(code, page.file.src_uri, "exec"), ns)

    def player(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in ns:
            raise PluginError(f"{page.file.src_uri}: no '{name}' defined by the page's code for its player")
        return f'<div class="cr-embed">{ns[name]._repr_html_()}</div>'

    return re.sub(r'<div data-cr-player="(\w+)"></div>', player, markdown)


def on_page_content(content: str, page: Any, config: Any, files: Files) -> str:
    _plain_toc(page.toc)
    outputs = _html_outputs.get(page.file.src_uri)
    if outputs:
        content = re.sub(r'<div class="cr-nb-html" data-i="(\d+)"></div>',
                         lambda m: f'<div class="cr-nb-output">{outputs[int(m.group(1))]}</div>', content)
    return _math_to_mathml(content, page.file.src_uri)


TEX_WORDS = {r"\sigma": "σ", r"\partial": "∂", r"\cdot": "·", r"\times": "×", r"\alpha": "α", r"\beta": "β",
             r"\eta": "η", r"\lambda": "λ", r"\theta": "θ", r"\nabla": "∇", r"\sum": "Σ", r"\infty": "∞",
             r"\approx": "≈", r"\le": "≤", r"\ge": "≥", r"\to": "→", r"\hat y": "ŷ", r"\hat{y}": "ŷ"}
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_tex(tex: str) -> str:
    """TeX as plain text for places that cannot hold MathML (the table of contents): ``\\(z_2 = w_2 h_1\\)``
    reads ``z₂ = w₂ h₁``."""
    tex = re.sub(r"\\(?:left|right|[bB]igg?|quad)(?![a-zA-Z])|\\[,;!]", "", tex)  # sizes and spaces
    for k, v in TEX_WORDS.items():  # a whole command only: \\le is not the start of \\left
        tex = re.sub(re.escape(k) + r"(?![a-zA-Z])", v, tex)
    tex = re.sub(r"\\(?:text|mathrm|operatorname)\{([^}]*)\}", r"\1", tex)
    tex = re.sub(r"_\{?(\d+)\}?", lambda m: m.group(1).translate(SUBSCRIPTS), tex)
    tex = re.sub(r"\^\{?(\d+)\}?", lambda m: m.group(1).translate(SUPERSCRIPTS), tex)
    tex = re.sub(r"\\([a-zA-Z]+)", r"\1", tex)  # \tanh -> tanh
    return tex.replace("\\(", "").replace("\\)", "").replace("{", "").replace("}", "")


def _plain_toc(items: Any) -> None:
    for item in items:
        if "\\(" in item.title:
            item.title = re.sub(r"\\\((.*?)\\\)", lambda m: _plain_tex(m.group(1)), item.title)
        _plain_toc(item.children)


def _math_to_mathml(content: str, where: str) -> str:
    """arithmatex's ``\\(..\\)`` and ``\\[..\\]`` spans become MathML, rendered by the browser itself."""
    from latex2mathml.converter import convert

    def repl(m: re.Match[str], display: str) -> str:
        tex = html.unescape(m.group(1)).strip()
        try:
            return convert(tex, display=display)
        except Exception as e:  # noqa: BLE001 - any conversion failure is a build error that names the formula
            raise PluginError(f"{where}: cannot turn TeX into MathML: {tex!r} ({e})") from e

    content = re.sub(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', lambda m: repl(m, "block"), content, flags=re.S)
    return re.sub(r'<span class="arithmatex">\\\((.*?)\\\)</span>', lambda m: repl(m, "inline"), content,
                  flags=re.S)


# -- checks after the build -----------------------------------------------------------------------------------------
FETCH = re.compile(r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)="
                   r"[\"']?((?:https?:)?//[^\"' >]+)", re.I)
CSS_FETCH = re.compile(r"(?:url\(|@import\s+)[\"']?((?:https?:)?//[^\"')]+)", re.I)


def on_post_build(config: Any) -> None:
    """Fail when a page or style sheet of the site would fetch anything from another host."""
    site = Path(config["site_dir"])
    found = []
    for path in site.rglob("*"):
        if path.suffix == ".html":
            found += [(path, u) for u in FETCH.findall(path.read_text(encoding="utf-8", errors="replace"))]
        elif path.suffix == ".css":
            found += [(path, u) for u in CSS_FETCH.findall(path.read_text(encoding="utf-8", errors="replace"))]
    if found:
        listed = "\n".join(f"  {p.relative_to(site)}: {u}" for p, u in found[:20])
        raise PluginError(f"the site would fetch {len(found)} resource(s) from other hosts:\n{listed}")
