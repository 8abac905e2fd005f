# Two commands for a newcomer: `make run` and `make test`. `make demo` shows it working offline.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config
# Every dependency's version, for the venv and the image alike; `make lock` brings it up to date.
LOCK := requirements.lock

.PHONY: run test test-postgres lint demo check bench clean lock image image-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/monitor: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --constraint $(LOCK) -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(LOCK) $(BIN)/monitor
	$(BIN)/pip install --quiet --constraint $(LOCK) -e '.[dev]'
	touch $@

# The newest versions pyproject.toml allows, extras included, for Python 3.11.2 and later (Debian bookworm's python3,
# the oldest a base image may have). uv reads the system's CA certificates, so it works behind a proxy that has one.
# It needs only the venv, not the project installed with the old lock (which a new dependency may conflict with).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'uv>=0.5,<1'
	$(BIN)/uv pip compile --quiet --native-tls --upgrade --all-extras --python-version 3.11.2 \
		--custom-compile-command "make lock" --output-file $(LOCK) pyproject.toml

# The container image, with podman or docker (see "Running in a container" in the README for the settings).
image:
	.ci/image build

image-test:
	.ci/image test

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
	$(BIN)/python bench/prints.py
	$(BIN)/python bench/feedread.py
	$(BIN)/python bench/digest.py
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/poll.py

clean:
	rm -rf $(VENV) data build *.egg-info
