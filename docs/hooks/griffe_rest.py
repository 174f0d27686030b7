"""A griffe extension for the API reference: our docstrings are written for `help()` and Sphinx-like reading
(``code``, :class:`Name` roles, ``>>>`` examples that the doctests run). Markdown would show the roles verbatim
and read ``>>>`` lines as nested block quotes, so before mkdocstrings renders a docstring we turn each role into
inline code and each run of ``>>>`` lines (with the output lines under them) into a ``pycon`` code block."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj):`~?([^`]+)`")


def rest_to_markdown(text: str) -> str:
    """Roles to inline code; doctest runs to fenced ``pycon`` blocks (kept verbatim, indentation included)."""
    text = ROLE.sub(lambda m: f"`{m.group(1)}`", text)
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i][len(indent):])
                i += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RestToMarkdown(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rest_to_markdown(obj.docstring.value)
