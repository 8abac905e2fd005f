# Two commands for a newcomer: `make run` and `make test`. `make demo` shows it working offline.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config

.PHONY: run test test-postgres lint demo check bench clean

$(BIN)/monitor: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(BIN)/monitor
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/monitor
	$(BIN)/monitor --config $(CONFIG) run

check: $(BIN)/monitor
	$(BIN)/monitor --config $(CONFIG) check

demo: $(BIN)/monitor
	$(BIN)/monitor demo

test: lint
	$(BIN)/python -m pytest -n auto --maxprocesses=4 $(PYTEST_ARGS)

# The suite with its database tests on PostgreSQL as well, against a throwaway server (as CI runs it), e.g.
# `make test-postgres PYTEST_ARGS=tests/test_store.py` for one module.
test-postgres: $(VENV)/.dev-installed
	bash .ci/with-postgres $(BIN)/python -m pytest -n auto --maxprocesses=4 $(PYTEST_ARGS)

# Style and types: ruff (lint and format) on everything, mypy on the package (settings in pyproject.toml).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check monitor tests bench
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/mypy

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/match.py
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/stories.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/rules.py

clean:
	rm -rf $(VENV) data build *.egg-info
