# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv when it is missing, install the project with what it needs, and make sure Graphviz's
# `dot` program (and, for the HTML player's browser test, Debian's chromium and chromium-driver) are there,
# installing them with apt-get when allowed; otherwise they say how.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.chainrule-installed

.PHONY: setup demo test lint typecheck docs bench bench-readme notebooks figures clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,docs]'
	@touch $(STAMP)

setup: $(STAMP)
	@bash scripts/ensure-graphviz.sh
	@bash scripts/ensure-chromium.sh

demo: setup
	$(BIN)/chainrule-demo

lint: setup
	$(BIN)/ruff check .

# mypy reads its settings (files, strictness, the known debt) from pyproject.toml
typecheck: setup
	$(BIN)/mypy

# the suite includes `mkdocs build --strict` of the whole site and a browser check of it (tests/docs)
test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

# the documentation site, into site/ (open site/index.html; it needs no network). Executes every notebook.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Benchmarks: every engine in its own process, timed against the same workload written by hand in numpy
# (see benchmarks/__main__.py). PyTorch, JAX, HIPS autograd, micrograd and tinygrad are installed into their own
# environments under out/bench-envs/, never into .venv. Writes out/bench.md, out/bench.json, out/bench_scaling.png;
# `make bench-readme` then copies the table into README.md.
bench: setup
	$(BIN)/python -m benchmarks

bench-readme: setup
	$(BIN)/python scripts/bench_readme.py

# The README's pictures, regenerated from the code (never edited by hand): the demo writes them into docs/.
figures: setup
	$(BIN)/chainrule-demo --out docs --quiet

notebooks: setup
	$(BIN)/python -m pip install -q -e '.[course]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis
