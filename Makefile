# One command to run the demo, one to run the tests; each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck layers check bench clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bot console $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy

# the house's floors (docs/ARCHITECTURE.md), contracts in pyproject.toml
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

test: $(STAMP) lint typecheck layers
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/parser_bench.py

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
