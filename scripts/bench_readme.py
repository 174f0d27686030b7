"""Copy the table of the last full ``make bench`` (``out/bench.md``) into README.md, between the markers.

``python scripts/bench_readme.py [--bench out/bench.md] [--readme README.md]`` (``make bench-readme``). The README's
speed table is never typed by hand: it is this block of the last measurement, so the text cannot drift from it.
A ``--quick`` run is refused: its tiny sizes measure nothing worth publishing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def block(text: str, where: str) -> str:
    """The text strictly between the markers (which must each appear once, in order)."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{where}: expected one {START} line followed by one {END} line")
    return text[text.index(START) + len(START):text.index(END)]


def splice(readme: str, bench: str) -> str:
    """``readme`` with its marked block replaced by ``bench``'s."""
    if "--quick" in bench.split(START)[0]:
        raise ValueError("out/bench.md comes from a --quick run: run the full `make bench` first")
    new = block(bench, "out/bench.md")
    block(readme, "README.md")  # validates
    head, rest = readme.split(START, 1)
    return head + START + new + END + rest.split(END, 1)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default="out/bench.md")
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args(argv)
    bench, readme = Path(args.bench), Path(args.readme)
    if not bench.exists():
        print(f"{bench} does not exist: run `make bench` first", file=sys.stderr)
        return 1
    try:
        text = splice(readme.read_text(), bench.read_text())
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    readme.write_text(text)
    print(f"copied the table of {bench} into {readme}")
    scaling = bench.with_name("bench_scaling.png")
    if scaling.exists():  # the documentation's benchmark page shows the same run's picture
        target = readme.parent / "docs" / "assets" / "bench_scaling.png"
        target.write_bytes(scaling.read_bytes())
        print(f"copied {scaling} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
