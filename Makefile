# perfbudget: `make run` serves the demo county on SQLite; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: each has a database of its own (tests/conftest.py)
PYTEST_WORKERS ?= auto

.PHONY: install runtime lock run serve migrate demo test lint format openapi clean

# Installs come from the hashed locks in requirements/ (regenerate them with `make lock`),
# through uv (itself pinned and hashed): the same versions on every machine, in seconds.
UV := $(BIN)/uv
UV_PIP := $(UV) pip --quiet

$(BIN)/python:
	@echo "==> [1/4] virtual environment $(VENV) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)

$(UV): requirements/uv.lock | $(BIN)/python
	@echo "==> [2/4] the locked installer (uv, requirements/uv.lock)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.lock
	touch $@

# make run needs the runtime only; make test syncs the environment to the development lock
$(BIN)/.runtime: requirements/runtime.lock pyproject.toml | $(UV)
	@echo "==> [3/4] runtime dependencies from requirements/runtime.lock"
	$(UV) pip install --python $(BIN)/python --require-hashes -r requirements/runtime.lock
	$(UV_PIP) install --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@

$(BIN)/.installed: requirements/dev.lock requirements/uv.lock pyproject.toml | $(UV)
	@echo "==> [3/4] development dependencies from requirements/dev.lock"
	$(UV) pip sync --python $(BIN)/python --require-hashes requirements/dev.lock requirements/uv.lock
	$(UV_PIP) install --python $(BIN)/python --no-deps --no-build-isolation -e .
	touch $@ $(BIN)/.runtime

runtime: $(BIN)/.runtime

install: $(BIN)/.installed

# after a change to the dependencies in pyproject.toml (needs the package index)
lock: $(UV)
	$(UV) pip compile $(LOCK_OPTIONS) pyproject.toml requirements/build.in -o requirements/runtime.lock
	$(UV) pip compile $(LOCK_OPTIONS) pyproject.toml requirements/build.in --extra dev -o requirements/dev.lock
	$(UV) pip compile $(LOCK_OPTIONS) requirements/uv.in -o requirements/uv.lock

LOCK_OPTIONS := --quiet --generate-hashes --universal --python-version 3.11

migrate: runtime
	@echo "==> [4/4] database: migrations, then the demo county"
	$(BIN)/perfbudget db upgrade

demo: migrate
	$(BIN)/perfbudget demo load

run: demo
	@echo "==> serving http://$(HOST):$(PORT) (docs at /docs; Ctrl-C stops)"
	$(BIN)/perfbudget serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

# LINT=0 skips ruff and mypy (.ci/run lints once, then runs the suite on both databases)
LINT ?= 1
test: $(if $(filter 0,$(LINT)),install,lint)
	$(BIN)/perfbudget openapi check
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

format: install
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

openapi: install
	$(BIN)/perfbudget openapi export

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache perfbudget.db perfbudget.db-*
