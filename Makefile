# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv when it is missing, install the project with what it needs, and make sure Graphviz's
# `dot` program (and, for the HTML player's browser test, Debian's chromium and chromium-driver) are there,
# installing them with apt-get when allowed; otherwise they say how.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.chainrule-installed

.PHONY: setup demo test lint typecheck docs bench notebooks clean

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

# Benchmarks print ratios against baselines measured in the same process. micrograd (and PyTorch CPU when
# `pip install torch==2.13.0` works quickly on this machine) are installed here, never by `make test`.
bench: setup
	$(BIN)/python -m pip install -q 'micrograd==0.1.0'
	-$(BIN)/python -m pip install -q 'torch==2.13.0' --only-binary=:all: 2>/dev/null
	$(BIN)/python -m benchmarks

notebooks: setup
	$(BIN)/python -m pip install -q -e '.[course]'
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) out site .pytest_cache .hypothesis
