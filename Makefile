# Two commands for a newcomer: `make run` and `make test`. `make demo` shows it working offline.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config

.PHONY: run test demo check bench clean

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

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/match.py
	$(BIN)/python bench/extract.py

clean:
	rm -rf $(VENV) data build *.egg-info
