# One command to run the demo, one to run the tests; each sets itself up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test chaos lint typecheck layers check bench clean

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

# every chaos scenario and a longer fuzz pass (`make test` runs a few of each); a failure
# prints its seed: replay it with CHAOS_SEED=<seed> make chaos
chaos: $(STAMP)
	CHAOS_SQLITE=$${CHAOS_SQLITE:-200} CHAOS_POSTGRES=$${CHAOS_POSTGRES:-50} \
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} \
	$(BIN)/python -m pytest -m chaos tests/chaos -p no:cacheprovider --durations=5 -q

bench: $(STAMP)
	$(BIN)/python benchmarks/parser_bench.py

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
