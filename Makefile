# perfbudget: `make run` serves the demo county on SQLite; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers: each has a database of its own (tests/conftest.py)
PYTEST_WORKERS ?= auto

.PHONY: install run serve migrate demo test lint format openapi clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/perfbudget db upgrade

demo: migrate
	$(BIN)/perfbudget demo load

run: demo
	$(BIN)/perfbudget serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy

test: lint
	$(BIN)/perfbudget openapi check
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

format: install
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

openapi: install
	$(BIN)/perfbudget openapi export

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache perfbudget.db perfbudget.db-*
